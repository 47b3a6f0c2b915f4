/*
 * Case fields: struct fields read through a pointer parameter, so that
 * at -O2 gcc passes them as memory operands off the pointer register:
 * (%rdi), 2(%rdi), 8(%rdi), a displacement above 127 (disp32), negative
 * displacements through the previous element (r - 1), a nested struct,
 * a field of a struct reached through a pointer field, an array field
 * with a variable index (disp(%rdi,%rsi,4)), and struct arguments passed
 * by value (in registers when small, on the caller's stack when large).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/sdt.h>

#include "case.h"

struct inner {
	int16_t a;	/* +0 */
	uint8_t b;	/* +2 */
	int32_t c;	/* +4 */
};

struct rec {
	int8_t s8;		/* 0 */
	uint8_t u8;		/* 1 */
	int16_t s16;		/* 2 */
	uint32_t u32;		/* 4 */
	int64_t s64;		/* 8 */
	const char *ptr;	/* 16 */
	struct inner in;	/* 24 */
	struct rec *next;	/* 32 */
	int32_t arr[40];	/* 40 .. 199 */
	uint64_t big;		/* 200: a displacement that needs 32 bits */
	uint16_t u16;		/* 208 */
};

struct pair {
	int32_t lo;
	int32_t hi;
};

struct large {
	int64_t a, b, c, d;
	uint8_t e;
};

volatile long seed = 5;

NOINLINE void fields_scalar(const struct rec *r)
{
	STAP_PROBE10(fields, scalar, r->s8, r->u8, r->s16, r->u32, r->s64, r->ptr, r->in.a,
		     r->in.b, r->in.c, r->big);
	emit_begin("fields:scalar");
	EMIT(r->s8);
	EMIT(r->u8);
	EMIT(r->s16);
	EMIT(r->u32);
	EMIT(r->s64);
	EMIT_P(r->ptr);
	EMIT(r->in.a);
	EMIT(r->in.b);
	EMIT(r->in.c);
	EMIT(r->big);
	emit_end();
}

/* r - 1: the same fields at negative displacements. */
NOINLINE void fields_negative(const struct rec *r)
{
	const struct rec *prev = r - 1;

	STAP_PROBE5(fields, negative, prev->s64, prev->u32, prev->big, prev->u16, prev->in.c);
	emit_begin("fields:negative");
	EMIT(prev->s64);
	EMIT(prev->u32);
	EMIT(prev->big);
	EMIT(prev->u16);
	EMIT(prev->in.c);
	emit_end();
}

/*
 * A field of the struct a field points to, and array fields by index
 * (disp(%rdi,%rsi,4)). The line is printed by a separate function: with
 * printf calls after the probe, gcc would keep every element address in
 * a register of its own instead of using base+index*scale operands.
 */
NOINLINE void fields_nested_line(const struct rec *r, long i)
{
	emit_begin("fields:nested");
	EMIT(r->next->s64);
	EMIT(r->next->u16);
	EMIT(r->arr[i]);
	EMIT(r->arr[i + 1]);
	EMIT(r->arr[39]);
	EMIT(r->arr[i - 2]);
	emit_end();
}

NOINLINE void fields_nested(const struct rec *r, long i)
{
	STAP_PROBE6(fields, nested, r->next->s64, r->next->u16, r->arr[i], r->arr[i + 1],
		    r->arr[39], r->arr[i - 2]);
	fields_nested_line(r, i);
}

/* Structs by value: a pair in one register, a large struct in memory. */
NOINLINE void fields_byval(struct pair p, struct large l)
{
	STAP_PROBE7(fields, byval, p.lo, p.hi, l.a, l.b, l.c, l.d, l.e);
	emit_begin("fields:byval");
	EMIT(p.lo);
	EMIT(p.hi);
	EMIT(l.a);
	EMIT(l.b);
	EMIT(l.c);
	EMIT(l.d);
	EMIT(l.e);
	emit_end();
}

static void fill(struct rec *r, long n, const char *name, struct rec *next)
{
	r->s8 = (int8_t)(-n * 25);
	r->u8 = (uint8_t)(n * 50);
	r->s16 = (int16_t)(-n * 6000);
	r->u32 = (uint32_t)(n * 800000000u);
	r->s64 = -n * 1000000000000ll;
	r->ptr = name;
	r->in.a = (int16_t)(n - 32000);
	r->in.b = (uint8_t)(255 - n);
	r->in.c = (int32_t)(-n * 400000000);
	r->next = next;
	for (int k = 0; k < 40; k++)
		r->arr[k] = (int32_t)(k * n - 100);
	r->big = (uint64_t)n << 61;
	r->u16 = (uint16_t)(65535 - n);
}

int main(int argc, char **argv)
{
	long n = seed;
	struct rec *recs = calloc(3, sizeof *recs);
	struct pair p = {(int32_t)-n, (int32_t)(n << 28)};
	struct large l = {-n, n << 40, INT64_MIN + n, -1 - n, (uint8_t)(250 + n)};

	case_init();
	fill(&recs[0], n + 1, argv[0], &recs[2]);
	fill(&recs[1], n + 2, "second", &recs[0]);
	fill(&recs[2], n + 3, "third", &recs[1]);
	fields_scalar(&recs[1]);
	fields_negative(&recs[1]);
	fields_negative(&recs[2]);
	fields_nested(&recs[1], n + argc);
	fields_byval(p, l);
	free(recs);
	return 0;
}
