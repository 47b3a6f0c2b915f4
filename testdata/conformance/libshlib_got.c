/*
 * Shared library of case shlib: a global reached through the GOT. The
 * global is exported and so preemptible: -fPIC code finds its address in
 * its GOT slot, which the dynamic loader fills at run time. gcc -O2 on
 * x86-64 passes that address as the slot itself,
 * "8@shlib_global@GOTPCREL(%rip)" (a memory operand holding the value);
 * the slot exists because shlib_global_address's code uses it too (a
 * note is no relocation: without that, the linker makes no slot). Other
 * compilers and architectures load it into a register first.
 */
#include <sys/sdt.h>

#include "case.h"
#include "shlib.h"

int shlib_global = 1234;

NOINLINE int *shlib_global_address(void)
{
	return &shlib_global;
}

/* The lines are printed by separate functions, so that the probes' own
 * functions need the address for nothing else and gcc keeps it in memory,
 * in the GOT slot. */
NOINLINE void shlib_got_address_line(void)
{
	emit_begin("shlib:got_address");
	EMIT_P(shlib_global_address());
	emit_end();
}

NOINLINE void shlib_got_value_line(void)
{
	emit_begin("shlib:got_value");
	EMIT(*shlib_global_address());
	emit_end();
}

NOINLINE void shlib_got_address(void)
{
	STAP_PROBE1(shlib, got_address, &shlib_global);
	shlib_got_address_line();
}

NOINLINE void shlib_got_value(void)
{
	STAP_PROBE1(shlib, got_value, shlib_global);
	shlib_got_value_line();
}

NOINLINE void shlib_got(void)
{
	shlib_got_address();
	shlib_got_value();
}
