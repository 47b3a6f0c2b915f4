// Package i386 is the grammar of 32-bit x86 (EM_386) binaries as an
// x86-64 kernel traces them: AT&T syntax (arch/amd64's grammar) over the
// 32-, 16- and 8-bit register names, whose values the kernel saves in its
// 64-bit struct pt_regs, and "sym@GOTOFF(%reg)" operands of PIC code.
package i386

import (
	"debug/elf"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/amd64"
)

// Arch is 32-bit x86 on an x86-64 kernel. IPOffset is pt_regs.ip.
var Arch = &arch.Arch{Name: "i386", Machine: elf.EM_386, Class: elf.ELFCLASS32, IPOffset: 128, RegisterBytes: 4,
	RegisterPair: registerPair, ParseOperand: grammar.ParseOperand, GOARCH: []string{"amd64"}}

// pairHigh is where a 64-bit value named by its low register keeps its
// high half. gcc puts a DImode value in two hard registers numbered N and
// N+1 in its own order (ax, dx, cx, bx, si, di, bp): "-8@%eax" is
// eax:edx, "-8@%ecx" is ecx:ebx, "-8@%esi" is esi:edi (the i386
// conformance builds check each at -O0 and -O2). clang passes a 64-bit
// probe argument in memory instead ("-8@16(%esp)"): with sys/sdt.h's
// "nor" constraint it never names a register for one.
var pairHigh = map[string]string{"eax": "edx", "edx": "ecx", "ecx": "ebx", "ebx": "esi", "esi": "edi", "edi": "ebp"}

func registerPair(low arch.Register) (arch.Register, bool) {
	hi, ok := pairHigh[low.Name]
	if !ok {
		return arch.Register{}, false
	}
	r, err := ptRegs.Lookup(hi)
	return r, err == nil
}

var grammar = &amd64.Grammar{Regs: ptRegs, Relocations: map[string]arch.SymbolRef{"GOTOFF": arch.SymbolGOTOffset}}

// ptRegs is offsetof(struct pt_regs, field) of the x86_64 kernel
// (arch/x86/include/asm/ptrace.h) for the registers a 32-bit program
// has: a compat task's registers are saved zero-extended in the same
// slots as a 64-bit task's.
var ptRegs = arch.RegTable{
	"ebp": 32, "bp": 32,
	"ebx": 40, "bx": 40, "bl": 40,
	"eax": 80, "ax": 80, "al": 80,
	"ecx": 88, "cx": 88, "cl": 88,
	"edx": 96, "dx": 96, "dl": 96,
	"esi": 104, "si": 104,
	"edi": 112, "di": 112,
	"eip": 128,
	"esp": 152, "sp": 152,
}
