/*
 * Case index_nobase: elements of global arrays by a variable index, which
 * gcc -O2/-O3 passes in a non-PIE executable as an index without a base
 * register, the array's link-time address as the displacement:
 * -4@g_i32(,%rax,4), -8@g_i64+16(,%rax,8), -2@g_i16(%rax,%rax) (amd64);
 * -4@g_i32(,%eax,4) (i386). libbpf has no spec for them (its SIB needs a
 * base register): usdtspec's extension kind "index" reads memory at
 * index*scale + displacement. PIE builds and clang address the arrays
 * through a register holding their address, so they pass as SIB or
 * deref operands, as do other architectures.
 *
 * As in the sib case, each probe function passes its parameters on to a
 * NOINLINE *_line function that prints the same elements: printing in
 * the probe function would keep the addresses alive across the printf
 * calls, and gcc would compute them into registers instead.
 */
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

int8_t g_i8[16] = {-128, 127, -1, 0, 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};
int16_t g_i16[16] = {-32768, 32767, -1, 2, -300, 400, -500, 600, -700, 800, -900, 1000};
int32_t g_i32[16] = {-2147483647 - 1, 2147483647, -1, 70000, -80000, 90000, -100000, 110000};
int64_t g_i64[16] = {-9223372036854775807LL - 1, 9223372036854775807LL, -1, 1LL << 40,
		     -(1LL << 41), 1LL << 42, -(1LL << 43), 1LL << 44};
uint32_t g_u32[16] = {0, 4294967295u, 1, 2147483648u, 12345, 67890, 3, 4};

volatile long vindex = 2;

NOINLINE void index_signed_line(long i)
{
	emit_begin("index:signed");
	EMIT(g_i8[i]);
	EMIT(g_i16[i]);
	EMIT(g_i32[i]);
	EMIT(g_i64[i]);
	EMIT(g_i32[i + 3]);
	EMIT(g_i64[i + 2]);
	emit_end();
}

NOINLINE void index_signed(long i)
{
	STAP_PROBE6(index, signed, g_i8[i], g_i16[i], g_i32[i], g_i64[i], g_i32[i + 3], g_i64[i + 2]);
	index_signed_line(i);
}

NOINLINE void index_unsigned_line(unsigned long i)
{
	emit_begin("index:unsigned");
	EMIT(g_u32[i]);
	EMIT(g_u32[i + 1]);
	emit_end();
}

NOINLINE void index_unsigned(unsigned long i)
{
	STAP_PROBE2(index, unsigned, g_u32[i], g_u32[i + 1]);
	index_unsigned_line(i);
}

int main(void)
{
	case_init();
	for (long i = 0; i < 4; i++) {
		index_signed(vindex + i - 2);
		index_unsigned((unsigned long)(vindex + i));
	}
	return 0;
}
