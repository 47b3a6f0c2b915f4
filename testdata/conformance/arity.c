/*
 * Case arity: argument counts at the edges. arity:zero has no arguments
 * (its line is the probe name alone); arity:one has one; arity:twelve has
 * the maximum of twelve, from a NOINLINE function's parameters (six in
 * registers, six on the stack at -O2) and, as arity:twelve_locals, from
 * locals of main (stack slots at -O0, a mix at -O2).
 */
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

volatile long vseed = -7;

NOINLINE void arity_zero(void)
{
	STAP_PROBE(arity, zero);
	emit_begin("arity:zero");
	emit_end();
}

NOINLINE void arity_one(long x)
{
	STAP_PROBE1(arity, one, x);
	emit_begin("arity:one");
	EMIT(x);
	emit_end();
}

NOINLINE void arity_twelve(int a1, long a2, short a3, unsigned char a4, const char *a5,
			   unsigned int a6, long a7, int a8, signed char a9, unsigned long a10,
			   short a11, long long a12)
{
	STAP_PROBE12(arity, twelve, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
	emit_begin("arity:twelve");
	EMIT(a1);
	EMIT(a2);
	EMIT(a3);
	EMIT(a4);
	EMIT_P(a5);
	EMIT(a6);
	EMIT(a7);
	EMIT(a8);
	EMIT(a9);
	EMIT(a10);
	EMIT(a11);
	EMIT(a12);
	emit_end();
}

int main(int argc, char **argv)
{
	long n = vseed;
	int l1 = (int)n * 1000;
	long l2 = n << 33;
	short l3 = (short)(n * 4000);
	unsigned char l4 = (unsigned char)n;
	char *l5 = argv[0];
	unsigned int l6 = (unsigned int)n;
	long l7 = n * argc;
	int l8 = argc;
	signed char l9 = (signed char)(n * 18);
	unsigned long l10 = (unsigned long)n;
	short l11 = (short)-n;
	long long l12 = (long long)n * 1000000000000ll;

	case_init();
	arity_zero();
	arity_one(n);
	arity_twelve(l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12);

	STAP_PROBE12(arity, twelve_locals, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12);
	emit_begin("arity:twelve_locals");
	EMIT(l1);
	EMIT(l2);
	EMIT(l3);
	EMIT(l4);
	EMIT_P(l5);
	EMIT(l6);
	EMIT(l7);
	EMIT(l8);
	EMIT(l9);
	EMIT(l10);
	EMIT(l11);
	EMIT(l12);
	emit_end();

	arity_zero();
	return 0;
}
