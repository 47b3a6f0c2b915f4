// A target for the usdt tests: for each number read from stdin it fires
// test:sema (only when its semaphore is set, as real software does) and
// test:plain, then prints the semaphore's value.
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>

unsigned short test_sema_semaphore __attribute__((unused)) __attribute__((section(".probes")));
/* With _SDT_HAS_SEMAPHORES every probe of the file has one; plain ignores it. */
unsigned short test_plain_semaphore __attribute__((unused)) __attribute__((section(".probes")));

int main(void)
{
	char buf[64];

	while (fgets(buf, sizeof(buf), stdin)) {
		long v = atol(buf);

		if (test_sema_semaphore)
			STAP_PROBE1(test, sema, v);
		STAP_PROBE2(test, plain, v, -v);
		printf("%u\n", (unsigned)test_sema_semaphore);
		fflush(stdout);
	}
	return 0;
}
