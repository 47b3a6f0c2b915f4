/*
 * Probe test program for usdtspec: one call site per argument shape that
 * gcc and clang emit for <sys/sdt.h> probes (registers of every integer
 * width, constants, struct fields, indexed array elements, floats, 12
 * arguments, no arguments, inlined copies, globals). Semaphore probes are
 * in sema.c, because _SDT_HAS_SEMAPHORES applies to a whole translation
 * unit.
 *
 * Built by testdata/probes.mk for amd64, arm64 and s390x, with gcc and
 * clang, PIE, non-PIE and static. The tests never run it: they read its
 * .note.stapsdt notes. main() only computes on its own data (seeded from
 * argc and volatile globals so that the optimiser keeps every call site
 * and cannot fold the arguments into constants).
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/sdt.h>

#define NOINLINE __attribute__((noinline))

struct rec {
	int32_t id;       /* 0 */
	int64_t total;    /* 8 */
	uint8_t flag;     /* 16 */
	int16_t delta;    /* 18 */
	const char *name; /* 24 */
};                        /* sizeof 32 on LP64 */

volatile long sink;
volatile long vseed = 3;
int counter = 7;
short table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
double gdouble = 2.5;

void probe_sema(int x, const char *s); /* sema.c */

/* Every signed integer width, as function parameters (registers at -O2). */
NOINLINE void probe_signed(char c, signed char sc, short s, int i, long l, long long ll)
{
	STAP_PROBE6(usdtspec, signed_regs, c, sc, s, i, l, ll);
}

/* Every unsigned width, a pointer and a bool. */
NOINLINE void probe_unsigned(unsigned char uc, unsigned short us, unsigned int ui,
			     unsigned long ul, const void *p, bool b)
{
	STAP_PROBE6(usdtspec, unsigned_regs, uc, us, ui, ul, p, b);
}

/* Constants of every width, negative ones, and the 32-bit extremes. */
NOINLINE void probe_consts(void)
{
	STAP_PROBE12(usdtspec, consts, 0, 1, -1, 42, -9, (uint8_t)200, (int8_t)-128,
		     (int16_t)-32768, (uint16_t)65535, INT32_MIN, UINT32_MAX, (int64_t)-2);
}

/* The 64-bit extremes. */
NOINLINE void probe_consts64(void)
{
	STAP_PROBE5(usdtspec, consts64, INT64_MIN, INT64_MAX, UINT64_MAX,
		    (uint64_t)0x8000000000000000ULL, (uint64_t)0x123456789abcdef0ULL);
}

/* Struct fields through a pointer, including a negative displacement. */
NOINLINE void probe_fields(const struct rec *r)
{
	const struct rec *prev = r - 1;
	STAP_PROBE6(usdtspec, fields, r->id, r->total, r->flag, r->delta, r->name, prev->total);
}

/* Array elements with a variable index: base+index*scale(+disp). */
NOINLINE void probe_index(const short *a, const int *b, const long *c,
			  const unsigned char *d, long i)
{
	STAP_PROBE6(usdtspec, index, a[i], b[i + 4], c[i], d[i], d[i + 7], table[i]);
}

/* A byte array indexed by a register: arm64's [xN, xM]. */
NOINLINE void probe_byte_index(const signed char *p, unsigned long i)
{
	STAP_PROBE2(usdtspec, byte_index, p[i], p[i + 1]);
}

/* A stack array with a variable index: disp(%rsp,%rax,4) on x86. */
NOINLINE long probe_stack_index(int i, int seed)
{
	int loc[8];
	for (int k = 0; k < 8; k++)
		loc[k] = seed * k + sink;
	STAP_PROBE2(usdtspec, stack_index, loc[i & 7], loc[(i + 2) & 7]);
	return loc[(i + 1) & 7];
}

/* float and double: 4f@ and 8f@, from registers and memory. */
NOINLINE void probe_floats(float f, double d, const double *pd, const float *pf)
{
	STAP_PROBE5(usdtspec, floats, f, d, pd[1], pf[2], gdouble);
}

/* Twelve arguments: some passed on the stack. */
NOINLINE void probe_twelve(int a1, long a2, short a3, unsigned char a4, const char *a5,
			   unsigned int a6, long a7, int a8, signed char a9,
			   unsigned long a10, short a11, long long a12)
{
	STAP_PROBE12(usdtspec, twelve, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
}

/* No arguments. */
NOINLINE void probe_zero(void)
{
	STAP_PROBE(usdtspec, zero);
}

/* Globals: symbol-relative operands (sym(%rip), $sym, :lo12:sym). */
NOINLINE void probe_global(void)
{
	STAP_PROBE3(usdtspec, global, counter, table[3], &counter);
}

/* The same probe at several inlined call sites. */
static inline __attribute__((always_inline)) void hit(int where, long value)
{
	STAP_PROBE2(usdtspec, inlined, where, value);
}

NOINLINE long run_inlined(long v)
{
	hit(1, v);
	hit(2, v * 3);
	hit(3, v + counter);
	return v;
}

int main(int argc, char **argv)
{
	long n = argc + vseed;
	struct rec recs[2] = {
		{1, 100, 1, -2, "first"},
		{(int32_t)n, n * 1000, (uint8_t)n, (int16_t)-n, argv[0]},
	};
	short a[16];
	int b[16];
	long c[16];
	unsigned char d[24];
	signed char e[16];
	double dd[4] = {0.5, n * 1.5, 2.5, 3.5};
	float ff[4] = {0.25f, 0.5f, (float)n, 1.0f};

	for (int k = 0; k < 16; k++) {
		a[k] = (short)(k * n);
		b[k] = (int)(k + n);
		c[k] = k - n;
		e[k] = (signed char)(k - 8);
	}
	for (int k = 0; k < 24; k++)
		d[k] = (unsigned char)(k + n);

	probe_signed((char)n, (signed char)-n, (short)(n * 100), (int)(n * -1000),
		     n * 100000, (long long)n << 40);
	probe_unsigned((unsigned char)(n + 200), (unsigned short)(n + 60000),
		       (unsigned int)n + 4000000000u, (unsigned long)n << 60, argv, n & 1);
	probe_consts();
	probe_consts64();
	probe_fields(&recs[1]);
	probe_index(a, b, c, d, n & 7);
	probe_byte_index(e, (unsigned long)n & 7);
	sink += probe_stack_index((int)n, argc);
	probe_floats((float)n / 3, n / 7.0, dd, ff);
	probe_twelve((int)n, n + 1, (short)(n + 2), (unsigned char)(n + 3), argv[0],
		     (unsigned int)n + 5, n + 6, (int)n + 7, (signed char)(n + 8),
		     (unsigned long)n + 9, (short)(n + 10), (long long)n + 11);
	probe_zero();
	probe_global();
	sink += run_inlined(n);
	hit(4, n);
	probe_sema((int)n, argv[0]);
	return (int)(sink & 1);
}
