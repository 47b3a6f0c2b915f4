package loong64

import (
	"debug/elf"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in the kernel's struct pt_regs (arch/loongarch/include/asm/
// ptrace.h), worked out by hand: regs[32] first, 8 bytes each, so $rN is
// at 8*N.
var (
	r1  = arch.Register{Name: "r1", Offset: 8}
	r3  = arch.Register{Name: "r3", Offset: 24}
	r4  = arch.Register{Name: "r4", Offset: 32}
	r5  = arch.Register{Name: "r5", Offset: 40}
	r12 = arch.Register{Name: "r12", Offset: 96}
	r13 = arch.Register{Name: "r13", Offset: 104}
	r21 = arch.Register{Name: "r21", Offset: 168}
	r22 = arch.Register{Name: "r22", Offset: 176}
	r23 = arch.Register{Name: "r23", Offset: 184}
	r31 = arch.Register{Name: "r31", Offset: 248}
	ra  = arch.Register{Name: "ra", Offset: 8}
	tp  = arch.Register{Name: "tp", Offset: 16}
	sp  = arch.Register{Name: "sp", Offset: 24}
	a0  = arch.Register{Name: "a0", Offset: 32}
	a7  = arch.Register{Name: "a7", Offset: 88}
	v1  = arch.Register{Name: "v1", Offset: 40}
	t0  = arch.Register{Name: "t0", Offset: 96}
	t8  = arch.Register{Name: "t8", Offset: 160}
	u0  = arch.Register{Name: "u0", Offset: 168}
	fp  = arch.Register{Name: "fp", Offset: 176}
	s9  = arch.Register{Name: "s9", Offset: 176}
	s0  = arch.Register{Name: "s0", Offset: 184}
	s8  = arch.Register{Name: "s8", Offset: 248}
)

func reg(r arch.Register) arch.Operand { return arch.Operand{Kind: arch.Reg, Base: r} }

func deref(r arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.Deref, Base: r, Offset: off}
}

func sib(b, i arch.Register) arch.Operand {
	return arch.Operand{Kind: arch.SIB, Base: b, Index: i, Scale: 1}
}

func imm(v uint64) arch.Operand { return arch.Operand{Kind: arch.Const, Value: v} }

