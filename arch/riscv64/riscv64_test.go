package riscv64

import (
	"debug/elf"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in struct user_regs_struct (arch/riscv/include/uapi/asm/ptrace.h),
// worked out by hand: pc at 0, then ra, sp, gp, tp, t0-t2, s0, s1, a0-a7,
// s2-s11, t3-t6, 8 bytes each, so xN is at 8*N.
var (
	ra  = arch.Register{Name: "ra", Offset: 8}
	sp  = arch.Register{Name: "sp", Offset: 16}
	tp  = arch.Register{Name: "tp", Offset: 32}
	t0  = arch.Register{Name: "t0", Offset: 40}
	t1  = arch.Register{Name: "t1", Offset: 48}
	s0  = arch.Register{Name: "s0", Offset: 64}
	fp  = arch.Register{Name: "fp", Offset: 64}
	s1  = arch.Register{Name: "s1", Offset: 72}
	a0  = arch.Register{Name: "a0", Offset: 80}
	a1  = arch.Register{Name: "a1", Offset: 88}
	a2  = arch.Register{Name: "a2", Offset: 96}
	a4  = arch.Register{Name: "a4", Offset: 112}
	a5  = arch.Register{Name: "a5", Offset: 120}
	a7  = arch.Register{Name: "a7", Offset: 136}
	s2  = arch.Register{Name: "s2", Offset: 144}
	s10 = arch.Register{Name: "s10", Offset: 208}
	s11 = arch.Register{Name: "s11", Offset: 216}
	t3  = arch.Register{Name: "t3", Offset: 224}
	t6  = arch.Register{Name: "t6", Offset: 248}
	x1  = arch.Register{Name: "x1", Offset: 8}
	x2  = arch.Register{Name: "x2", Offset: 16}
	x8  = arch.Register{Name: "x8", Offset: 64}
	x10 = arch.Register{Name: "x10", Offset: 80}
	x31 = arch.Register{Name: "x31", Offset: 248}
)

func reg(r arch.Register) arch.Operand { return arch.Operand{Kind: arch.Reg, Base: r} }

func deref(r arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.Deref, Base: r, Offset: off}
}

func imm(v uint64) arch.Operand { return arch.Operand{Kind: arch.Const, Value: v} }

