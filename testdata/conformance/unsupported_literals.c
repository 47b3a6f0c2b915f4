/*
 * Case unsupported_literals (KNOWN FAILURE: no symbol names the
 * operand): floating point literals passed to the probe. The "nor"
 * constraint has no immediate form for them, so gcc -O2/-O3 and clang
 * at every level on x86 read them from the constant pool, behind
 * assembler-local labels that no symbol table keeps: 8f@.LC5(%rip),
 * 4f@.LCPI1_1(%rip), 4f@.LC3@GOTOFF(%eax). (gcc -O0, and the other
 * architectures' compilers, load them into registers first, so those
 * builds pass.)
 */
#include <sys/sdt.h>

#include "case.h"

/* Printed by a separate function, so that the probe's operands are not
 * shared with the printf arguments. */
NOINLINE void float_literals_line(void)
{
	emit_begin("unsupported:float_literals");
	EMIT(1.5);
	EMIT(-0.25f);
	EMIT(1e300);
	emit_end();
}

NOINLINE void float_literals(void)
{
	STAP_PROBE3(unsupported, float_literals, 1.5, -0.25f, 1e300);
	float_literals_line();
}

int main(void)
{
	case_init();
	float_literals();
	float_literals();
	return 0;
}