func TestParseOperand(t *testing.T) {
	archtest.CheckOperands(t, parseOperand, []archtest.OperandCase{
		// Memory at a symbol after pcalau12i: the compiler adds the low
		// 12 bits of sym+N, sign-extended.
		{"$r12,%pc_lo12(sym)", arch.Operand{Kind: arch.Deref, Base: r12, Symbol: "sym", SymbolRef: arch.SymbolLow12Signed}},
		{"$r12, %pc_lo12(g_rec+8)", arch.Operand{Kind: arch.Deref, Base: r12, Offset: 8, Symbol: "g_rec", SymbolRef: arch.SymbolLow12Signed}},
		// Numeric names, as gcc prints them.
		{"$r1", reg(r1)},
		{"$r3", reg(r3)},
		{"$r4", reg(r4)},
		{"$r12", reg(r12)},
		{"$r21", reg(r21)},
		{"$r22", reg(r22)},
		{"$r23", reg(r23)},
		{"$r31", reg(r31)},
		// ABI names, as clang prints them.
		{"$ra", reg(ra)},
		{"$tp", reg(tp)},
		{"$sp", reg(sp)},
		{"$a0", reg(a0)},
		{"$a7", reg(a7)},
		{"$v1", reg(v1)},
		{"$t0", reg(t0)},
		{"$t8", reg(t8)},
		{"$u0", reg(u0)},
		{"$fp", reg(fp)},
		{"$s9", reg(s9)},
		{"$s0", reg(s0)},
		{"$s8", reg(s8)},
		// The hardwired zero reads as the constant 0.
		{"$r0", imm(0)},
		{"$zero", imm(0)},

		// gcc's base,offset.
		{"$r3,16", deref(r3, 16)},
		{"$r3,0", deref(r3, 0)},
		{"$r22,-20", deref(r22, -20)},
		{"$r4,2047", deref(r4, 2047)},
		{"$r4,-2048", deref(r4, -2048)},
		{"$r12,0x10", deref(r12, 16)},
		{"$r3,8+16", deref(r3, 24)},
		// clang's blank after the comma.
		{"$sp, 16", deref(sp, 16)},
		{"$a0, -8", deref(a0, -8)},
		// base,index.
		{"$r12,$r13", sib(r12, r13)},
		{"$a0, $t0", sib(a0, t0)},
		{"$r4,$r0", deref(r4, 0)},
		{"$r0,$r5", deref(r5, 0)},

		{"5", imm(5)},
		{"-9", imm(0xfffffffffffffff7)},
		{"0", imm(0)},
		{"0x10", imm(16)},
		{"-1", imm(0xffffffffffffffff)},
		{"9223372036854775807", imm(1<<63 - 1)},
		{"18446744073709551615", imm(0xffffffffffffffff)},
		{"-9223372036854775808", imm(0x8000000000000000)},
	})
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		{"$f0", arch.ErrFloatRegister, ""},
		{"$f31", arch.ErrFloatRegister, ""},
		{"$fa0", arch.ErrFloatRegister, ""},
		{"$fa7", arch.ErrFloatRegister, ""},
		{"$ft0", arch.ErrFloatRegister, ""},
		{"$ft15", arch.ErrFloatRegister, ""},
		{"$fs0", arch.ErrFloatRegister, ""},
		{"$fs7", arch.ErrFloatRegister, ""},
		{"$fv1", arch.ErrFloatRegister, ""},
		{"$vr0", arch.ErrFloatRegister, ""},
		{"$xr31", arch.ErrFloatRegister, ""},
		{"$f1,8", arch.ErrFloatRegister, "$f1"},
		{"$r3,$fa0", arch.ErrFloatRegister, "$fa0"},
		{"$fcc0", arch.ErrUnsupported, ""},

		{"$r0,8", arch.ErrUnsupported, ""},
		{"$zero,0", arch.ErrUnsupported, ""},
		{"$r0,$r0", arch.ErrUnsupported, ""},

		{"$r32", arch.ErrUnknownRegister, ""},
		{"$r01", arch.ErrUnknownRegister, ""},
		{"$a8", arch.ErrUnknownRegister, ""},
		{"$t9", arch.ErrUnknownRegister, ""},
		{"$s10", arch.ErrUnknownRegister, ""},
		{"$f32", arch.ErrUnknownRegister, ""},
		{"$fa8", arch.ErrUnknownRegister, ""},
		{"$ft16", arch.ErrUnknownRegister, ""},
		{"$fcc8", arch.ErrUnknownRegister, ""},
		{"$x", arch.ErrUnknownRegister, ""},
		{"$pc", arch.ErrUnknownRegister, ""},
		{"$R4", arch.ErrUnknownRegister, ""},
		{"$foo,8", arch.ErrUnknownRegister, "$foo"},
		{"$r3,$r32", arch.ErrUnknownRegister, "$r32"},

		{"sym", arch.ErrSymbolic, ""},
		{"sym+8", arch.ErrSymbolic, ""},
		{"8+sym", arch.ErrSymbolic, ""},
		{".LANCHOR0", arch.ErrSymbolic, ""},
		{"$r12,%pc_hi20(sym)", arch.ErrSymbolic, "%pc_hi20(sym)"},
		{"$r12,%got_pc_lo12(sym)", arch.ErrSymbolic, "%got_pc_lo12(sym)"},
		{"$r12,%pc_lo12(5)", arch.ErrSymbolic, "%pc_lo12(5)"},
		{"$r12,%le_lo12_r(tls)", arch.ErrSymbolic, ""},
		{"$r3,sym", arch.ErrSymbolic, ""},
		{"%pc_lo12(sym)", arch.ErrSymbolic, ""},

		{"99999999999999999999", arch.ErrRange, ""},
		{"$r3,99999999999999999999", arch.ErrRange, "99999999999999999999"},

		{"", arch.ErrSyntax, ""},
		{"$", arch.ErrSyntax, ""},
		{"$4", arch.ErrSyntax, ""},
		{"$$r4", arch.ErrSyntax, ""},
		{"r4", arch.ErrSymbolic, ""}, // without '$' a name is a symbol
		{"%r4", arch.ErrSyntax, ""},
		{"%pc_lo12(sym", arch.ErrSyntax, ""},
		{"$r4 ", arch.ErrSyntax, ""},
		{"$r3,", arch.ErrSyntax, ""},
		{"$r3, ", arch.ErrSyntax, ""},
		{"$r3,  16", arch.ErrSyntax, ""},
		{"$r3 ,16", arch.ErrSyntax, ""},
		{"$r3,16,8", arch.ErrSyntax, ""},
		{"$r3,$r4,1", arch.ErrSyntax, ""},
		{"16($r3)", arch.ErrSyntax, ""},
		{"($r3)", arch.ErrSyntax, ""},
		{"[$r3, 16]", arch.ErrSyntax, ""},
		{"#5", arch.ErrSyntax, ""},
		{"-", arch.ErrSyntax, ""},
		{"+5", arch.ErrSyntax, ""},
		{"5 ", arch.ErrSyntax, ""},
		{"8+16", arch.ErrSyntax, ""},
	})
}