func TestParseOperand(t *testing.T) {
	archtest.CheckOperands(t, parseOperand, []archtest.OperandCase{
		// Memory at a symbol after lui %hi (gcc -fno-pic): the compiler
		// adds the low 12 bits of sym+N, sign-extended.
		{"%lo(g_int)(a5)", arch.Operand{Kind: arch.Deref, Base: a5, Symbol: "g_int", SymbolRef: arch.SymbolLow12Signed}},
		{"%lo(g_rec+8)(a5)", arch.Operand{Kind: arch.Deref, Base: a5, Offset: 8, Symbol: "g_rec", SymbolRef: arch.SymbolLow12Signed}},
		// ABI names, as gcc prints them.
		{"a0", reg(a0)},
		{"a1", reg(a1)},
		{"a7", reg(a7)},
		{"s0", reg(s0)},
		{"s1", reg(s1)},
		{"s10", reg(s10)},
		{"s11", reg(s11)},
		{"t0", reg(t0)},
		{"t3", reg(t3)},
		{"t6", reg(t6)},
		{"ra", reg(ra)},
		{"sp", reg(sp)},
		{"tp", reg(tp)},
		{"fp", reg(fp)},
		// Numeric names.
		{"x1", reg(x1)},
		{"x2", reg(x2)},
		{"x8", reg(x8)},
		{"x10", reg(x10)},
		{"x31", reg(x31)},
		// The hardwired zero reads as the constant 0.
		{"zero", imm(0)},
		{"x0", imm(0)},

		{"-20(s0)", deref(s0, -20)},
		{"0(sp)", deref(sp, 0)},
		{"8(a1)", deref(a1, 8)},
		{"16(a5)", deref(a5, 16)},
		{"(a0)", deref(a0, 0)},
		{"-2048(fp)", deref(fp, -2048)},
		{"2047(x2)", deref(x2, 2047)},
		{"8+16(sp)", deref(sp, 24)},
		{"-8-4(s0)", deref(s0, -12)},
		{"0x10(a4)", deref(a4, 16)},
		{"1088(a5)", deref(a5, 1088)},

		{"5", imm(5)},
		{"-9", imm(0xfffffffffffffff7)},
		{"0", imm(0)},
		{"1572864", imm(1572864)},
		{"0x10", imm(16)},
		{"-1", imm(0xffffffffffffffff)},
		{"9223372036854775807", imm(1<<63 - 1)},
		{"18446744073709551615", imm(0xffffffffffffffff)},
		{"-9223372036854775808", imm(0x8000000000000000)},
	})
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		{"f0", arch.ErrFloatRegister, ""},
		{"f31", arch.ErrFloatRegister, ""},
		{"ft0", arch.ErrFloatRegister, ""},
		{"ft11", arch.ErrFloatRegister, ""},
		{"fs0", arch.ErrFloatRegister, ""},
		{"fs11", arch.ErrFloatRegister, ""},
		{"fa0", arch.ErrFloatRegister, ""},
		{"fa7", arch.ErrFloatRegister, ""},
		{"v0", arch.ErrFloatRegister, ""},
		{"v31", arch.ErrFloatRegister, ""},
		{"0(fa0)", arch.ErrFloatRegister, "fa0"},

		{"0(zero)", arch.ErrUnsupported, ""},
		{"8(x0)", arch.ErrUnsupported, ""},
		{"(zero)", arch.ErrUnsupported, ""},

		{"x32", arch.ErrUnknownRegister, ""},
		{"x01", arch.ErrUnknownRegister, ""},
		{"a8", arch.ErrUnknownRegister, ""},
		{"s12", arch.ErrUnknownRegister, ""},
		{"t7", arch.ErrUnknownRegister, ""},
		{"f32", arch.ErrUnknownRegister, ""},
		{"ft12", arch.ErrUnknownRegister, ""},
		{"fa8", arch.ErrUnknownRegister, ""},
		{"v32", arch.ErrUnknownRegister, ""},
		{"0(a8)", arch.ErrUnknownRegister, "a8"},
		{"0(pc)", arch.ErrUnknownRegister, "pc"},
		{"0(A0)", arch.ErrUnknownRegister, "A0"},
		{"8(foo)", arch.ErrUnknownRegister, "foo"},

		{"sym", arch.ErrSymbolic, ""},
		{"sym+8", arch.ErrSymbolic, ""},
		{"8+sym", arch.ErrSymbolic, ""},
		{".LANCHOR0", arch.ErrSymbolic, ""},
		{"x@plt", arch.ErrSymbolic, ""},
		{"sym(a5)", arch.ErrSymbolic, "sym"},
		{"%hi(sym)(a5)", arch.ErrSymbolic, ""},
		{"%lo(5)(a5)", arch.ErrSymbolic, ""},
		{"%pcrel_lo(.L1)(a0)", arch.ErrSymbolic, ""},
		{"%tprel_lo(tls)(tp)", arch.ErrSymbolic, ""},
		{"%lo(sym)", arch.ErrSymbolic, ""},
		{"pc", arch.ErrSymbolic, ""}, // no register of that name in the assembler
		{"A0", arch.ErrSymbolic, ""}, // register names are lowercase

		{"99999999999999999999", arch.ErrRange, ""},
		{"99999999999999999999(sp)", arch.ErrRange, "99999999999999999999"},

		{"", arch.ErrSyntax, ""},
		{"%a0", arch.ErrSyntax, ""},
		{"%lo(sym", arch.ErrSyntax, ""},
		{"a0)", arch.ErrSyntax, ""},
		{"a0 ", arch.ErrSyntax, ""},
		{"a0,a1", arch.ErrSyntax, ""},
		{"(a0", arch.ErrSyntax, ""},
		{"0(a0))", arch.ErrSyntax, ""},
		{"0((a0)", arch.ErrSyntax, ""},
		{"()", arch.ErrSyntax, ""},
		{"8()", arch.ErrSyntax, ""},
		{"0(a0,a1)", arch.ErrSyntax, ""},
		{"0( a0)", arch.ErrSyntax, ""},
		{"0(5)", arch.ErrSyntax, ""},
		{"8 (sp)", arch.ErrSyntax, "8 "},
		{"0(sp)x", arch.ErrSyntax, ""},
		{"[sp, 8]", arch.ErrSyntax, ""},
		{"#5", arch.ErrSyntax, ""},
		{"$5", arch.ErrSyntax, ""},
		{"-", arch.ErrSyntax, ""},
		{"+5", arch.ErrSyntax, ""},
		{"5 ", arch.ErrSyntax, ""},
		{"8+16", arch.ErrSyntax, ""},
	})
}

