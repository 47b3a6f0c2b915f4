/*
 * Case unsupported_tprel (KNOWN FAILURE on i386 and mips64): a
 * thread-local variable passed to the probe directly, in the forms
 * relative to the thread pointer that usdtspec does not read:
 *
 *  - i386 gcc -O2: -4@%gs:t_int@ntpoff. The %gs base is a GDT entry of
 *    the task (thread.tls_array[]), picked by a selector the kernel saves
 *    only when the task is switched out, so the BPF side cannot tell
 *    which entry is in use;
 *  - mips64 gcc -O2: -4@%tprel_lo(t_int)($6), the low bits of the
 *    variable's offset added to a register that holds the thread pointer
 *    plus the high bits: MIPS's TLS layout (TP 0x7000 past the block) is
 *    not implemented.
 *
 * usdtspec fails that argument alone (bpf_usdt_arg returns -EINVAL).
 * x86-64's -4@%fs:t_int@tpoff is read (case tls), and gcc -O0, clang and
 * the other architectures' compilers load the value into a register
 * first, so those builds pass.
 */
#include <sys/sdt.h>

#include "case.h"

__thread int t_int = -77;

NOINLINE void tls(void)
{
	STAP_PROBE1(unsupported, tprel, t_int);
	emit_begin("unsupported:tprel");
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
