package s390x

import (
	"debug/elf"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in user_pt_regs (arch/s390/include/uapi/asm/ptrace.h), worked
// out by hand: unsigned long args[1] at 0, psw_t psw (two unsigned longs)
// at 8, unsigned long gprs[16] from 24, so gprs[N] is at 24 + 8*N.
var (
	r0  = arch.Register{Name: "r0", Offset: 24}
	r1  = arch.Register{Name: "r1", Offset: 32}
	r2  = arch.Register{Name: "r2", Offset: 40}
	r3  = arch.Register{Name: "r3", Offset: 48}
	r4  = arch.Register{Name: "r4", Offset: 56}
	r11 = arch.Register{Name: "r11", Offset: 112}
	r12 = arch.Register{Name: "r12", Offset: 120}
	r15 = arch.Register{Name: "r15", Offset: 144}
)

func reg(r arch.Register) arch.Operand { return arch.Operand{Kind: arch.Reg, Base: r} }

func deref(r arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.Deref, Base: r, Offset: off}
}

func sib(base, index arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: 1, Offset: off}
}

func imm(v uint64) arch.Operand { return arch.Operand{Kind: arch.Const, Value: v} }

func TestParseOperand(t *testing.T) {
	archtest.CheckOperands(t, parseOperand, []archtest.OperandCase{
		{"%r2", reg(r2)},
		{"%r3", reg(r3)},
		{"%r11", reg(r11)},
		{"%r0", reg(r0)},
		{"%r15", reg(r15)},

		{"160(%r15)", deref(r15, 160)},
		{"172(%r11)", deref(r11, 172)},
		{"0(%r1)", deref(r1, 0)},
		{"(%r2)", deref(r2, 0)},
		{"-8(%r15)", deref(r15, -8)},
		{"8+16(%r15)", deref(r15, 24)},
		{"-8-4(%r3)", deref(r3, -12)},
		{"0x10(%r2)", deref(r2, 16)},
		{"4095(%r12)", deref(r12, 4095)},
		{"-524288(%r12)", deref(r12, -524288)},
		{"8(,%r15)", deref(r15, 8)},
		{"( , %r15)", deref(r15, 0)},

		// D(X,B): the first register is the index, the second the base.
		{"0(%r2,%r4)", sib(r4, r2, 0)},
		{"224(%r1,%r15)", sib(r15, r1, 224)},
		{"-8(%r3,%r2)", sib(r2, r3, -8)},
		{"(%r1,%r2)", sib(r2, r1, 0)},
		{"0(%r2, %r4)", sib(r4, r2, 0)},

		// Register 0 in an address field means "no register".
		{"8(%r0,%r4)", deref(r4, 8)},
		{"8(%r4,%r0)", deref(r4, 8)},

		{"5", imm(5)},
		{"-9", imm(0xfffffffffffffff7)},
		{"0", imm(0)},
		{"0x10", imm(16)},
		{"-1", imm(0xffffffffffffffff)},
		{"18446744073709551615", imm(0xffffffffffffffff)},
		{"-9223372036854775808", imm(0x8000000000000000)},
	})
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		{"%f0", arch.ErrFloatRegister, ""},
		{"%f15", arch.ErrFloatRegister, ""},
		{"%v0", arch.ErrFloatRegister, ""},
		{"%v31", arch.ErrFloatRegister, ""},
		{"0(%f2)", arch.ErrFloatRegister, "%f2"},

		{"%a0", arch.ErrUnsupported, ""},
		{"%a15", arch.ErrUnsupported, ""},
		{"%c0", arch.ErrUnsupported, ""},
		{"%c15", arch.ErrUnsupported, ""},
		{"0(%r0)", arch.ErrUnsupported, ""},
		{"8(%r0,%r0)", arch.ErrUnsupported, ""},
		{"(,%r0)", arch.ErrUnsupported, ""},

		{"%r16", arch.ErrUnknownRegister, "r16"},
		{"%r01", arch.ErrUnknownRegister, "r01"},
		{"%f16", arch.ErrUnknownRegister, "f16"},
		{"%v32", arch.ErrUnknownRegister, "v32"},
		{"%a16", arch.ErrUnknownRegister, "a16"},
		{"%x1", arch.ErrUnknownRegister, "x1"},
		{"%sp", arch.ErrUnknownRegister, "sp"},
		{"%R2", arch.ErrUnknownRegister, "R2"},
		{"0(%r16)", arch.ErrUnknownRegister, "r16"},
		{"0(%r16,%r15)", arch.ErrUnknownRegister, "r16"},

		{"sym", arch.ErrSymbolic, ""},
		{"sym+8", arch.ErrSymbolic, ""},
		{"x@GOT", arch.ErrSymbolic, ""},
		{".LC0", arch.ErrSymbolic, ""},
		{"8+sym", arch.ErrSymbolic, ""},
		{"sym(%r12)", arch.ErrSymbolic, "sym"},
		{"x@GOT(%r12)", arch.ErrSymbolic, "x@GOT"},
		{"8+sym(%r1,%r2)", arch.ErrSymbolic, "8+sym"},

		{"99999999999999999999", arch.ErrRange, ""},
		{"99999999999999999999(%r15)", arch.ErrRange, "99999999999999999999"},

		{"", arch.ErrSyntax, ""},
		{"%", arch.ErrSyntax, ""},
		{"%r2)", arch.ErrSyntax, ""},
		{"%r2 ", arch.ErrSyntax, ""},
		{"%r2,%r3", arch.ErrSyntax, ""},
		{"r2", arch.ErrSymbolic, ""}, // without '%' a name is a symbol
		{"(%r2", arch.ErrSyntax, ""},
		{"0(%r2))", arch.ErrSyntax, ""},
		{"0((%r2)", arch.ErrSyntax, ""},
		{"()", arch.ErrSyntax, ""},
		{"0()", arch.ErrSyntax, ""},
		{"0(,)", arch.ErrSyntax, ""},
		{"0(%r2,)", arch.ErrSyntax, ""},
		{"0(%r1,%r2,%r3)", arch.ErrSyntax, ""},
		{"0(r2)", arch.ErrSyntax, "r2"},
		{"8 (%r15)", arch.ErrSyntax, "8 "},
		{"0(%r2)x", arch.ErrSyntax, ""},
		{"0(%r2) ", arch.ErrSyntax, ""},
		{"#5", arch.ErrSyntax, ""},
		{"-", arch.ErrSyntax, ""},
		{"+5", arch.ErrSyntax, ""},
		{"5 ", arch.ErrSyntax, ""},
		{"8+16", arch.ErrSyntax, ""},
	})
}

