/*
 * Case unsupported_tls (KNOWN FAILURE: no spec can express it): a
 * thread-local variable passed to the probe directly. gcc -O2 emits it
 * relative to the thread pointer, -4@%fs:t_int@tpoff on x86-64 and
 * -4@%gs:t_int@ntpoff on i386; the segment base is not in pt_regs, so
 * usdtspec refuses the operand (arch.ErrUnsupported) rather than read
 * a wrong address. gcc -O0 and clang load the value into a register
 * first, and other architectures' compilers do, so those builds pass.
 */
#include <sys/sdt.h>

#include "case.h"

__thread int t_int = -77;

NOINLINE void tls(void)
{
	STAP_PROBE1(unsupported, tls, t_int);
	emit_begin("unsupported:tls");
	EMIT(t_int);
	emit_end();
}

int main(void)
{
	case_init();
	tls();
	t_int = 6;
	tls();
	return 0;
}
