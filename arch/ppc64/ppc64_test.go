package ppc64

import (
	"debug/elf"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in struct pt_regs (arch/powerpc/include/uapi/asm/ptrace.h),
// worked out by hand: unsigned long gpr[32] first, so gpr[N] is at 8*N.
// Names are as the operand writes them, without '%'.
var (
	n0  = arch.Register{Name: "0", Offset: 0}
	n3  = arch.Register{Name: "3", Offset: 24}
	n4  = arch.Register{Name: "4", Offset: 32}
	n6  = arch.Register{Name: "6", Offset: 48}
	n8  = arch.Register{Name: "8", Offset: 64}
	n9  = arch.Register{Name: "9", Offset: 72}
	n10 = arch.Register{Name: "10", Offset: 80}
	n11 = arch.Register{Name: "11", Offset: 88}
	n12 = arch.Register{Name: "12", Offset: 96}
	n22 = arch.Register{Name: "22", Offset: 176}
	n30 = arch.Register{Name: "30", Offset: 240}
	n31 = arch.Register{Name: "31", Offset: 248}
	r0  = arch.Register{Name: "r0", Offset: 0}
	r1  = arch.Register{Name: "r1", Offset: 8}
	r3  = arch.Register{Name: "r3", Offset: 24}
	r9  = arch.Register{Name: "r9", Offset: 72}
	r11 = arch.Register{Name: "r11", Offset: 88}
	r31 = arch.Register{Name: "r31", Offset: 248}
)

func reg(r arch.Register) arch.Operand { return arch.Operand{Kind: arch.Reg, Base: r} }

func deref(r arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.Deref, Base: r, Offset: off}
}

func sib(base, index arch.Register) arch.Operand {
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: 1}
}

func imm(v uint64) arch.Operand { return arch.Operand{Kind: arch.Const, Value: v} }

func TestParseOperand(t *testing.T) {
	archtest.CheckOperands(t, parseOperand, []archtest.OperandCase{
		// A bare number is a general register, 0 included.
		{"0", reg(n0)},
		{"3", reg(n3)},
		{"9", reg(n9)},
		{"31", reg(n31)},
		// -mregnames spelling, and the same without '%'.
		{"%r0", reg(r0)},
		{"%r3", reg(r3)},
		{"%r31", reg(r31)},
		{"r3", reg(r3)},

		{"0(9)", deref(n9, 0)},
		{"0(31)", deref(n31, 0)},
		{"16(6)", deref(n6, 16)},
		{"-4(31)", deref(n31, -4)},
		{"8(%r31)", deref(r31, 8)},
		{"-32768(%r1)", deref(r1, -32768)},
		{"(9)", deref(n9, 0)},
		{"8+16(3)", deref(n3, 24)},
		{"0x10(3)", deref(n3, 16)},
		{"0(r9)", deref(r9, 0)},

		// Indexed: RA + RB; RA 0 is the literal 0, RB 0 is r0.
		{"8,11", sib(n8, n11)},
		{"10,11", sib(n10, n11)},
		{"8,0", sib(n8, n0)},
		{"%r9,%r11", sib(r9, r11)},
		{"%r9,11", sib(r9, n11)},
		{"0,9", deref(n9, 0)},
		{"%r0,%r9", deref(r9, 0)},
		{"0,0", deref(n0, 0)},

		{"i5", imm(5)},
		{"i-9", imm(0xfffffffffffffff7)},
		{"i0", imm(0)},
		{"i4660", imm(4660)},
		{"i0x10", imm(16)},
		{"i-1", imm(0xffffffffffffffff)},
		{"i9223372036854775807", imm(1<<63 - 1)},
		{"i18446744073709551615", imm(0xffffffffffffffff)},
		{"i-9223372036854775808", imm(0x8000000000000000)},
	})
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		{"%f0", arch.ErrFloatRegister, ""},
		{"%f31", arch.ErrFloatRegister, ""},
		{"f1", arch.ErrFloatRegister, ""},
		{"%v0", arch.ErrFloatRegister, ""},
		{"v31", arch.ErrFloatRegister, ""},
		{"%vs0", arch.ErrFloatRegister, ""},
		{"vs63", arch.ErrFloatRegister, ""},
		{"0(%f1)", arch.ErrFloatRegister, "%f1"},
		{"9,vs1", arch.ErrFloatRegister, "vs1"},

		{"0(0)", arch.ErrUnsupported, ""},
		{"8(%r0)", arch.ErrUnsupported, ""},
		{"(0)", arch.ErrUnsupported, ""},
		{"-4(r0)", arch.ErrUnsupported, ""},

		{"32", arch.ErrUnknownRegister, ""},
		{"99", arch.ErrUnknownRegister, ""},
		{"01", arch.ErrUnknownRegister, ""},
		{"%r32", arch.ErrUnknownRegister, ""},
		{"r32", arch.ErrUnknownRegister, ""},
		{"%f32", arch.ErrUnknownRegister, ""},
		{"vs64", arch.ErrUnknownRegister, ""},
		{"%lr", arch.ErrUnknownRegister, ""},
		{"%cr0", arch.ErrUnknownRegister, ""},
		{"0(32)", arch.ErrUnknownRegister, "32"},
		{"8,%r32", arch.ErrUnknownRegister, "%r32"},
		{"0(sym)", arch.ErrUnknownRegister, "sym"},

		{"sym@toc@l(2)", arch.ErrSymbolic, "sym@toc@l"},
		{".LC0@toc(2)", arch.ErrSymbolic, ".LC0@toc"},
		{"sym+8(9)", arch.ErrSymbolic, "sym+8"},
		{"sym", arch.ErrSymbolic, ""},
		{".LC0", arch.ErrSymbolic, ""},
		{"sym@toc", arch.ErrSymbolic, ""},
		{"8+sym", arch.ErrSymbolic, ""},
		{"isym", arch.ErrSymbolic, ""},

		{"i99999999999999999999", arch.ErrRange, ""},
		{"99999999999999999999(9)", arch.ErrRange, "99999999999999999999"},

		{"", arch.ErrSyntax, ""},
		{"-9", arch.ErrSyntax, ""}, // immediates are iN
		{"0x10", arch.ErrSyntax, ""},
		{"5 ", arch.ErrSyntax, ""},
		{"i5 ", arch.ErrSyntax, ""},
		{"i5x", arch.ErrSyntax, ""},
		{"$5", arch.ErrSyntax, ""},
		{"#5", arch.ErrSyntax, ""},
		{"%", arch.ErrSyntax, ""},
		{"%3", arch.ErrSyntax, ""},
		{"3)", arch.ErrSyntax, ""},
		{"(9", arch.ErrSyntax, ""},
		{"0(9))", arch.ErrSyntax, ""},
		{"0((9)", arch.ErrSyntax, ""},
		{"()", arch.ErrSyntax, ""},
		{"0()", arch.ErrSyntax, ""},
		{"0( 9)", arch.ErrSyntax, ""},
		{"0(9,10)", arch.ErrSyntax, ""},
		{"8 (9)", arch.ErrSyntax, "8 "},
		{"0(9)x", arch.ErrSyntax, ""},
		{"8,", arch.ErrSyntax, ""},
		{",8", arch.ErrSyntax, ""},
		{"8,11,12", arch.ErrSyntax, ""},
		{"8, 11", arch.ErrSyntax, ""},
		{"[9]", arch.ErrSyntax, ""},
	})
}

