/*
 * Case symbolic_globals: global, file-static and function-static
 * variables passed to the probe directly, resolved through the symbol
 * table. gcc -O2 emits them as symbol-relative memory operands:
 * -4@g_int(%rip), -8@s_long(%rip), -4@counter.0(%rip),
 * 2@g_table+12(%rip), -8@g_rec+8(%rip), 8f@g_double(%rip), and a
 * variable-indexed global array g_table(,%rdi,2) in non-PIE builds;
 * i386 gcc -O2 uses sym@GOTOFF(%reg). gcc -O0 and clang load them into
 * registers or stack slots first. (Thread-locals are in
 * unsupported_tls.)
 */
#include <stdint.h>
#include <sys/sdt.h>

#if defined(__GNUC__) && !defined(__clang__)
/* No section anchors: gcc then addresses each variable by its own name
 * (arm64 "[x2, #:lo12:g_int]") rather than by an assembler-local
 * .LANCHOR label, which no symbol table keeps. */
#pragma GCC optimize("no-section-anchors")
#endif

#include "case.h"

struct grec {
	int32_t a;
	int64_t b;
	uint8_t c;
};

int g_int = -123456;
static long s_long = -9000000000l;
uint16_t g_table[8] = {1, 2, 3, 4, 5, 6, 65535, 8};
struct grec g_rec = {-1, INT64_MIN, 200};
double g_double = -2.5;
float g_float = 0.1f;
volatile long vindex = 3;

NOINLINE void globals(void)
{
	STAP_PROBE5(symbolic, globals, g_int, s_long, g_table[6], g_rec.b, g_rec.c);
	emit_begin("symbolic:globals");
	EMIT(g_int);
	EMIT(s_long);
	EMIT(g_table[6]);
	EMIT(g_rec.b);
	EMIT(g_rec.c);
	emit_end();
}

NOINLINE int statics(void)
{
	static int counter = 41;

	STAP_PROBE2(symbolic, statics, counter, g_rec.a);
	emit_begin("symbolic:statics");
	EMIT(counter);
	EMIT(g_rec.a);
	emit_end();
	return ++counter;
}

/* Printed by a separate function, so that gcc keeps g_table(,%rdi,2)
 * in non-PIE builds instead of loading the address of g_table once. */
NOINLINE void global_index_line(long i)
{
	emit_begin("symbolic:global_index");
	EMIT(g_table[i]);
	EMIT(g_table[i + 1]);
	emit_end();
}

NOINLINE void global_index(long i)
{
	STAP_PROBE2(symbolic, global_index, g_table[i], g_table[i + 1]);
	global_index_line(i);
}

/* One use per variable and nothing else live, the value printed by a
 * separate function: gcc -O2 leaves the low part of each address in the
 * operand, after the instruction that loaded the high part (arm64
 * "-4@[x0, #:lo12:g_int]" after adrp, mips64 "%got_ofst(s_long)($2)"
 * after its %got_page load, loong64 "$r12,%pc_lo12(g_int)" after
 * pcalau12i). */
NOINLINE void low_bits_line(void)
{
	emit_begin("symbolic:low_bits");
	EMIT(g_int);
	EMIT(s_long);
	EMIT(g_rec.b);
	emit_end();
}

NOINLINE void low_bits(void)
{
	STAP_PROBE3(symbolic, low_bits, g_int, s_long, g_rec.b);
	low_bits_line();
}

NOINLINE void global_floats(void)
{
	STAP_PROBE2(symbolic, global_floats, g_double, g_float);
	emit_begin("symbolic:global_floats");
	EMIT(g_double);
	EMIT(g_float);
	emit_end();
}

int main(void)
{
	case_init();
	globals();
	statics();
	statics();
	global_index(vindex);
	global_floats();
	low_bits();
	g_int = 5;
	s_long = -s_long;
	globals();
	return 0;
}