// TestParseArg runs whole arguments, as gcc 12 and clang 14 emitted them
// (survey section 4.4, Debian corpus), through arch.ParseArg.
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-4@%r2", arch.Arg{Size: 4, Signed: true, Operand: reg(r2)}},
		{"-8@%r3", arch.Arg{Size: 8, Signed: true, Operand: reg(r3)}},
		{"-4@%r11", arch.Arg{Size: 4, Signed: true, Operand: reg(r11)}},
		{"8@160(%r15)", arch.Arg{Size: 8, Operand: deref(r15, 160)}},
		{"-4@172(%r11)", arch.Arg{Size: 4, Signed: true, Operand: deref(r11, 172)}},
		{"-4@0(%r1)", arch.Arg{Size: 4, Signed: true, Operand: deref(r1, 0)}},
		{"-4@5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		{"-4@-9", arch.Arg{Size: 4, Signed: true, Operand: imm(0xfffffffffffffff7)}},
		{"4@-1", arch.Arg{Size: 4, Operand: imm(0xffffffffffffffff)}},
		{"-2@0(%r2,%r4)", arch.Arg{Size: 2, Signed: true, Operand: sib(r4, r2, 0)}},
		{"-4@224(%r1,%r15)", arch.Arg{Size: 4, Signed: true, Operand: sib(r15, r1, 224)}},
		{"8f@%r2", arch.Arg{Size: 8, Float: true, Operand: reg(r2)}},
		{"8f@160(%r15)", arch.Arg{Size: 8, Float: true, Operand: deref(r15, 160)}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		{"8f@%f0", arch.ErrFloatRegister, 8, true},
		{"4f@%f2", arch.ErrFloatRegister, 4, true},
		{"-4@%r16", arch.ErrUnknownRegister, 4, false},
		{"8@sym", arch.ErrSymbolic, 8, false},
		{"-16@%r2", arch.ErrSize, 16, false},
		{"%r2", arch.ErrSyntax, 0, false},
	})
}

// TestSplitNote parses a whole note's argument string.
func TestSplitNote(t *testing.T) {
	note := "-4@%r2 8@160(%r15) -4@224(%r1,%r15) -4@-9"
	want := []arch.Operand{reg(r2), deref(r15, 160), sib(r15, r1, 224), imm(0xfffffffffffffff7)}
	archtest.CheckNote(t, Arch, note, want)
}

// TestRegTable checks the table against user_pt_regs worked out by hand.
func TestRegTable(t *testing.T) {
	want := arch.RegTable{}
	for n := range 16 {
		want[fmt.Sprintf("r%d", n)] = uint16(24 + 8*n)
	}
	if diff := cmp.Diff(want, ptRegs); diff != "" {
		t.Errorf("ptRegs mismatch (-want +got):\n%s", diff)
	}
	archtest.CheckRegisters(t, parseOperand, ptRegs, func(name string) string { return "%" + name })
	if Arch.Name != "s390x" || Arch.Machine != elf.EM_S390 {
		t.Errorf("Arch = %q %v, want s390x EM_S390", Arch.Name, Arch.Machine)
	}
}

// TestRegTableMatchesKernelHeader compiles offsetof() for every table
// entry against the cross toolchain's UAPI header and reads the values
// back from the (big-endian) object file.
func TestRegTableMatchesKernelHeader(t *testing.T) {
	archtest.CheckKernelOffsets(t, "s390x-linux-gnu-gcc", "/usr/s390x-linux-gnu/include/asm/ptrace.h",
		elf.EM_S390, "user_pt_regs", ptRegs, func(name string) (string, bool) {
			n, ok := strings.CutPrefix(name, "r")
			return "gprs[" + n + "]", ok
		})
}