// TestParseArg runs whole arguments through arch.ParseArg: the shapes of
// survey section 4.4 (gcc 12), of riscv64-linux-gnu-gcc 12 at -O0/-O2/-Os
// with and without -fPIC, and of the Debian sid corpus (gcc 15).
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		// Survey 4.4.
		{"-4@a0", arch.Arg{Size: 4, Signed: true, Operand: reg(a0)}},
		{"-8@a1", arch.Arg{Size: 8, Signed: true, Operand: reg(a1)}},
		{"8@s0", arch.Arg{Size: 8, Operand: reg(s0)}},
		{"-4@-20(s0)", arch.Arg{Size: 4, Signed: true, Operand: deref(s0, -20)}},
		{"-4@0(sp)", arch.Arg{Size: 4, Signed: true, Operand: deref(sp, 0)}},
		{"-8@8(a1)", arch.Arg{Size: 8, Signed: true, Operand: deref(a1, 8)}},
		{"-4@5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		{"-4@-9", arch.Arg{Size: 4, Signed: true, Operand: imm(0xfffffffffffffff7)}},
		{"8f@a4", arch.Arg{Size: 8, Float: true, Operand: reg(a4)}},
		{"8f@16(a5)", arch.Arg{Size: 8, Float: true, Operand: deref(a5, 16)}},
		// Cross compiler.
		{"1@-53(s0)", arch.Arg{Size: 1, Operand: deref(s0, -53)}},
		{"-2@-56(s0)", arch.Arg{Size: 2, Signed: true, Operand: deref(s0, -56)}},
		{"4f@-80(s0)", arch.Arg{Size: 4, Float: true, Operand: deref(s0, -80)}},
		{"-8@0(t3)", arch.Arg{Size: 8, Signed: true, Operand: deref(t3, 0)}},
		{"8f@72(a7)", arch.Arg{Size: 8, Float: true, Operand: deref(a7, 72)}},
		{"-8@-32(t1)", arch.Arg{Size: 8, Signed: true, Operand: deref(t1, -32)}},
		{"-4@t6", arch.Arg{Size: 4, Signed: true, Operand: reg(t6)}},
		{"-8@9223372036854775807", arch.Arg{Size: 8, Signed: true, Operand: imm(1<<63 - 1)}},
		{"-4@4660", arch.Arg{Size: 4, Signed: true, Operand: imm(4660)}},
		// Corpus.
		{"1@29(s1)", arch.Arg{Size: 1, Operand: deref(s1, 29)}},
		{"8@80(sp)", arch.Arg{Size: 8, Operand: deref(sp, 80)}},
		{"-2@s2", arch.Arg{Size: 2, Signed: true, Operand: reg(s2)}},
		{"4@-1", arch.Arg{Size: 4, Operand: imm(0xffffffffffffffff)}},
		{"1@0", arch.Arg{Size: 1, Operand: imm(0)}},
		{"8@t1", arch.Arg{Size: 8, Operand: reg(t1)}},
		// The zero register.
		{"-4@zero", arch.Arg{Size: 4, Signed: true, Operand: imm(0)}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		{"8f@fa0", arch.ErrFloatRegister, 8, true},
		{"4f@ft1", arch.ErrFloatRegister, 4, true},
		{"-4@x32", arch.ErrUnknownRegister, 4, false},
		{"8@%pcrel_lo(.L1)(a5)", arch.ErrSymbolic, 8, false},
		{"8@sym", arch.ErrSymbolic, 8, false},
		{"-4@0(zero)", arch.ErrUnsupported, 4, false},
		{"-16@a0", arch.ErrSize, 16, false},
		{"16f@0(sp)", arch.ErrSize, 16, true},
		{"a0", arch.ErrSyntax, 0, false},
	})
}

