/*
 * Case floats: float and double arguments, which gcc's sys/sdt.h marks
 * 4f@ and 8f@. The default "nor" constraint has no class for SSE
 * registers, so the compiler moves the values to general registers
 * (4f@%eax, 8f@%rdx) or passes them in memory (8f@(%rdi), 8f@8(%rsp),
 * 8f@(%rsi,%rax,8)). The values cover signed zeros, denormals, the
 * extremes, infinities and NaNs; each line prints the IEEE bits.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

volatile float vf[8] = {0.0f, -0.0f, 1.5f, -2.25f, FLT_MAX, FLT_TRUE_MIN, INFINITY, NAN};
volatile double vd[8] = {0.0, -0.0, 1.0 / 3.0, -1e300, DBL_MAX, DBL_TRUE_MIN, -INFINITY, -NAN};
volatile long vseed = 2;

NOINLINE void floats_f32(float a, float b, float c, float d)
{
	STAP_PROBE4(floats, f32, a, b, c, d);
	emit_begin("floats:f32");
	EMIT(a);
	EMIT(b);
	EMIT(c);
	EMIT(d);
	emit_end();
}

NOINLINE void floats_f64(double a, double b, double c, double d)
{
	STAP_PROBE4(floats, f64, a, b, c, d);
	emit_begin("floats:f64");
	EMIT(a);
	EMIT(b);
	EMIT(c);
	EMIT(d);
	emit_end();
}

/* Through pointers: fields and indexed elements in memory. */
NOINLINE void floats_mem(const float *pf, const double *pd, long i)
{
	STAP_PROBE6(floats, mem, pf[0], pd[0], pf[i], pd[i], pf[i + 1], pd[i - 1]);
	emit_begin("floats:mem");
	EMIT(pf[0]);
	EMIT(pd[0]);
	EMIT(pf[i]);
	EMIT(pd[i]);
	EMIT(pf[i + 1]);
	EMIT(pd[i - 1]);
	emit_end();
}

/* Mixed with integers, and computed values. */
NOINLINE void floats_mixed(int n, float f, long l, double d)
{
	float prod = f * (float)n;
	double quot = d / (double)l;

	STAP_PROBE6(floats, mixed, n, f, l, d, prod, quot);
	emit_begin("floats:mixed");
	EMIT(n);
	EMIT(f);
	EMIT(l);
	EMIT(d);
	EMIT(prod);
	EMIT(quot);
	emit_end();
}

int main(void)
{
	float f[8];
	double d[8];

	case_init();
	for (int k = 0; k < 8; k++) {
		f[k] = vf[k];
		d[k] = vd[k];
	}
	floats_f32(f[0], f[1], f[2], f[3]);
	floats_f32(f[4], f[5], f[6], f[7]);
	floats_f64(d[0], d[1], d[2], d[3]);
	floats_f64(d[4], d[5], d[6], d[7]);
	floats_mem(f, d, vseed + 3);
	floats_mixed((int)-vseed, f[2], vseed + 1, d[2]);
	return 0;
}
