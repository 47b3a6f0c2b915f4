/*
 * Shared library of case shlib: probes without semaphores, compiled with
 * -fPIC. See shlib.c.
 */
#include <sys/sdt.h>

#include "case.h"
#include "shlib.h"

/* Printed by a separate function, so that gcc -O2 keeps the
 * base+index*scale operands (see sib.c). */
NOINLINE void shlib_plain_index_line(const long *v, long i)
{
	emit_begin("shlib:plain_index");
	EMIT(v[i]);
	EMIT(v[i + 1]);
	EMIT(v[i - 1]);
	emit_end();
}

NOINLINE void shlib_plain_index(const long *v, long i)
{
	STAP_PROBE3(shlib, plain_index, v[i], v[i + 1], v[i - 1]);
	shlib_plain_index_line(v, i);
}

NOINLINE long shlib_plain(int n, const long *v, long i)
{
	long total = 0;

	STAP_PROBE3(shlib, plain, n, v, i);
	emit_begin("shlib:plain");
	EMIT(n);
	EMIT_P(v);
	EMIT(i);
	emit_end();

	shlib_plain_index(v, i);

	for (int k = 0; k < n; k++)
		total += v[k];
	return total;
}
