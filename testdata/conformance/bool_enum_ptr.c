/*
 * Case bool_enum_ptr: bool (1@, unsigned), enums (4@ unsigned when no
 * enumerator is negative, -4@ when one is, 8 bytes for a 64-bit
 * enumerator) and pointers (8@, unsigned): NULL, stack, heap, argv,
 * a function, an array (passed by name, so its address), a pointer with
 * the top bit set.
 *
 * The values come from volatile sources or from the running program.
 * bep:addrs passes link-time addresses (of a global, of a static array
 * element, of a function, of a string): gcc 12 and clang 14 load them
 * into a register (lea/mov) or a stack slot rather than emitting $sym
 * immediates. The string literal is printed as "*" (not compared): its
 * two uses need not share one address.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sdt.h>

#include "case.h"

enum color { RED, GREEN = 7, BLUE = 0xffffffffu };  /* unsigned int */
enum delta { DOWN = -5, LEVEL = 0, UP = 100 };       /* int */
enum wide { WIDE_MIN = -0x7fffffffffffffffLL - 1, WIDE_MAX = 0x7fffffffffffffffLL }; /* 64-bit */

volatile bool vbool[2] = {false, true};
volatile int vint[2] = {3, -4};
volatile enum color vcolor[3] = {RED, GREEN, BLUE};
volatile enum delta vdelta[3] = {DOWN, LEVEL, UP};
volatile enum wide vwide[2] = {WIDE_MIN, WIDE_MAX};
volatile uintptr_t vaddr = UINTPTR_MAX - 15;
void *volatile vnull;

NOINLINE void bools(bool a, bool b, int x, int y)
{
	bool lt = x < y; /* a flag, set into a byte register */
	bool eq = x == y;

	STAP_PROBE4(bep, bools, a, b, lt, eq);
	emit_begin("bep:bools");
	EMIT(a);
	EMIT(b);
	EMIT(lt);
	EMIT(eq);
	emit_end();
}

NOINLINE void enums(enum color c0, enum color c1, enum color c2, enum delta d0, enum delta d1,
		    enum delta d2, enum wide w0, enum wide w1)
{
	STAP_PROBE8(bep, enums, c0, c1, c2, d0, d1, d2, w0, w1);
	emit_begin("bep:enums");
	EMIT(c0);
	EMIT(c1);
	EMIT(c2);
	EMIT(d0);
	EMIT(d1);
	EMIT(d2);
	EMIT(w0);
	EMIT(w1);
	emit_end();
}

NOINLINE void pointers(const void *null, const int *stack, const char *heap, char **argv,
		       const char *arg0, int (*fn)(int, char **), const void *high)
{
	STAP_PROBE7(bep, pointers, null, stack, heap, argv, arg0, fn, high);
	emit_begin("bep:pointers");
	EMIT_P(null);
	EMIT_P(stack);
	EMIT_P(heap);
	EMIT_P(argv);
	EMIT_P(arg0);
	EMIT_P(fn);
	EMIT_P(high);
	emit_end();
}

/* An array passed by name decays to its address (8@, computed by lea). */
NOINLINE void array_name(int n)
{
	int local[8];
	char *buf = malloc(16);

	for (int k = 0; k < 8; k++)
		local[k] = n + k;
	STAP_PROBE3(bep, array, local, buf + n, &local[n & 7]);
	emit_begin("bep:array");
	EMIT_P(local);
	EMIT_P(buf + n);
	EMIT_P(&local[n & 7]);
	emit_end();
	free(buf);
}

int g_int = 1;
static long s_arr[4] = {1, 2, 3, 4};
static const char g_name[] = "name";

void addrs(void);

/* Printed by a separate function, so that the probe's operands are not
 * shared with the printf arguments. */
NOINLINE void addrs_line(void)
{
	emit_begin("bep:addrs");
	EMIT_P(&g_int);
	EMIT_P(&s_arr[2]);
	EMIT_P(g_name);
	EMIT_SKIP();
	EMIT_P(&addrs);
	emit_end();
}

NOINLINE void addrs(void)
{
	STAP_PROBE5(bep, addrs, &g_int, &s_arr[2], g_name, "literal", &addrs);
	addrs_line();
}

int main(int argc, char **argv)
{
	int (*volatile fn)(int, char **) = main;
	int on_stack = argc;
	char *heap = malloc(32);

	case_init();
	bools(vbool[0], vbool[1], vint[0], vint[1]);
	bools(vbool[1], vbool[0], vint[1], vint[0]);
	enums(vcolor[0], vcolor[1], vcolor[2], vdelta[0], vdelta[1], vdelta[2], vwide[0], vwide[1]);
	pointers(vnull, &on_stack, heap, argv, argv[0], fn, (const void *)vaddr);
	array_name(argc + vint[0]);
	addrs();
	free(heap);
	return 0;
}
