/*
 * The program of `make bench-trace` (internal/bench/tracebench): fires the
 * probe bench:loop N times (argv[1], default 1,000,000) from a noinline
 * function, with the loop counter i = 0 .. N-1 as its one argument, so
 * that a tracer's output can be checked hit by hit. Prints one line,
 * "fired N start_ns loop_ns": the hits it fired, CLOCK_MONOTONIC at the
 * start of the loop, and the nanoseconds the loop took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/sdt.h>

__attribute__((noinline)) void fire(long i)
{
	STAP_PROBE1(bench, loop, i);
}

static long long ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		fire(i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("fired %ld %lld %lld\n", n, ns(&t0), ns(&t1) - ns(&t0));
	return 0;
}
