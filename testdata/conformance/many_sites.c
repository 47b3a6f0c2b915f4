/*
 * Case many_sites: one probe, many:site, at 320 call sites with 320
 * distinct argument strings (more than libbpf's default of 256 specs).
 *
 * SITE(K) is expanded 320 times with K a literal from 0 to 319. The first
 * argument is the constant K - 160 (-8@$-160 ... -8@$159 at every
 * optimisation level, so the strings differ even at -O0); the second is
 * data[K] through a pointer (-8@K*8(%reg) at -O2, a register at -O0).
 * Each site runs once, in order, and prints its line.
 */
#include <stdlib.h>
#include <sys/sdt.h>

#include "case.h"

#define NSITES 320

volatile long vseed = 3;

#define SITE(K)                                                            \
	do {                                                               \
		STAP_PROBE2(many, site, (long)(K) - 160, data[K]);         \
		emit_begin("many:site");                                   \
		EMIT((long)(K) - 160);                                     \
		EMIT(data[K]);                                             \
		emit_end();                                                \
	} while (0);

/* Ten sites K = D0 ... D9 (D empty for the first ten). */
#define SITES10(D) SITE(D##0) SITE(D##1) SITE(D##2) SITE(D##3) SITE(D##4) \
	SITE(D##5) SITE(D##6) SITE(D##7) SITE(D##8) SITE(D##9)

NOINLINE void many_sites(const long *data)
{
	SITES10()
	SITES10(1) SITES10(2) SITES10(3) SITES10(4) SITES10(5) SITES10(6) SITES10(7)
	SITES10(8) SITES10(9) SITES10(10) SITES10(11) SITES10(12) SITES10(13) SITES10(14)
	SITES10(15) SITES10(16) SITES10(17) SITES10(18) SITES10(19) SITES10(20) SITES10(21)
	SITES10(22) SITES10(23) SITES10(24) SITES10(25) SITES10(26) SITES10(27) SITES10(28)
	SITES10(29) SITES10(30) SITES10(31)
}

int main(void)
{
	long *data = malloc(NSITES * sizeof *data);
	long n = vseed;

	case_init();
	for (long k = 0; k < NSITES; k++)
		data[k] = (k * k - 5000) * n;
	many_sites(data);
	free(data);
	return 0;
}
