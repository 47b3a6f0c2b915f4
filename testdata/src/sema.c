/*
 * Semaphore probes for the probe test program (see probes.c). With
 * _SDT_HAS_SEMAPHORES every probe of this translation unit records the
 * address of its provider_name_semaphore in its note, so each probe here
 * needs one, defined in .probes as <sys/sdt.h> expects.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

unsigned short usdtspec_sema_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short usdtspec_sema_zero_semaphore __attribute__((unused)) __attribute__((section(".probes")));

#define ENABLED(name) __builtin_expect(*(volatile unsigned short *)&usdtspec_##name##_semaphore, 0)

__attribute__((noinline)) void probe_sema(int x, const char *s)
{
	if (ENABLED(sema))
		STAP_PROBE3(usdtspec, sema, x, s, s[x & 3]);
	if (ENABLED(sema_zero))
		STAP_PROBE(usdtspec, sema_zero);
}
