// Package mips64 is the 64-bit MIPS (EM_MIPS, ELFCLASS64: the n64 ABI)
// operand grammar, as gcc and clang print sys/sdt.h operands (registers
// "$4", "$sp", immediates "5" and "-9", memory "16($4)", "44($sp)"), and
// the 64-bit MIPS kernel's struct pt_regs table. The file's byte order
// (mips64el or mips64) does not change the grammar or the table.
//
// What the compilers print (mips64el-linux-gnuabi64-gcc 12 and clang 14 at
// -O0/-O2/-Os/-fPIC, checked in mips64_test.go): gcc names registers by
// number ("$4", "$31") except $sp and $fp; clang the same, with "$zero",
// "$gp", "$ra" for those; memory is "D($reg)"; a non-PIC -msym32 build
// prints "%lo(sym)($2)".
//
// Decisions beyond what the compilers print:
//   - The n64 ABI names of GNU as are accepted ($a0-$a7, $t0-$t3, $ta0-$ta3,
//     $s0-$s8, $v0, $v1, $t8, $t9, $at, $gp, $ra); $t0-$t3 are $12-$15 as in
//     n64, not $8-$11 as in o32 (an ELFCLASS64 file is n64).
//   - "$0"/"$zero" as a value is the constant 0 (it has no pt_regs slot);
//     as a memory base it makes an absolute address, ErrUnsupported.
//   - $26/$27 ($k0/$k1) are ErrUnsupported: the kernel uses them on
//     exception entry and does not save them in pt_regs.
//   - "%lo(sym)($r)" and "%got_ofst(sym)($r)" read memory at the symbol:
//     the base register holds the rest of its address (lui %hi, or its
//     %got_page entry), and the compiler adds the low 16 bits of sym+N,
//     sign-extended (arch.SymbolLow16Signed). The other relocation
//     operators are ErrSymbolic.
//   - FP registers ($fN) and MSA vector registers ($wN) are
//     ErrFloatRegister; $fcc0-$fcc7 are ErrUnsupported.
package mips64

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is 64-bit MIPS (n64), either byte order. IPOffset is
// offsetof(struct pt_regs, cp0_epc) of a 64-bit kernel: regs[32], then
// cp0_status, hi, lo, cp0_badvaddr, cp0_cause, cp0_epc, 8 bytes each. The
// UAPI header's struct pt_regs (lo, hi, cp0_epc, ...) is the ptrace
// layout, not the kernel's, and puts cp0_epc at 272.
var Arch = &arch.Arch{Name: "mips64", Machine: elf.EM_MIPS, Class: elf.ELFCLASS64, IPOffset: epcOffset,
	ParseOperand: parseOperand, GOARCH: []string{"mips64le", "mips64"}}

// epcOffset is offsetof(struct pt_regs, cp0_epc) of a 64-bit kernel,
// without CONFIG_CPU_HAS_SMARTMIPS (a MIPS32-only extension, whose acx
// slot would come before cp0_badvaddr).
const epcOffset = 32*8 + 5*8

// ptRegs is offsetof(struct pt_regs, regs[N]) of the 64-bit MIPS kernel
// (arch/mips/include/asm/ptrace.h: the unsigned long pad0[8] before
// regs[32] is there only under CONFIG_32BIT, so $N is at 8*N; the UAPI
// header's struct pt_regs starts the same way). Names are without '$':
// "1".."31" and the n64 ABI names. $0 (zero) is hardwired and not in the
// table; $26 and $27 (k0, k1) are not saved by the kernel and not in it.
var ptRegs = arch.RegTable{
	"1": 8, "at": 8,
	"2": 16, "v0": 16,
	"3": 24, "v1": 24,
	"4": 32, "a0": 32,
	"5": 40, "a1": 40,
	"6": 48, "a2": 48,
	"7": 56, "a3": 56,
	"8": 64, "a4": 64, "ta0": 64,
	"9": 72, "a5": 72, "ta1": 72,
	"10": 80, "a6": 80, "ta2": 80,
	"11": 88, "a7": 88, "ta3": 88,
	"12": 96, "t0": 96,
	"13": 104, "t1": 104,
	"14": 112, "t2": 112,
	"15": 120, "t3": 120,
	"16": 128, "s0": 128,
	"17": 136, "s1": 136,
	"18": 144, "s2": 144,
	"19": 152, "s3": 152,
	"20": 160, "s4": 160,
	"21": 168, "s5": 168,
	"22": 176, "s6": 176,
	"23": 184, "s7": 184,
	"24": 192, "t8": 192,
	"25": 200, "t9": 200,
	"28": 224, "gp": 224,
	"29": 232, "sp": 232,
	"30": 240, "fp": 240, "s8": 240,
	"31": 248, "ra": 248,
}

// isZero reports whether name (without '$') is the hardwired zero.
func isZero(name string) bool { return name == "zero" || name == "0" }

