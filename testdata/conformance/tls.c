/*
 * Case tls: thread-local variables passed to probes directly. gcc -O2/-O3
 * on x86-64 writes them relative to the thread pointer, the %fs base:
 * -4@%fs:t_int@tpoff, -1@%fs:t_i8@tpoff, 8@%fs:t_u64@tpoff, and an element
 * by a variable index, -4@%fs:t_arr@tpoff(,%rdi,4). usdtspec's extension
 * kind "tls" reads memory at fsbase + offset [+ index*scale], the fsbase
 * from the current task (task->thread.fsbase) and sym@tpoff from the
 * executable's PT_TLS (x86-64 TLS variant II). gcc -O0 and clang load the
 * values into registers or the stack first, as other architectures'
 * compilers do; those builds check the plain kinds.
 *
 * i386 gcc writes -4@%gs:t_int@ntpoff and mips64 gcc
 * -4@%tprel_lo(t_int)($6), which usdtspec does not read: those forms are
 * unsupported_tprel's, a known failure. Here every architecture but
 * x86-64 passes the values through registers, so the case checks the
 * rest there.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/sdt.h>

#include "case.h"

__thread int t_int = -77;
__thread int8_t t_i8 = -5;
__thread uint64_t t_u64 = 0xfedcba9876543210ull;
__thread int t_arr[8] = {10, -20, 30, -40, 50, -60, 70, -80};

#if !defined(__x86_64__)
/* An empty asm that takes the value in a register: the operand is then
 * that register, not %gs:sym@ntpoff or %tprel_lo(sym)($6). */
#define TLS_ARG(x) ({ __typeof__(x) _v = (x); __asm__("" : "+r"(_v)); _v; })
#else
#define TLS_ARG(x) (x)
#endif

NOINLINE void tls_line(long i)
{
	emit_begin("tls:vars");
	EMIT(t_int);
	EMIT(t_i8);
	EMIT(t_u64);
	EMIT(t_arr[i]);
	emit_end();
}

NOINLINE void tls_vars(long i)
{
	STAP_PROBE4(tls, vars, TLS_ARG(t_int), TLS_ARG(t_i8), TLS_ARG(t_u64), TLS_ARG(t_arr[i]));
	tls_line(i);
}

volatile long vindex = 1;

/* A second thread has its own copies, at its own thread pointer: it fires
 * with its initial values and then its own, and main's values, set before
 * it started, are not what it sees. */
static void *second_thread(void *arg)
{
	(void)arg;
	tls_vars(vindex + 4);
	t_int = -1000;
	t_i8 = -128;
	t_u64 = 0x8000000000000000ull;
	t_arr[7] = 12345;
	tls_vars(7);
	return 0;
}

int main(void)
{
	pthread_t t;

	case_init();
	tls_vars(vindex);
	t_int = 6;
	t_i8 = 127;
	t_u64 = 1;
	if (pthread_create(&t, 0, second_thread, 0) || pthread_join(t, 0))
		return 1;
	tls_vars(vindex + 2);
	return 0;
}