// TestParseArg runs whole arguments through arch.ParseArg: the shapes of
// the Debian sid loong64 corpus (gcc 15: glibc, libstdc++, libvirt,
// python, openjdk).
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-4@$r4", arch.Arg{Size: 4, Signed: true, Operand: reg(r4)}},
		{"8@$r23", arch.Arg{Size: 8, Operand: reg(r23)}},
		{"8@$r3,16", arch.Arg{Size: 8, Operand: deref(r3, 16)}},
		{"-4@$r22,-20", arch.Arg{Size: 4, Signed: true, Operand: deref(r22, -20)}},
		{"1@$r12,0", arch.Arg{Size: 1, Operand: deref(r12, 0)}},
		{"-4@5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		{"-4@-9", arch.Arg{Size: 4, Signed: true, Operand: imm(0xfffffffffffffff7)}},
		{"4@-1", arch.Arg{Size: 4, Operand: imm(0xffffffffffffffff)}},
		{"8f@$r5", arch.Arg{Size: 8, Float: true, Operand: reg(r5)}},
		{"-8@$r0", arch.Arg{Size: 8, Signed: true, Operand: imm(0)}},
		// Corpus.
		{"8@$r23,192", arch.Arg{Size: 8, Operand: deref(r23, 192)}},
		{"8@$r22,-96", arch.Arg{Size: 8, Operand: deref(r22, -96)}},
		{"8@$r12,80", arch.Arg{Size: 8, Operand: deref(r12, 80)}},
		{"-8@$r13", arch.Arg{Size: 8, Signed: true, Operand: reg(r13)}},
		{"-4@1572864", arch.Arg{Size: 4, Signed: true, Operand: imm(1572864)}},
		{"1@0", arch.Arg{Size: 1, Operand: imm(0)}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		{"8f@$fa0", arch.ErrFloatRegister, 8, true},
		{"4f@$f1", arch.ErrFloatRegister, 4, true},
		{"-4@$r32", arch.ErrUnknownRegister, 4, false},
		{"8@$r12,%abs_lo12(sym)", arch.ErrSymbolic, 8, false},
		{"-4@$r0,16", arch.ErrUnsupported, 4, false},
		{"-16@$r4", arch.ErrSize, 16, false},
		{"16f@$r3,0", arch.ErrSize, 16, true},
		{"$r4", arch.ErrSyntax, 0, false},
		// The malformed notes of sid's loong64 ld.so: NUL bytes where the
		// size digits should be, so the argument string ends at "-".
		{"-", arch.ErrSyntax, 0, false},
	})
}

// TestSplitNote parses a whole note's argument string of gcc's shapes.
func TestSplitNote(t *testing.T) {
	note := "-4@$r4 8@$r23 -8@$r3,16 1@$r12,$r13 -4@-9 -4@$r0 8@$r22,-24"
	want := []arch.Operand{reg(r4), reg(r23), deref(r3, 16), sib(r12, r13), imm(0xfffffffffffffff7), imm(0), deref(r22, -24)}
	archtest.CheckNote(t, Arch, note, want)
	// clang's shapes (an "m" constraint): a blank after the comma.
	archtest.CheckNote(t, Arch, "-4@$a1, 0 8@$sp, 16", []arch.Operand{
		deref(arch.Register{Name: "a1", Offset: 40}, 0), deref(arch.Register{Name: "sp", Offset: 24}, 16)})
}

// abiNames are the LP64 ABI names of $r1..$r31, from the LoongArch psABI
// register table, worked out independently of ptRegs.
var abiNames = strings.Fields(`ra tp sp a0 a1 a2 a3 a4 a5 a6 a7 t0 t1 t2 t3 t4 t5 t6 t7 t8
	u0 fp s0 s1 s2 s3 s4 s5 s6 s7 s8`)

// TestRegTable checks the table against struct pt_regs worked out by
// hand: rN and its ABI name at 8*N, the aliases v0, v1 and s9, and
// nothing else; and IPOffset at csr_era, after regs[32] and orig_a0.
func TestRegTable(t *testing.T) {
	if len(abiNames) != 31 {
		t.Fatalf("abiNames has %d names, want 31", len(abiNames))
	}
	want := arch.RegTable{"v0": 32, "v1": 40, "s9": 176}
	for n, name := range abiNames {
		want[name] = uint16(8 * (n + 1))
		want[fmt.Sprintf("r%d", n+1)] = uint16(8 * (n + 1))
	}
	if diff := cmp.Diff(want, ptRegs); diff != "" {
		t.Errorf("ptRegs mismatch (-want +got):\n%s", diff)
	}
	archtest.CheckRegisters(t, parseOperand, ptRegs, func(name string) string { return "$" + name })
	const eraOffset = 32*8 + 8 // regs[32], orig_a0
	if Arch.Name != "loong64" || Arch.Machine != elf.EM_LOONGARCH || Arch.Class != elf.ELFCLASS64 || Arch.IPOffset != eraOffset {
		t.Errorf("Arch = %q %v %v IP %d, want loong64 EM_LOONGARCH ELFCLASS64 IP %d", Arch.Name, Arch.Machine, Arch.Class, Arch.IPOffset, eraOffset)
	}
}
