// Package ppc64 is the 64-bit PowerPC (EM_PPC64, big- and little-endian)
// operand grammar and the powerpc struct pt_regs table.
//
// sys/sdt.h on powerpc passes each argument with the "nZr" constraint and
// prints it with "%I": a constant gets an "i" prefix ("i5", "i-9"), and
// gcc names general registers by bare number unless -mregnames is given
// ("3" is r3, never the constant 3; "%r3" with -mregnames). Memory is
// "D(R)" for an indirect or offset address ("0(9)", "-4(31)") and "RA,RB"
// for an indexed one ("8,11": the address is RA + RB). In both forms an RA
// (base) field of 0 means the literal 0, not r0; in RB it is r0.
// The byte order is the file's; the grammar is the same for both.
//
// A bare number always reads as a general register. sys/sdt.h's "nZr"
// never puts an argument in a floating-point register, but a program that
// overrides STAP_SDT_ARG_CONSTRAINT to allow "f" gets floating-point
// registers printed as bare numbers too ("8f@1" for f1), which no parser
// can tell from r1; only with -mregnames ("%f1") is that detected.
package ppc64

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is 64-bit PowerPC, big- and little-endian.
// IPOffset is pt_regs.nip.
var Arch = &arch.Arch{Name: "ppc64", Machine: elf.EM_PPC64, Class: elf.ELFCLASS64, IPOffset: 256, ParseOperand: parseOperand, GOARCH: []string{"ppc64le", "ppc64"}}

// ptRegs is offsetof(struct pt_regs, gpr[N]) for powerpc
// (arch/powerpc/include/uapi/asm/ptrace.h: unsigned long gpr[32], then
// nip at 256, msr, ...), so gpr[N] is at 8*N. Each register is keyed by
// the bare number gcc prints ("3") and by its -mregnames name ("r3", which
// the operand writes "%r3"). The floating-point and vector registers are
// not in pt_regs.
var ptRegs = arch.RegTable{
	"0": 0, "r0": 0,
	"1": 8, "r1": 8,
	"2": 16, "r2": 16,
	"3": 24, "r3": 24,
	"4": 32, "r4": 32,
	"5": 40, "r5": 40,
	"6": 48, "r6": 48,
	"7": 56, "r7": 56,
	"8": 64, "r8": 64,
	"9": 72, "r9": 72,
	"10": 80, "r10": 80,
	"11": 88, "r11": 88,
	"12": 96, "r12": 96,
	"13": 104, "r13": 104,
	"14": 112, "r14": 112,
	"15": 120, "r15": 120,
	"16": 128, "r16": 128,
	"17": 136, "r17": 136,
	"18": 144, "r18": 144,
	"19": 152, "r19": 152,
	"20": 160, "r20": 160,
	"21": 168, "r21": 168,
	"22": 176, "r22": 176,
	"23": 184, "r23": 184,
	"24": 192, "r24": 192,
	"25": 200, "r25": 200,
	"26": 208, "r26": 208,
	"27": 216, "r27": 216,
	"28": 224, "r28": 224,
	"29": 232, "r29": 232,
	"30": 240, "r30": 240,
	"31": 248, "r31": 248,
}

// floatFiles are the register files outside pt_regs, by prefix, with the
// highest number each takes: floating-point f0-f31, AltiVec v0-v31 and
// VSX vs0-vs63. The prefixes are tried in order.
var floatFiles = []struct {
	prefix string
	hi     int
}{{"vs", 63}, {"f", 31}, {"v", 31}}

