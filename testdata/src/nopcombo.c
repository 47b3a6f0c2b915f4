/*
 * Call sites of the three x86 forms, with the same arguments:
 *
 *   nopcombo:plain  sys/sdt.h's one-byte nop                      90
 *   nopcombo:nop5   libbpf 1.7 usdt.h's nop; nop5                 90 0f 1f 44 00 00
 *   nopcombo:nop10  later usdt.h's nop; nop10 (the red-zone fix)  90 66 2e 0f 1f 84 00 00 00 00 00
 *
 * The notes and operands are sys/sdt.h's: it expands _SDT_NOP where a
 * probe is used, so redefining it after the include changes the code at
 * the probes that follow. The long nop is spelt in .byte directives
 * without commas, because the macro passes it through one-argument
 * stringifying macros.
 *
 * Run by the usdt tests and benchmark (and built by testdata/probes.mk,
 * which commits x86-64 and i386 copies for the dump tests): each line
 * "FORM N V" on stdin fires probe FORM (plain, nop5 or nop10) N times
 * with arguments V, -V, 42, rec.total (through a pointer: a memory
 * operand) and the global counter (a rip-relative one on x86-64), then
 * prints the nanoseconds the N calls took. FORM "none" times the loop
 * around no probe.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/sdt.h>

#define NOINLINE __attribute__((noinline))

struct rec {
	long id;
	long total;
};

long counter = 1000;

NOINLINE void fire_plain(long v, struct rec *r)
{
	STAP_PROBE5(nopcombo, plain, v, -v, 42, r->total, counter);
}

#undef _SDT_NOP
#define _SDT_NOP nop; .byte 0x0f; .byte 0x1f; .byte 0x44; .byte 0x00; .byte 0x00

NOINLINE void fire_nop5(long v, struct rec *r)
{
	STAP_PROBE5(nopcombo, nop5, v, -v, 42, r->total, counter);
}

#undef _SDT_NOP
#define _SDT_NOP nop; .byte 0x66; .byte 0x2e; .byte 0x0f; .byte 0x1f; .byte 0x84; \
	.byte 0x00; .byte 0x00; .byte 0x00; .byte 0x00; .byte 0x00

NOINLINE void fire_nop10(long v, struct rec *r)
{
	STAP_PROBE5(nopcombo, nop10, v, -v, 42, r->total, counter);
}

NOINLINE void fire_none(long v, struct rec *r)
{
	__asm__ __volatile__("" ::"r"(v), "r"(r) : "memory");
}

int main(void)
{
	char form[16];
	long n, v;

	while (scanf("%15s %ld %ld", form, &n, &v) == 3) {
		void (*fire)(long, struct rec *) = fire_none;
		struct rec r = {.id = 1, .total = 3 * v};
		struct timespec t0, t1;

		if (!strcmp(form, "plain"))
			fire = fire_plain;
		else if (!strcmp(form, "nop5"))
			fire = fire_nop5;
		else if (!strcmp(form, "nop10"))
			fire = fire_nop10;
		counter = v + 1000;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < n; i++)
			fire(v, &r);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
		fflush(stdout);
	}
	return 0;
}