// TestParseArg runs whole arguments through arch.ParseArg: the shapes of
// survey section 4.4 (gcc 12, bcc's test strings), of
// powerpc64le-linux-gnu-gcc 12 at -O0/-O2/-Os with and without -fPIC, and
// of the Debian sid corpus (gcc 15).
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		// Survey 4.4.
		{"-4@3", arch.Arg{Size: 4, Signed: true, Operand: reg(n3)}},
		{"-8@4", arch.Arg{Size: 8, Signed: true, Operand: reg(n4)}},
		{"-4@0", arch.Arg{Size: 4, Signed: true, Operand: reg(n0)}},
		{"-4@0(9)", arch.Arg{Size: 4, Signed: true, Operand: deref(n9, 0)}},
		{"8@0(4)", arch.Arg{Size: 8, Operand: deref(n4, 0)}},
		{"-4@0(31)", arch.Arg{Size: 4, Signed: true, Operand: deref(n31, 0)}},
		{"-4@i5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		{"-4@i-9", arch.Arg{Size: 4, Signed: true, Operand: imm(0xfffffffffffffff7)}},
		{"8f@9", arch.Arg{Size: 8, Float: true, Operand: reg(n9)}},
		{"8f@0(8)", arch.Arg{Size: 8, Float: true, Operand: deref(n8, 0)}},
		{"8@%r0", arch.Arg{Size: 8, Operand: reg(r0)}},
		{"-4@16(6)", arch.Arg{Size: 4, Signed: true, Operand: deref(n6, 16)}},
		// Cross compiler, including the indexed form.
		{"-8@8,11", arch.Arg{Size: 8, Signed: true, Operand: sib(n8, n11)}},
		{"-8@10,11", arch.Arg{Size: 8, Signed: true, Operand: sib(n10, n11)}},
		{"-4@8,0", arch.Arg{Size: 4, Signed: true, Operand: sib(n8, n0)}},
		{"1@0(3)", arch.Arg{Size: 1, Operand: deref(n3, 0)}},
		{"-2@6", arch.Arg{Size: 2, Signed: true, Operand: reg(n6)}},
		{"8f@0", arch.Arg{Size: 8, Float: true, Operand: reg(n0)}},
		{"4f@0(12)", arch.Arg{Size: 4, Float: true, Operand: deref(n12, 0)}},
		{"-8@i9223372036854775807", arch.Arg{Size: 8, Signed: true, Operand: imm(1<<63 - 1)}},
		{"-4@i200", arch.Arg{Size: 4, Signed: true, Operand: imm(200)}},
		// Cross compiler with -mregnames.
		{"-4@%r8,%r0", arch.Arg{Size: 4, Signed: true, Operand: sib(arch.Register{Name: "r8", Offset: 64}, r0)}},
		{"-8@0(%r12)", arch.Arg{Size: 8, Signed: true, Operand: deref(arch.Register{Name: "r12", Offset: 96}, 0)}},
		{"4f@%r31", arch.Arg{Size: 4, Float: true, Operand: reg(r31)}},
		// Corpus.
		{"8@30", arch.Arg{Size: 8, Operand: reg(n30)}},
		{"-4@22", arch.Arg{Size: 4, Signed: true, Operand: reg(n22)}},
		{"8@0(10)", arch.Arg{Size: 8, Operand: deref(n10, 0)}},
		{"8@i2", arch.Arg{Size: 8, Operand: imm(2)}},
		{"-4@i0", arch.Arg{Size: 4, Signed: true, Operand: imm(0)}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		{"8f@%f1", arch.ErrFloatRegister, 8, true},
		{"16f@vs34", arch.ErrFloatRegister, 16, true},
		{"-4@32", arch.ErrUnknownRegister, 4, false},
		{"8@sym@toc@l(2)", arch.ErrSymbolic, 8, false},
		{"8@.LC0@toc(2)", arch.ErrSymbolic, 8, false},
		{"-4@0(0)", arch.ErrUnsupported, 4, false},
		{"-4@-9", arch.ErrSyntax, 4, false},
		{"-16@3", arch.ErrSize, 16, false},
		{"16f@0(9)", arch.ErrSize, 16, true},
		{"3", arch.ErrSyntax, 0, false},
	})
}

