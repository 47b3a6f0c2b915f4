/*
 * Case symbolic_literals (KNOWN FAILURE: symbolic operands): floating
 * point literals passed to the probe. The "nor" constraint has no
 * immediate form for them, so gcc -O2/-O3 and clang at every level
 * read them from the constant pool: 8f@.LC5(%rip), 4f@.LCPI1_1(%rip).
 * (gcc -O0 loads them into registers first, so those builds may pass.)
 */
#include <sys/sdt.h>

#include "case.h"

/* Printed by a separate function, so that the probe's operands are not
 * shared with the printf arguments. */
NOINLINE void float_literals_line(void)
{
	emit_begin("symbolic:float_literals");
	EMIT(1.5);
	EMIT(-0.25f);
	EMIT(1e300);
	emit_end();
}

NOINLINE void float_literals(void)
{
	STAP_PROBE3(symbolic, float_literals, 1.5, -0.25f, 1e300);
	float_literals_line();
}

int main(void)
{
	case_init();
	float_literals();
	float_literals();
	return 0;
}
