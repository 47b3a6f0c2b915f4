/*
 * The process `go run ./internal/bench -sections process` attaches to
 * (internal/bench builds it, into build/bench/proc/): one source built four
 * times, as three shared libraries (-DLIB -DPROV=procA, procB, procC:
 * libprocA.so, ...) and as the executable (-DPROV=procmain: procprobes),
 * which links the three and libstdc++ (whose own probes, cxx:throw and the
 * like, come with it). Each file has 20 probes, PROV:p00 ... PROV:p19, each
 * at 10 call sites with 2 arguments (v, v + 1N), none with a semaphore:
 * 200 call sites per file, 800 in the four, plus libstdc++'s.
 *
 * The executable reads stdin until EOF (the bench attaches to it while it
 * waits), then calls every call site once, so the probes are live code.
 */
#include <stdio.h>
#include <sys/sdt.h>

#define SITE(n) STAP_PROBE2(PROV, p##n, v, v + 1##n);
#define X10S(n) SITE(n) SITE(n) SITE(n) SITE(n) SITE(n) SITE(n) SITE(n) SITE(n) SITE(n) SITE(n)
#define X10(d) X10S(d##0) X10S(d##1) X10S(d##2) X10S(d##3) X10S(d##4) X10S(d##5) X10S(d##6) X10S(d##7) X10S(d##8) X10S(d##9)

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

__attribute__((noinline)) void CAT(fire_, PROV)(long v)
{
	X10(0) X10(1)
}

#ifndef LIB
void fire_procA(long);
void fire_procB(long);
void fire_procC(long);

int main(void)
{
	char line[64];

	while (fgets(line, sizeof(line), stdin))
		;
	fire_procmain(1);
	fire_procA(2);
	fire_procB(3);
	fire_procC(4);
	return 0;
}
#endif
