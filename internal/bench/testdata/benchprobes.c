/*
 * The probes `make bench` times (internal/bench), built by the Makefile's
 * bench target with gcc -O2 into build/bench/benchprobes:
 *
 *   bench:sites   one probe at 1,000 call sites (a macro loop), one argument
 *                 each (the same operand at every site), for the attach and
 *                 detach figures;
 *   bench:args12  one call site with 12 arguments (v, v+1, ..., v+11), for
 *                 the per-hit figures.
 *
 * Each line "FORM N V" on stdin (FORM: args12, sites or none) calls the
 * noinline function holding that probe N times with value V, then prints
 * the nanoseconds the N calls took (CLOCK_MONOTONIC). FORM "none" times the
 * loop around a function without a probe.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/sdt.h>

#define NOINLINE __attribute__((noinline))

#define X10(s) s s s s s s s s s s
#define X1000(s) X10(X10(X10(s)))

NOINLINE void fire_sites(long v)
{
	X1000(STAP_PROBE1(bench, sites, v);)
}

NOINLINE void fire_args12(long v)
{
	STAP_PROBE12(bench, args12, v, v + 1, v + 2, v + 3, v + 4, v + 5, v + 6, v + 7, v + 8, v + 9,
		     v + 10, v + 11);
}

NOINLINE void fire_none(long v)
{
	__asm__ __volatile__("" ::"r"(v) : "memory");
}

int main(void)
{
	char form[16];
	long n, v;

	while (scanf("%15s %ld %ld", form, &n, &v) == 3) {
		void (*fire)(long) = fire_none;
		struct timespec t0, t1;

		if (!strcmp(form, "args12"))
			fire = fire_args12;
		else if (!strcmp(form, "sites"))
			fire = fire_sites;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < n; i++)
			fire(v);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
		fflush(stdout);
	}
	return 0;
}