// register resolves a general register: "N", "%rN" or "rN". It fails with
// ErrSyntax if s, a part of the operand op, is not shaped like a register
// at all.
func register(s, op string) (arch.Register, error) {
	name, percent := strings.CutPrefix(s, "%")
	if percent && !lex.IsWord(name) || !lex.IsAlnum(name) {
		if s == op {
			return arch.Register{}, fmt.Errorf("%w: %q is not a register", arch.ErrSyntax, s)
		}
		return arch.Register{}, fmt.Errorf("%w: %q is not a register in %q", arch.ErrSyntax, s, op)
	}
	if off, ok := ptRegs[name]; ok {
		return arch.Register{Name: name, Offset: off}, nil
	}
	if !percent && lex.IsDigits(name) {
		return arch.Register{}, fmt.Errorf("%w %q (general registers are 0-31)", arch.ErrUnknownRegister, s)
	}
	for _, ff := range floatFiles {
		if num, ok := strings.CutPrefix(name, ff.prefix); ok && lex.IsRegisterNumber(num, ff.hi) {
			return arch.Register{}, fmt.Errorf("%w: %s", arch.ErrFloatRegister, s)
		}
	}
	return arch.Register{}, fmt.Errorf("%w %q", arch.ErrUnknownRegister, s)
}

// isRegister reports whether a whole operand is shaped like a register:
// digits, "%name", or a letter prefix of a register file and digits.
func isRegister(s string) bool {
	if lex.IsDigits(s) || strings.HasPrefix(s, "%") {
		return true
	}
	for _, p := range []string{"r", "vs", "f", "v"} {
		if num, ok := strings.CutPrefix(s, p); ok && lex.IsDigits(num) {
			return true
		}
	}
	return false
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case isImmediate(op):
		v, err := lex.ParseImmediate(op[1:])
		if err != nil {
			return arch.Operand{}, fmt.Errorf("in %q: %w", op, err)
		}
		return arch.Operand{Kind: arch.Const, Value: v}, nil
	case strings.HasSuffix(op, ")"):
		return parseMemory(op)
	case strings.Contains(op, ","):
		return parseIndexed(op)
	case isRegister(op):
		r, err := register(op, op)
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Reg, Base: r}, nil
	}
	// Not a register, not an "i" immediate: a symbol, or a number written
	// the way other architectures write immediates.
	if !lex.IsExpr(op) {
		return arch.Operand{}, fmt.Errorf("%w: bad operand %q", arch.ErrSyntax, op)
	}
	if _, err := lex.ParseDisplacement(op); errors.Is(err, arch.ErrSymbolic) {
		return arch.Operand{}, err
	}
	return arch.Operand{}, fmt.Errorf("%w: %q is neither a register nor an immediate (powerpc immediates are iN)", arch.ErrSyntax, op)
}

// isImmediate reports whether op is "i" and a number ("i5", "i-9").
func isImmediate(op string) bool {
	if len(op) < 2 || op[0] != 'i' {
		return false
	}
	return lex.IsDigit(op[1]) || op[1] == '-' && len(op) > 2 && lex.IsDigit(op[2])
}

// parseMemory parses D(R) and (R): the address is R + D, or D if R is 0.
func parseMemory(op string) (arch.Operand, error) {
	dispText, baseText, err := lex.CutParens(op)
	if err != nil {
		return arch.Operand{}, err
	}
	disp, err := lex.ParseDisplacement(dispText)
	if err != nil {
		return arch.Operand{}, err
	}
	if baseText == "" {
		return arch.Operand{}, fmt.Errorf("%w: missing base register in %q", arch.ErrSyntax, op)
	}
	base, err := register(baseText, op)
	if err != nil {
		return arch.Operand{}, err
	}
	if base.Offset == 0 {
		return arch.Operand{}, fmt.Errorf("%w: absolute address %q (base register 0 means the literal 0)", arch.ErrUnsupported, op)
	}
	return arch.Operand{Kind: arch.Deref, Base: base, Offset: disp}, nil
}

// parseIndexed parses RA,RB: the address is RA + RB, or RB if RA is 0.
func parseIndexed(op string) (arch.Operand, error) {
	parts := strings.Split(op, ",")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return arch.Operand{}, fmt.Errorf("%w: %q (want RA,RB)", arch.ErrSyntax, op)
	}
	ra, err := register(parts[0], op)
	if err != nil {
		return arch.Operand{}, err
	}
	rb, err := register(parts[1], op)
	if err != nil {
		return arch.Operand{}, err
	}
	if ra.Offset == 0 {
		return arch.Operand{Kind: arch.Deref, Base: rb}, nil
	}
	return arch.Operand{Kind: arch.SIB, Base: ra, Index: rb, Scale: 1}, nil
}