// kernelOnly are the names of $26 and $27, which the kernel's exception
// entry clobbers without saving.
var kernelOnly = map[string]bool{"26": true, "27": true, "k0": true, "k1": true, "kt0": true, "kt1": true}

// regFile is a family of numbered register names outside pt_regs.
type regFile struct {
	prefix string
	hi     int
	err    error
	what   string
}

// otherFiles are the register names that are not general registers,
// longest prefix first so that "fcc0" is not read as "f" + "cc0".
var otherFiles = []regFile{
	{"fcc", 7, arch.ErrUnsupported, "FP condition code"},
	{"f", 31, arch.ErrFloatRegister, "FP register"},
	{"w", 31, arch.ErrFloatRegister, "MSA vector register"},
}

// register resolves a '$' register name (without the '$') of a general
// register; zero is the caller's business. op is the whole operand.
func register(name, op string) (arch.Register, error) {
	if off, ok := ptRegs[name]; ok {
		return arch.Register{Name: name, Offset: off}, nil
	}
	if kernelOnly[name] {
		return arch.Register{}, fmt.Errorf("%w: $%s (k0/k1) in %q: the kernel does not save it in pt_regs", arch.ErrUnsupported, name, op)
	}
	for _, f := range otherFiles {
		if num, ok := strings.CutPrefix(name, f.prefix); ok && lex.IsRegisterNumber(num, f.hi) {
			return arch.Register{}, fmt.Errorf("%w: $%s (%s) in %q", f.err, name, f.what, op)
		}
	}
	if !lex.IsAlnum(name) {
		return arch.Register{}, fmt.Errorf("%w: %q is not a register name in %q", arch.ErrSyntax, "$"+name, op)
	}
	return arch.Register{}, fmt.Errorf("%w $%s in %q", arch.ErrUnknownRegister, name, op)
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case op[0] == '$':
		if isZero(op[1:]) {
			// Reads as 0 and has no pt_regs slot.
			return arch.Operand{Kind: arch.Const}, nil
		}
		r, err := register(op[1:], op)
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Reg, Base: r}, nil
	case op[0] == '%':
		return relocation(op)
	case strings.HasSuffix(op, ")"):
		return parseMemory(op)
	}
	return lex.ParseImmediateOperand(op)
}

// lowRelocations are the relocation operators whose value is the low 16
// bits of sym+N, sign-extended, added to a base register that holds the
// rest: %lo after "lui %hi(sym)", %got_ofst after a load of the symbol's
// %got_page entry.
var lowRelocations = map[string]bool{"lo": true, "got_ofst": true}

// relocation parses an operand that starts with '%': "%lo(sym+N)($r)" and
// "%got_ofst(sym)($r)" read memory at the symbol (the compiler adds the
// low bits); other relocation operators ("%got_disp", "%tprel_lo", or
// %lo without a base) are ErrSymbolic; anything else is a syntax error.
func relocation(op string) (arch.Operand, error) {
	name, expr, rest, _ := lex.CutRelocation(op)
	if !lex.IsRelocation(op) || (rest != "" && !strings.HasPrefix(rest, "(")) {
		return arch.Operand{}, fmt.Errorf("%w: %q (MIPS registers are written $name)", arch.ErrSyntax, op)
	}
	o, ok := lex.LowRelocation(expr, arch.SymbolLow16Signed)
	baseText, isBase := strings.CutPrefix(rest, "($")
	if !lowRelocations[name] || !ok || !isBase || !strings.HasSuffix(baseText, ")") {
		return arch.Operand{}, fmt.Errorf("%w: relocation in %q", arch.ErrSymbolic, op)
	}
	baseName := strings.TrimSuffix(baseText, ")")
	if isZero(baseName) {
		return arch.Operand{}, fmt.Errorf("%w: absolute address %q (base register is the hardwired zero)", arch.ErrUnsupported, op)
	}
	base, err := register(baseName, op)
	if err != nil {
		return arch.Operand{}, err
	}
	o.Base = base
	return o, nil
}

// parseMemory parses D($reg) and ($reg); the address is reg + D.
func parseMemory(op string) (arch.Operand, error) {
	dispText, baseText, err := lex.CutParens(op)
	if err != nil {
		return arch.Operand{}, err
	}
	disp, err := lex.ParseDisplacement(dispText)
	if err != nil {
		return arch.Operand{}, fmt.Errorf("%w in %q", err, op)
	}
	name, ok := strings.CutPrefix(baseText, "$")
	if !ok {
		return arch.Operand{}, fmt.Errorf("%w: %q is not a base register in %q", arch.ErrSyntax, baseText, op)
	}
	if isZero(name) {
		return arch.Operand{}, fmt.Errorf("%w: absolute address %q (base register is the hardwired zero)", arch.ErrUnsupported, op)
	}
	base, err := register(name, op)
	if err != nil {
		return arch.Operand{}, err
	}
	return arch.Operand{Kind: arch.Deref, Base: base, Offset: disp}, nil
}
