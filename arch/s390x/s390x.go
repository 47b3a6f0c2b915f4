// Package s390x is the IBM Z (EM_S390, 64-bit) operand grammar, as gcc
// and clang print sys/sdt.h operands (registers "%r2", immediates "5",
// memory "160(%r15)" and "D(%rX,%rB)"), and the s390x user_pt_regs table.
package s390x

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is s390x.
// IPOffset is user_pt_regs.psw.addr (after args[1] and psw.mask).
var Arch = &arch.Arch{Name: "s390x", Machine: elf.EM_S390, Class: elf.ELFCLASS64, IPOffset: 16, ParseOperand: parseOperand, GOARCH: []string{"s390x"}}

// ptRegs is offsetof(user_pt_regs, gprs[N]) for s390x
// (arch/s390/include/uapi/asm/ptrace.h: unsigned long args[1]; psw_t psw
// (16 bytes); unsigned long gprs[16]), so gprs[N] is at 24 + 8*N. The
// kernel's struct pt_regs, which a uprobe program reads, begins with the
// same fields. Access, control, floating-point and vector registers are not
// in it.
var ptRegs = arch.RegTable{
	"r0":  24,
	"r1":  32,
	"r2":  40,
	"r3":  48,
	"r4":  56,
	"r5":  64,
	"r6":  72,
	"r7":  80,
	"r8":  88,
	"r9":  96,
	"r10": 104,
	"r11": 112,
	"r12": 120,
	"r13": 128,
	"r14": 136,
	"r15": 144,
}

// register resolves "%name".
func register(s string) (arch.Register, error) {
	name, ok := strings.CutPrefix(s, "%")
	if !ok || !lex.IsRegisterWord(name) {
		return arch.Register{}, fmt.Errorf("%w: %q is not a register (want %%rN)", arch.ErrSyntax, s)
	}
	if r, err := ptRegs.Lookup(name); err == nil {
		return r, nil
	}
	switch num := name[1:]; name[0] {
	case 'f':
		if lex.IsRegisterNumber(num, 15) {
			return arch.Register{}, fmt.Errorf("%w: %s", arch.ErrFloatRegister, s)
		}
	case 'v':
		if lex.IsRegisterNumber(num, 31) {
			return arch.Register{}, fmt.Errorf("%w: %s (vector register)", arch.ErrFloatRegister, s)
		}
	case 'a':
		if lex.IsRegisterNumber(num, 15) {
			return arch.Register{}, fmt.Errorf("%w: access register %s is not in pt_regs", arch.ErrUnsupported, s)
		}
	case 'c':
		if lex.IsRegisterNumber(num, 15) {
			return arch.Register{}, fmt.Errorf("%w: control register %s is not in pt_regs", arch.ErrUnsupported, s)
		}
	}
	_, err := ptRegs.Lookup(name)
	return arch.Register{}, err
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case op[0] == '%':
		r, err := register(op)
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Reg, Base: r}, nil
	case strings.HasSuffix(op, ")"):
		return parseMemory(op)
	}
	v, err := lex.ParseImmediate(op)
	if err != nil {
		if errors.Is(err, arch.ErrSyntax) {
			// "8+sym": ParseImmediate only sees that it is not a number.
			if _, derr := lex.ParseDisplacement(op); errors.Is(derr, arch.ErrSymbolic) {
				return arch.Operand{}, derr
			}
		}
		return arch.Operand{}, err
	}
	return arch.Operand{Kind: arch.Const, Value: v}, nil
}

// parseMemory parses D(%rB), (%rB), D(%rX,%rB) and D(,%rB). The address is
// B + X + D. Register 0 in the B or X field means "none" to the hardware,
// not the contents of %r0.
func parseMemory(op string) (arch.Operand, error) {
	dispText, inner, err := lex.CutParens(op)
	if err != nil {
		return arch.Operand{}, err
	}
	disp, err := lex.ParseDisplacement(dispText)
	if err != nil {
		return arch.Operand{}, err
	}
	parts := strings.Split(inner, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	var baseText, indexText string
	switch len(parts) {
	case 1:
		baseText = parts[0]
	case 2:
		indexText, baseText = parts[0], parts[1]
	default:
		return arch.Operand{}, fmt.Errorf("%w: too many terms in %q (want D(%%rX,%%rB))", arch.ErrSyntax, op)
	}
	if baseText == "" {
		return arch.Operand{}, fmt.Errorf("%w: missing base register in %q", arch.ErrSyntax, op)
	}
	base, err := register(baseText)
	if err != nil {
		return arch.Operand{}, err
	}
	var index arch.Register
	hasIndex := indexText != ""
	if hasIndex {
		if index, err = register(indexText); err != nil {
			return arch.Operand{}, err
		}
	}
	if hasIndex && index.Name == "r0" {
		hasIndex = false // %r0 as index: no index
	}
	if base.Name == "r0" {
		if !hasIndex {
			return arch.Operand{}, fmt.Errorf("%w: absolute address %q (%%r0 as base means no base)", arch.ErrUnsupported, op)
		}
		base, hasIndex = index, false // %r0 as base: the index is the only register
	}
	if !hasIndex {
		return arch.Operand{Kind: arch.Deref, Base: base, Offset: disp}, nil
	}
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: 1, Offset: disp}, nil
}
