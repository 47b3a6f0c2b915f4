/*
 * Shared library of case shlib: probes guarded by semaphores that live in
 * the library's own .probes section (a consumer must find them relative
 * to the library's load address). See shlib.c.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include "case.h"
#include "shlib.h"

unsigned short shlib_guarded_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short shlib_guarded_zero_semaphore __attribute__((unused)) __attribute__((section(".probes")));

NOINLINE long shlib_guarded(const struct shlib_rec *r, long x)
{
	long y = x * r->id;

	if (SEMA_ENABLED(shlib, guarded))
		STAP_PROBE5(shlib, guarded, r->id, r->total, r->flags, x, y);
	emit_begin("shlib:guarded");
	EMIT(r->id);
	EMIT(r->total);
	EMIT(r->flags);
	EMIT(x);
	EMIT(y);
	emit_end();

	if (SEMA_ENABLED(shlib, guarded_zero))
		STAP_PROBE(shlib, guarded_zero);
	emit_begin("shlib:guarded_zero");
	emit_end();
	return y;
}