// TestSplitNote parses a whole note's argument string, here the -O2
// probe of the cross-compiled test file.
func TestSplitNote(t *testing.T) {
	note := "-4@a0 -8@a1 1@a2 -8@24(a5) -8@0(t3) 8f@72(a7) -4@-9 -4@zero"
	want := []arch.Operand{reg(a0), reg(a1), reg(a2), deref(a5, 24), deref(t3, 0), deref(a7, 72),
		imm(0xfffffffffffffff7), imm(0)}
	archtest.CheckNote(t, Arch, note, want)
}

// abiNames are the fields of user_regs_struct in order; field N (N >= 1)
// is register xN.
var abiNames = strings.Fields(`pc ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7
	s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6`)

// TestRegTable checks the table against user_regs_struct worked out by
// hand: every ABI name and xN name, fp for s0, and nothing else.
func TestRegTable(t *testing.T) {
	want := arch.RegTable{"fp": 64}
	for n, name := range abiNames[1:] {
		want[name] = uint16(8 * (n + 1))
		want[fmt.Sprintf("x%d", n+1)] = uint16(8 * (n + 1))
	}
	if diff := cmp.Diff(want, ptRegs); diff != "" {
		t.Errorf("ptRegs mismatch (-want +got):\n%s", diff)
	}
	archtest.CheckRegisters(t, parseOperand, ptRegs, nil)
	if Arch.Name != "riscv64" || Arch.Machine != elf.EM_RISCV || Arch.IPOffset != 0 {
		t.Errorf("Arch = %q %v IP %d, want riscv64 EM_RISCV IP 0", Arch.Name, Arch.Machine, Arch.IPOffset)
	}
}

// cField names the user_regs_struct field a table name reads.
func cField(name string) (string, bool) {
	if name == "fp" {
		return "s0", true
	}
	if num, ok := strings.CutPrefix(name, "x"); ok {
		var n int
		if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n < 1 || n >= len(abiNames) {
			return "", false
		}
		return abiNames[n], true
	}
	for _, f := range abiNames[1:] {
		if f == name {
			return f, true
		}
	}
	return "", false
}

// TestRegTableMatchesKernelHeader compiles offsetof() for every table
// entry, and for the pc slot that IPOffset names, against the cross
// toolchain's UAPI header.
func TestRegTableMatchesKernelHeader(t *testing.T) {
	const cc, header = "riscv64-linux-gnu-gcc", "/usr/riscv64-linux-gnu/include/asm/ptrace.h"
	archtest.CheckKernelOffsets(t, cc, header, elf.EM_RISCV, "struct user_regs_struct", ptRegs, cField)
	archtest.CheckKernelOffsets(t, cc, header, elf.EM_RISCV, "struct user_regs_struct",
		arch.RegTable{"pc": Arch.IPOffset}, func(name string) (string, bool) { return name, name == "pc" })
}
