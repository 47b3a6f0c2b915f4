/*
 * Case sib: array elements with a variable index, which gcc -O2 passes
 * as base+index*scale(+disp) memory operands: (%rdi,%rsi) for 1-byte,
 * (%rdi,%rsi,2), (%rdi,%rsi,4), (%rdi,%rsi,8), with positive and
 * negative displacements (a[i + 3], a[i - 1]), a 32-bit index that is
 * sign-extended first, an unsigned index, stack arrays indexed by a
 * register (disp(%rsp,%rax,4)) and a two-dimensional array. clang
 * usually loads the elements and spills them instead.
 *
 * Each probe function prints its line by passing its own parameters on
 * to a NOINLINE *_line function that reads the same elements again:
 * printing in the probe function itself would keep the element addresses
 * alive across the printf calls, and gcc then computes each address into
 * a register of its own instead of using base+index*scale operands.
 */
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

volatile long vindex = 5;

NOINLINE void sib_signed_line(const int8_t *a8, const int16_t *a16, const int32_t *a32,
			      const int64_t *a64, long i)
{
	emit_begin("sib:signed");
	EMIT(a8[i]);
	EMIT(a16[i]);
	EMIT(a32[i]);
	EMIT(a64[i]);
	EMIT(a8[i + 3]);
	EMIT(a16[i - 1]);
	EMIT(a32[i + 5]);
	EMIT(a64[i - 2]);
	emit_end();
}

NOINLINE void sib_signed(const int8_t *a8, const int16_t *a16, const int32_t *a32,
			 const int64_t *a64, long i)
{
	STAP_PROBE8(sib, signed, a8[i], a16[i], a32[i], a64[i], a8[i + 3], a16[i - 1],
		    a32[i + 5], a64[i - 2]);
	sib_signed_line(a8, a16, a32, a64, i);
}

NOINLINE void sib_unsigned_line(const uint8_t *a8, const uint16_t *a16, const uint32_t *a32,
				const uint64_t *a64, unsigned long i)
{
	emit_begin("sib:unsigned");
	EMIT(a8[i]);
	EMIT(a16[i]);
	EMIT(a32[i]);
	EMIT(a64[i]);
	EMIT(a8[i + 1]);
	EMIT(a16[i + 2]);
	EMIT(a32[i - 3]);
	EMIT(a64[i + 1]);
	emit_end();
}

NOINLINE void sib_unsigned(const uint8_t *a8, const uint16_t *a16, const uint32_t *a32,
			   const uint64_t *a64, unsigned long i)
{
	STAP_PROBE8(sib, unsigned, a8[i], a16[i], a32[i], a64[i], a8[i + 1], a16[i + 2],
		    a32[i - 3], a64[i + 1]);
	sib_unsigned_line(a8, a16, a32, a64, i);
}

/* An int index: gcc sign-extends it into a 64-bit register first. */
NOINLINE void sib_int_index_line(const int16_t *a16, const uint64_t *a64, const double *ad,
				int i, int j)
{
	emit_begin("sib:int_index");
	EMIT(a16[i]);
	EMIT(a64[j]);
	EMIT(a16[i + j]);
	EMIT(a64[i * 2]);
	EMIT(ad[j]);
	emit_end();
}

NOINLINE void sib_int_index(const int16_t *a16, const uint64_t *a64, const double *ad, int i, int j)
{
	STAP_PROBE5(sib, int_index, a16[i], a64[j], a16[i + j], a64[i * 2], ad[j]);
	sib_int_index_line(a16, a64, ad, i, j);
}

/* Stack arrays indexed by a register: disp(%rsp,%rax,scale). */
NOINLINE long sib_stack(int i, long seed)
{
	int32_t loc32[8];
	int16_t loc16[8];
	int64_t loc64[8];

	for (int k = 0; k < 8; k++) {
		loc32[k] = (int32_t)(seed * k - 70000);
		loc16[k] = (int16_t)(-seed * k);
		loc64[k] = (int64_t)seed << (k * 7);
	}
	STAP_PROBE4(sib, stack, loc32[i & 7], loc16[(i + 1) & 7], loc64[i & 7],
		    loc32[(i + 3) & 7]);
	emit_begin("sib:stack");
	EMIT(loc32[i & 7]);
	EMIT(loc16[(i + 1) & 7]);
	EMIT(loc64[i & 7]);
	EMIT(loc32[(i + 3) & 7]);
	emit_end();
	return loc32[(i + 2) & 7] + loc16[i & 7] + loc64[(i + 5) & 7];
}

/* A row of a two-dimensional array: m[i][j] is (m + i*16)[j]. */
NOINLINE void sib_matrix_line(const int32_t (*m)[4], long i, long j)
{
	emit_begin("sib:matrix");
	EMIT(m[i][j]);
	EMIT(m[i][j + 1]);
	EMIT(m[i + 1][j]);
	emit_end();
}

NOINLINE void sib_matrix(const int32_t (*m)[4], long i, long j)
{
	STAP_PROBE3(sib, matrix, m[i][j], m[i][j + 1], m[i + 1][j]);
	sib_matrix_line(m, i, j);
}

int main(void)
{
	long n = vindex;
	int8_t s8[16];
	int16_t s16[16];
	int32_t s32[16];
	int64_t s64[16];
	uint8_t u8[16];
	uint16_t u16[16];
	uint32_t u32[16];
	uint64_t u64[16];
	double d[16];
	int32_t m[4][4];
	volatile long sink;

	case_init();
	for (int k = 0; k < 16; k++) {
		s8[k] = (int8_t)(-k * 9 * n);
		s16[k] = (int16_t)(-k * 2100 * n);
		s32[k] = (int32_t)(-k * 140000000 * n);
		s64[k] = -(int64_t)k * 60000000000000000ll * n;
		u8[k] = (uint8_t)(255 - k * n);
		u16[k] = (uint16_t)(65535 - k * n * 100);
		u32[k] = (uint32_t)(4294967295u - (uint32_t)(k * n * 1000));
		u64[k] = UINT64_MAX - (uint64_t)(k * n) * 1000000007ull;
		d[k] = k * n / 3.0;
	}
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++)
			m[r][c] = (int32_t)((r * 4 + c) * -n);

	sib_signed(s8, s16, s32, s64, n);
	sib_unsigned(u8, u16, u32, u64, (unsigned long)n + 2);
	sib_int_index(s16, u64, d, (int)n, (int)n - 2);
	sink = sib_stack((int)n, n);
	sib_matrix(m, n & 1, (n & 1) + 1);
	(void)sink;
	return 0;
}
