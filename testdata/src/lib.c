/*
 * Shared library with its own probes (provider usdtlib), built with
 * -fPIC -shared by testdata/probes.mk. Every probe has a semaphore, as
 * libraries instrumented through dtrace -G/-h do, so the semaphores live
 * in the library's own .probes section.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

unsigned short usdtlib_enter_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short usdtlib_global_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short usdtlib_ratio_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short usdtlib_leave_semaphore __attribute__((unused)) __attribute__((section(".probes")));

#define ENABLED(name) __builtin_expect(*(volatile unsigned short *)&usdtlib_##name##_semaphore, 0)

int usdtlib_counter = 1;                  /* exported: reached through the GOT */
static int hidden_counter = 2;            /* local: pc-relative */
static const long hidden_table[4] = {10, 20, 30, 40};

long usdtlib_work(int n, const long *v, long i, double scale)
{
	long total = 0;

	if (ENABLED(enter))
		STAP_PROBE5(usdtlib, enter, n, v, v[i], v[i + 1], hidden_table[i & 3]);
	for (int k = 0; k < n; k++)
		total += v[k] * (k + 1);
	hidden_counter += (int)total;
	if (ENABLED(global))
		STAP_PROBE4(usdtlib, global, usdtlib_counter, &usdtlib_counter, hidden_counter,
			    &hidden_counter);
	if (ENABLED(ratio))
		STAP_PROBE3(usdtlib, ratio, scale, total * scale, (float)scale);
	if (ENABLED(leave))
		STAP_PROBE2(usdtlib, leave, n, total);
	return total;
}