// TestSplitNote parses a whole note's argument string, here the -O2
// probe of the cross-compiled test file.
func TestSplitNote(t *testing.T) {
	note := "-4@3 -8@4 1@5 -8@0(12) -8@8,11 8f@0(30) 8f@0 -4@i-9 -4@8,0 8@%r31"
	n5 := arch.Register{Name: "5", Offset: 40}
	want := []arch.Operand{reg(n3), reg(n4), reg(n5), deref(n12, 0), sib(n8, n11), deref(n30, 0),
		reg(n0), imm(0xfffffffffffffff7), sib(n8, n0), reg(r31)}
	archtest.CheckNote(t, Arch, note, want)
}

// TestRegTable checks the table against struct pt_regs worked out by
// hand: "N" and "rN" for every gpr[N], and nothing else.
func TestRegTable(t *testing.T) {
	want := arch.RegTable{}
	for n := range 32 {
		want[fmt.Sprint(n)] = uint16(8 * n)
		want[fmt.Sprintf("r%d", n)] = uint16(8 * n)
	}
	if diff := cmp.Diff(want, ptRegs); diff != "" {
		t.Errorf("ptRegs mismatch (-want +got):\n%s", diff)
	}
	archtest.CheckRegisters(t, parseOperand, ptRegs, func(name string) string {
		if name[0] == 'r' {
			return "%" + name
		}
		return name
	})
	if Arch.Name != "ppc64" || Arch.Machine != elf.EM_PPC64 || Arch.IPOffset != 256 {
		t.Errorf("Arch = %q %v IP %d, want ppc64 EM_PPC64 IP 256", Arch.Name, Arch.Machine, Arch.IPOffset)
	}
}

// cField names the struct pt_regs member a table name reads.
func cField(name string) (string, bool) {
	num := strings.TrimPrefix(name, "r")
	var n int
	if _, err := fmt.Sscanf(num, "%d", &n); err != nil || fmt.Sprint(n) != num || n > 31 {
		return "", false
	}
	return fmt.Sprintf("gpr[%d]", n), true
}

// TestRegTableMatchesKernelHeader compiles offsetof() for every table
// entry, and for the nip slot that IPOffset names, against the cross
// toolchain's UAPI header. The layout is the same big- and little-endian
// (every member is an unsigned long).
func TestRegTableMatchesKernelHeader(t *testing.T) {
	const cc, header = "powerpc64le-linux-gnu-gcc", "/usr/powerpc64le-linux-gnu/include/asm/ptrace.h"
	archtest.CheckKernelOffsets(t, cc, header, elf.EM_PPC64, "struct pt_regs", ptRegs, cField)
	archtest.CheckKernelOffsets(t, cc, header, elf.EM_PPC64, "struct pt_regs",
		arch.RegTable{"nip": Arch.IPOffset}, func(name string) (string, bool) { return name, name == "nip" })
}
