/*
 * Case consts: literal constants passed straight to the probe, so every
 * argument is an immediate ($N) at every optimisation level: small and
 * negative ints, the extremes of every width, 64-bit values that do not
 * fit in 32 bits, and unsigned narrow constants that gcc prints as
 * negative immediates (uint8_t 200 is 1@$-56, uint16_t 40000 is
 * 2@$-25536, UINT32_MAX is 4@$-1, UINT64_MAX is 8@$-1): a consumer must
 * truncate to the size and zero-extend.
 *
 * Each probe is written with PROBE_EMITn, which passes the same constant
 * expressions to the probe and to the printer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

#define PROBE_EMIT4(name, a, b, c, d)                                      \
	do {                                                               \
		STAP_PROBE4(consts, name, a, b, c, d);                     \
		emit_begin("consts:" #name);                               \
		EMIT(a);                                                   \
		EMIT(b);                                                   \
		EMIT(c);                                                   \
		EMIT(d);                                                   \
		emit_end();                                                \
	} while (0)

#define PROBE_EMIT6(name, a, b, c, d, e, f)                                \
	do {                                                               \
		STAP_PROBE6(consts, name, a, b, c, d, e, f);               \
		emit_begin("consts:" #name);                               \
		EMIT(a);                                                   \
		EMIT(b);                                                   \
		EMIT(c);                                                   \
		EMIT(d);                                                   \
		EMIT(e);                                                   \
		EMIT(f);                                                   \
		emit_end();                                                \
	} while (0)

#define PROBE_EMIT12(name, a, b, c, d, e, f, g, h, i, j, k, l)             \
	do {                                                               \
		STAP_PROBE12(consts, name, a, b, c, d, e, f, g, h, i, j, k, l); \
		emit_begin("consts:" #name);                               \
		EMIT(a);                                                   \
		EMIT(b);                                                   \
		EMIT(c);                                                   \
		EMIT(d);                                                   \
		EMIT(e);                                                   \
		EMIT(f);                                                   \
		EMIT(g);                                                   \
		EMIT(h);                                                   \
		EMIT(i);                                                   \
		EMIT(j);                                                   \
		EMIT(k);                                                   \
		EMIT(l);                                                   \
		emit_end();                                                \
	} while (0)

/* A function, so that the probes are not in main. */
NOINLINE void all_consts(void)
{
	/* Small ints (-4@$N). */
	PROBE_EMIT12(small, 0, 1, -1, -9, 42, 127, -128, 255, 256, 32767, -32768, 65535);

	/* 8-bit extremes and narrow unsigned values printed as negative. */
	PROBE_EMIT12(w8, (int8_t)INT8_MIN, (int8_t)INT8_MAX, (int8_t)0, (int8_t)-1,
		     (uint8_t)0, (uint8_t)UINT8_MAX, (uint8_t)200, (uint8_t)0x80,
		     (char)-1, (signed char)-100, (unsigned char)156, (bool)1);

	/* 16-bit. */
	PROBE_EMIT12(w16, (int16_t)INT16_MIN, (int16_t)INT16_MAX, (int16_t)0, (int16_t)-1,
		     (uint16_t)0, (uint16_t)UINT16_MAX, (uint16_t)40000, (uint16_t)0x8000,
		     (short)-300, (unsigned short)300, (short)-9, (unsigned short)1);

	/* 32-bit. */
	PROBE_EMIT12(w32, INT32_MIN, INT32_MAX, (int32_t)0, (int32_t)-1,
		     (uint32_t)0, UINT32_MAX, (uint32_t)3000000000u, (uint32_t)0x80000000u,
		     (int)-9, (unsigned int)9, (int32_t)-2147483647, (uint32_t)0xdeadbeefu);

	/* 64-bit: extremes and values that need a movabs. */
	PROBE_EMIT12(w64, INT64_MIN, INT64_MAX, (int64_t)0, (int64_t)-1,
		     (uint64_t)0, UINT64_MAX, (uint64_t)0x8000000000000000ull,
		     (uint64_t)0x123456789abcdef0ull, (int64_t)-0x123456789ll, (long)-9,
		     (long long)4294967296ll, (unsigned long)0xffffffff00000000ul);

	/* Negative constants of every width. */
	PROBE_EMIT6(negative, (int8_t)-9, (int16_t)-9, (int32_t)-9, (int64_t)-9,
		    (int64_t)-4294967296ll, (int64_t)-2147483649ll);

	/* Pointer constants (8@$0, 8@$4096, 8@$-1) and a bool constant. */
	STAP_PROBE4(consts, pointers, (void *)0, (void *)4096, (const char *)-1, (bool)0);
	emit_begin("consts:pointers");
	EMIT_P((void *)0);
	EMIT_P((void *)4096);
	EMIT_P((const char *)-1);
	EMIT((bool)0);
	emit_end();
}

/* The same constants as arguments of a probe in main (no frame at -O2). */
int main(void)
{
	case_init();
	all_consts();
	PROBE_EMIT4(in_main, -1, (uint64_t)UINT64_MAX, (int64_t)INT64_MIN, (uint8_t)255);
	return 0;
}
