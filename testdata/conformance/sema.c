/*
 * Case sema: probes guarded by semaphores in the executable. With
 * _SDT_HAS_SEMAPHORES every note of this file carries the address of its
 * provider_name_semaphore (an unsigned short in .probes), and each probe
 * fires only while that counter is non-zero, as in software built with
 * dtrace -h/-G. The lines are printed whether or not the probe fired: a
 * consumer that does not raise the semaphores sees no hits and fails.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

unsigned short sema_args_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short sema_zero_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short sema_loop_semaphore __attribute__((unused)) __attribute__((section(".probes")));

volatile long vseed = 11;

NOINLINE void sema_args(int x, const char *s, long y, uint16_t z)
{
	if (SEMA_ENABLED(sema, args))
		STAP_PROBE4(sema, args, x, s, y, z);
	emit_begin("sema:args");
	EMIT(x);
	EMIT_P(s);
	EMIT(y);
	EMIT(z);
	emit_end();
}

NOINLINE void sema_zero(void)
{
	if (SEMA_ENABLED(sema, zero))
		STAP_PROBE(sema, zero);
	emit_begin("sema:zero");
	emit_end();
}

int main(int argc, char **argv)
{
	long n = vseed;

	case_init();
	sema_args((int)-n, argv[0], n << 36, (uint16_t)(60000 + n));
	sema_zero();
	/* The same semaphore checked at one site several times. */
	for (long k = 0; k < 3; k++) {
		long v = n * k - argc;
		if (SEMA_ENABLED(sema, loop))
			STAP_PROBE2(sema, loop, k, v);
		emit_begin("sema:loop");
		EMIT(k);
		EMIT(v);
		emit_end();
	}
	sema_zero();
	return 0;
}
