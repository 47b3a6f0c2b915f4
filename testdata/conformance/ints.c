/*
 * Case ints: every C integer type, signed and unsigned, at its extremes.
 *
 * One probe per type, ints:TYPE, with four arguments: for signed types
 * MIN, MAX, 0 and -1; for unsigned types 0, MAX, 1 and the value with
 * only the top bit set (a consumer that sign-extends it is wrong). The
 * values are read from volatile arrays and passed to a NOINLINE
 * function, so at -O2 the operands are the argument registers at their
 * narrow widths (%dil, %si, %edx, %rcx, ...); clang spills them to the
 * stack (red zone) instead. ints:mixed has twelve arguments of mixed
 * widths, the last six of which arrive on the stack (8(%rsp)...).
 */
#include <limits.h>
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

/* INT_CASE(NAME, T, A, B, C, D): values NAME_v[] and function ints_NAME. */
#define INT_CASE(NAME, T, A, B, C, D)                                     \
	volatile T NAME##_v[4] = {A, B, C, D};                            \
	NOINLINE void ints_##NAME(T a, T b, T c, T d)                     \
	{                                                                 \
		STAP_PROBE4(ints, NAME, a, b, c, d);                      \
		emit_begin("ints:" #NAME);                                \
		EMIT(a);                                                  \
		EMIT(b);                                                  \
		EMIT(c);                                                  \
		EMIT(d);                                                  \
		emit_end();                                               \
	}

INT_CASE(char, char, CHAR_MIN, CHAR_MAX, 0, (char)-1)
INT_CASE(schar, signed char, SCHAR_MIN, SCHAR_MAX, 0, -1)
INT_CASE(uchar, unsigned char, 0, UCHAR_MAX, 1, 0x80)
INT_CASE(short, short, SHRT_MIN, SHRT_MAX, 0, -1)
INT_CASE(ushort, unsigned short, 0, USHRT_MAX, 1, 0x8000)
INT_CASE(int, int, INT_MIN, INT_MAX, 0, -1)
INT_CASE(uint, unsigned int, 0, UINT_MAX, 1, 0x80000000u)
INT_CASE(long, long, LONG_MIN, LONG_MAX, 0, -1)
INT_CASE(ulong, unsigned long, 0, ULONG_MAX, 1, 1ul << (sizeof(long) * CHAR_BIT - 1))
INT_CASE(llong, long long, LLONG_MIN, LLONG_MAX, 0, -1)
INT_CASE(ullong, unsigned long long, 0, ULLONG_MAX, 1, 1ull << 63)
INT_CASE(int8, int8_t, INT8_MIN, INT8_MAX, 0, -1)
INT_CASE(int16, int16_t, INT16_MIN, INT16_MAX, 0, -1)
INT_CASE(int32, int32_t, INT32_MIN, INT32_MAX, 0, -1)
INT_CASE(int64, int64_t, INT64_MIN, INT64_MAX, 0, -1)
INT_CASE(uint8, uint8_t, 0, UINT8_MAX, 1, 0x80)
INT_CASE(uint16, uint16_t, 0, UINT16_MAX, 1, 0x8000)
INT_CASE(uint32, uint32_t, 0, UINT32_MAX, 1, 0x80000000u)
INT_CASE(uint64, uint64_t, 0, UINT64_MAX, 1, 1ull << 63)

#define CALL(NAME) ints_##NAME(NAME##_v[0], NAME##_v[1], NAME##_v[2], NAME##_v[3])

/* Twelve arguments of every width; a7..a12 are passed on the stack. */
NOINLINE void ints_mixed(char a1, unsigned char a2, short a3, unsigned short a4,
			 int a5, unsigned int a6, long a7, unsigned long a8,
			 int8_t a9, uint16_t a10, int32_t a11, uint64_t a12)
{
	STAP_PROBE12(ints, mixed, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
	emit_begin("ints:mixed");
	EMIT(a1);
	EMIT(a2);
	EMIT(a3);
	EMIT(a4);
	EMIT(a5);
	EMIT(a6);
	EMIT(a7);
	EMIT(a8);
	EMIT(a9);
	EMIT(a10);
	EMIT(a11);
	EMIT(a12);
	emit_end();
}

int main(void)
{
	case_init();

	CALL(char);
	CALL(schar);
	CALL(uchar);
	CALL(short);
	CALL(ushort);
	CALL(int);
	CALL(uint);
	CALL(long);
	CALL(ulong);
	CALL(llong);
	CALL(ullong);
	CALL(int8);
	CALL(int16);
	CALL(int32);
	CALL(int64);
	CALL(uint8);
	CALL(uint16);
	CALL(uint32);
	CALL(uint64);

	/* Every argument at its minimum, then at its maximum. */
	for (int k = 0; k < 2; k++)
		ints_mixed(char_v[k], uchar_v[k], short_v[k], ushort_v[k], int_v[k], uint_v[k],
			   long_v[k], ulong_v[k], int8_v[k], uint16_v[k], int32_v[k], uint64_v[k]);
	return 0;
}
