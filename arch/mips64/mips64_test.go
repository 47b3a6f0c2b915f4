package mips64

import (
	"debug/elf"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in a 64-bit kernel's struct pt_regs (arch/mips/include/asm/
// ptrace.h), worked out by hand: regs[32] first, 8 bytes each, so $N is at
// 8*N.
var (
	n1  = arch.Register{Name: "1", Offset: 8}
	n2  = arch.Register{Name: "2", Offset: 16}
	n3  = arch.Register{Name: "3", Offset: 24}
	n4  = arch.Register{Name: "4", Offset: 32}
	n5  = arch.Register{Name: "5", Offset: 40}
	n8  = arch.Register{Name: "8", Offset: 64}
	n11 = arch.Register{Name: "11", Offset: 88}
	n12 = arch.Register{Name: "12", Offset: 96}
	n25 = arch.Register{Name: "25", Offset: 200}
	n28 = arch.Register{Name: "28", Offset: 224}
	n31 = arch.Register{Name: "31", Offset: 248}
	sp  = arch.Register{Name: "sp", Offset: 232}
	fp  = arch.Register{Name: "fp", Offset: 240}
	s8  = arch.Register{Name: "s8", Offset: 240}
	gp  = arch.Register{Name: "gp", Offset: 224}
	ra  = arch.Register{Name: "ra", Offset: 248}
	at  = arch.Register{Name: "at", Offset: 8}
	v0  = arch.Register{Name: "v0", Offset: 16}
	a0  = arch.Register{Name: "a0", Offset: 32}
	a4  = arch.Register{Name: "a4", Offset: 64}
	a7  = arch.Register{Name: "a7", Offset: 88}
	ta0 = arch.Register{Name: "ta0", Offset: 64}
	t0  = arch.Register{Name: "t0", Offset: 96}
	t3  = arch.Register{Name: "t3", Offset: 120}
	s0  = arch.Register{Name: "s0", Offset: 128}
	s7  = arch.Register{Name: "s7", Offset: 184}
	t9  = arch.Register{Name: "t9", Offset: 200}
)

func reg(r arch.Register) arch.Operand { return arch.Operand{Kind: arch.Reg, Base: r} }

func deref(r arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.Deref, Base: r, Offset: off}
}

func imm(v uint64) arch.Operand { return arch.Operand{Kind: arch.Const, Value: v} }

func TestParseOperand(t *testing.T) {
	archtest.CheckOperands(t, parseOperand, []archtest.OperandCase{
		// Memory at a symbol: the low 16 bits of sym+N, sign-extended,
		// added to a base holding the rest (the compiler resolves sym).
		// gcc -O2 -static, the conformance case symbolic_globals:
		{"%got_ofst(s_long)($21)", arch.Operand{Kind: arch.Deref, Base: arch.Register{Name: "21", Offset: 168}, Symbol: "s_long", SymbolRef: arch.SymbolLow16Signed}},
		{"%got_ofst(counter.0)($16)", arch.Operand{Kind: arch.Deref, Base: arch.Register{Name: "16", Offset: 128}, Symbol: "counter.0", SymbolRef: arch.SymbolLow16Signed}},
		// non-PIC -msym32:
		{"%lo(counter)($2)", arch.Operand{Kind: arch.Deref, Base: n2, Symbol: "counter", SymbolRef: arch.SymbolLow16Signed}},
		{"%lo(g_rec+8)($2)", arch.Operand{Kind: arch.Deref, Base: n2, Offset: 8, Symbol: "g_rec", SymbolRef: arch.SymbolLow16Signed}},
		// Numeric names, as gcc prints them.
		{"$1", reg(n1)},
		{"$2", reg(n2)},
		{"$4", reg(n4)},
		{"$11", reg(n11)},
		{"$12", reg(n12)},
		{"$25", reg(n25)},
		{"$28", reg(n28)},
		{"$31", reg(n31)},
		{"$sp", reg(sp)},
		{"$fp", reg(fp)},
		// n64 ABI names.
		{"$s8", reg(s8)},
		{"$gp", reg(gp)},
		{"$ra", reg(ra)},
		{"$at", reg(at)},
		{"$v0", reg(v0)},
		{"$a0", reg(a0)},
		{"$a4", reg(a4)},
		{"$a7", reg(a7)},
		{"$ta0", reg(ta0)},
		{"$t0", reg(t0)},
		{"$t3", reg(t3)},
		{"$s0", reg(s0)},
		{"$s7", reg(s7)},
		{"$t9", reg(t9)},
		// The hardwired zero reads as the constant 0.
		{"$0", imm(0)},
		{"$zero", imm(0)},

		{"0($4)", deref(n4, 0)},
		{"8($4)", deref(n4, 8)},
		{"-24($4)", deref(n4, -24)},
		{"44($sp)", deref(sp, 44)},
		{"16($fp)", deref(fp, 16)},
		{"($5)", deref(n5, 0)},
		{"32767($3)", deref(n3, 32767)},
		{"-32768($8)", deref(n8, -32768)},
		{"8+16($sp)", deref(sp, 24)},
		{"0x10($a0)", deref(a0, 16)},

		{"5", imm(5)},
		{"-9", imm(0xfffffffffffffff7)},
		{"0", imm(0)},
		{"0x10", imm(16)},
		{"-1", imm(0xffffffffffffffff)},
		{"1311768467463790320", imm(1311768467463790320)},
		{"9223372036854775807", imm(1<<63 - 1)},
		{"18446744073709551615", imm(0xffffffffffffffff)},
		{"-9223372036854775808", imm(0x8000000000000000)},
	})
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		{"$f0", arch.ErrFloatRegister, ""},
		{"$f31", arch.ErrFloatRegister, ""},
		{"$w0", arch.ErrFloatRegister, ""},
		{"$w31", arch.ErrFloatRegister, ""},
		{"0($f2)", arch.ErrFloatRegister, "$f2"},
		{"$fcc0", arch.ErrUnsupported, ""},

		{"$26", arch.ErrUnsupported, ""},
		{"$27", arch.ErrUnsupported, ""},
		{"$k0", arch.ErrUnsupported, ""},
		{"$k1", arch.ErrUnsupported, ""},
		{"8($26)", arch.ErrUnsupported, "$26"},
		{"0($0)", arch.ErrUnsupported, ""},
		{"1234($zero)", arch.ErrUnsupported, ""},

		{"$32", arch.ErrUnknownRegister, ""},
		{"$01", arch.ErrUnknownRegister, ""},
		{"$f32", arch.ErrUnknownRegister, ""},
		{"$fcc8", arch.ErrUnknownRegister, ""},
		{"$a8", arch.ErrUnknownRegister, ""},
		{"$t4", arch.ErrUnknownRegister, ""}, // o32's $12; n64 has t0-t3 only
		{"$s9", arch.ErrUnknownRegister, ""},
		{"$pc", arch.ErrUnknownRegister, ""},
		{"$hi", arch.ErrUnknownRegister, ""},
		{"$SP", arch.ErrUnknownRegister, ""},
		{"0($32)", arch.ErrUnknownRegister, "$32"},

		{"sym", arch.ErrSymbolic, ""},
		{"sym+8", arch.ErrSymbolic, ""},
		{"8+sym", arch.ErrSymbolic, ""},
		{".LC0", arch.ErrSymbolic, ""},
		{"sym($28)", arch.ErrSymbolic, "sym"},
		{"%got_disp(x)($28)", arch.ErrSymbolic, ""},
		{"%got_page(s_long)($28)", arch.ErrSymbolic, ""},
		{"%got_ofst(s_long)", arch.ErrSymbolic, ""},
		{"%got_ofst(s_long)(21)", arch.ErrSymbolic, ""},
		{"%lo(counter)($99)", arch.ErrUnknownRegister, ""},
		{"%lo(counter)($0)", arch.ErrUnsupported, ""},
		{"%tprel_lo(t_int)($16)", arch.ErrSymbolic, ""},
		{"%lo(sym)", arch.ErrSymbolic, ""},
		{"sp", arch.ErrSymbolic, ""}, // without '$' a name is a symbol

		{"99999999999999999999", arch.ErrRange, ""},
		{"99999999999999999999($sp)", arch.ErrRange, "99999999999999999999"},

		{"", arch.ErrSyntax, ""},
		{"$", arch.ErrSyntax, ""},
		{"$$4", arch.ErrSyntax, ""},
		{"%4", arch.ErrSyntax, ""},
		{"%lo(sym", arch.ErrSyntax, ""},
		{"%lo(sym)($2))", arch.ErrSyntax, ""},
		{"$4 ", arch.ErrSyntax, ""},
		{"$4)", arch.ErrSyntax, ""},
		{"($4", arch.ErrSyntax, ""},
		{"8($4))", arch.ErrSyntax, ""},
		{"()", arch.ErrSyntax, ""},
		{"8()", arch.ErrSyntax, ""},
		{"8(4)", arch.ErrSyntax, ""},
		{"8(sp)", arch.ErrSyntax, ""},
		{"8($4,$5)", arch.ErrSyntax, ""},
		{"8 ($4)", arch.ErrSyntax, "8 "},
		{"8($4)x", arch.ErrSyntax, ""},
		{"$4,16", arch.ErrSyntax, ""},
		{"[$sp, 8]", arch.ErrSyntax, ""},
		{"#5", arch.ErrSyntax, ""},
		{"-", arch.ErrSyntax, ""},
		{"+5", arch.ErrSyntax, ""},
		{"5 ", arch.ErrSyntax, ""},
		{"8+16", arch.ErrSyntax, ""},
	})
}

// TestParseArg runs whole arguments through arch.ParseArg: shapes printed
// by mips64el-linux-gnuabi64-gcc 12 and clang 14 (survey 4.4).
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-1@$4", arch.Arg{Size: 1, Signed: true, Operand: reg(n4)}},
		{"-8@$5", arch.Arg{Size: 8, Signed: true, Operand: reg(n5)}},
		{"8@$2", arch.Arg{Size: 8, Operand: reg(n2)}},
		{"4f@$2", arch.Arg{Size: 4, Float: true, Operand: reg(n2)}},
		{"8f@8($6)", arch.Arg{Size: 8, Float: true, Operand: deref(arch.Register{Name: "6", Offset: 48}, 8)}},
		{"-4@0($4)", arch.Arg{Size: 4, Signed: true, Operand: deref(n4, 0)}},
		{"-8@-24($4)", arch.Arg{Size: 8, Signed: true, Operand: deref(n4, -24)}},
		{"-2@16($sp)", arch.Arg{Size: 2, Signed: true, Operand: deref(sp, 16)}},
		{"-4@44($sp)", arch.Arg{Size: 4, Signed: true, Operand: deref(sp, 44)}},
		{"8@0($sp)", arch.Arg{Size: 8, Operand: deref(sp, 0)}},
		{"-8@32($fp)", arch.Arg{Size: 8, Signed: true, Operand: deref(fp, 32)}},
		{"-4@5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		{"1@-56", arch.Arg{Size: 1, Operand: imm(0xffffffffffffffc8)}},
		{"4@-1", arch.Arg{Size: 4, Operand: imm(0xffffffffffffffff)}},
		{"-8@-9223372036854775808", arch.Arg{Size: 8, Signed: true, Operand: imm(0x8000000000000000)}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		{"8f@$f0", arch.ErrFloatRegister, 8, true},
		{"-4@$32", arch.ErrUnknownRegister, 4, false},
		{"-4@%got_disp(counter)($2)", arch.ErrSymbolic, 4, false},
		{"-4@0($0)", arch.ErrUnsupported, 4, false},
		{"-8@$26", arch.ErrUnsupported, 8, false},
		{"-16@$4", arch.ErrSize, 16, false},
		{"16f@0($sp)", arch.ErrSize, 16, true},
		{"$4", arch.ErrSyntax, 0, false},
	})
}

// TestSplitNote parses a whole note's argument string, the 12-argument
// probe of the cross-compiled test file at -O2.
func TestSplitNote(t *testing.T) {
	note := "-4@$4 -8@$5 -2@$6 1@$7 8@$8 4@$9 -8@$10 -4@$11 -1@0($sp) 8@8($sp) -2@16($sp) -8@24($sp)"
	want := []arch.Operand{reg(n4), reg(n5), reg(arch.Register{Name: "6", Offset: 48}), reg(arch.Register{Name: "7", Offset: 56}),
		reg(n8), reg(arch.Register{Name: "9", Offset: 72}), reg(arch.Register{Name: "10", Offset: 80}), reg(n11),
		deref(sp, 0), deref(sp, 8), deref(sp, 16), deref(sp, 24)}
	archtest.CheckNote(t, Arch, note, want)
}

// n64Names are the n64 ABI names of $0..$31 in order, from the MIPS n64
// ABI's register table (GNU as's n64 names), worked out independently of
// ptRegs; "" where the table has no name for the slot.
var n64Names = strings.Fields(`zero at v0 v1 a0 a1 a2 a3 a4 a5 a6 a7 t0 t1 t2 t3
	s0 s1 s2 s3 s4 s5 s6 s7 t8 t9 k0 k1 gp sp fp ra`)

// TestRegTable checks the table against struct pt_regs worked out by
// hand: "N" and its n64 name at 8*N for every register but $0, $26 and
// $27, the aliases ta0-ta3 ($8-$11) and s8 ($30), and nothing else; and
// IPOffset at cp0_epc, after regs[32], cp0_status, hi, lo, cp0_badvaddr
// and cp0_cause.
func TestRegTable(t *testing.T) {
	if len(n64Names) != 32 {
		t.Fatalf("n64Names has %d names, want 32", len(n64Names))
	}
	want := arch.RegTable{"ta0": 64, "ta1": 72, "ta2": 80, "ta3": 88, "s8": 240}
	for n, name := range n64Names {
		if n == 0 || n == 26 || n == 27 {
			continue
		}
		want[name] = uint16(8 * n)
		want[fmt.Sprint(n)] = uint16(8 * n)
	}
	if diff := cmp.Diff(want, ptRegs); diff != "" {
		t.Errorf("ptRegs mismatch (-want +got):\n%s", diff)
	}
	archtest.CheckRegisters(t, parseOperand, ptRegs, func(name string) string { return "$" + name })
	const epc = 32*8 + 5*8 // regs[32], cp0_status, hi, lo, cp0_badvaddr, cp0_cause
	if Arch.Name != "mips64" || Arch.Machine != elf.EM_MIPS || Arch.Class != elf.ELFCLASS64 || Arch.IPOffset != epc {
		t.Errorf("Arch = %q %v %v IP %d, want mips64 EM_MIPS ELFCLASS64 IP %d", Arch.Name, Arch.Machine, Arch.Class, Arch.IPOffset, epc)
	}
}

// cField names the struct pt_regs member a table name reads.
func cField(name string) (string, bool) {
	for n, abi := range n64Names {
		if name == abi || name == fmt.Sprint(n) {
			return fmt.Sprintf("regs[%d]", n), true
		}
	}
	switch name {
	case "ta0", "ta1", "ta2", "ta3":
		return fmt.Sprintf("regs[%d]", 8+int(name[2]-'0')), true
	case "s8":
		return "regs[30]", true
	}
	return "", false
}

// TestRegTableMatchesKernelHeader compiles offsetof() for every table
// entry against the cross toolchain's UAPI header, whose struct pt_regs
// begins with regs[32] as the 64-bit kernel's does. Its later fields are
// the ptrace layout (lo, hi, cp0_epc), not the kernel's, so IPOffset is
// checked by hand in TestRegTable only.
func TestRegTableMatchesKernelHeader(t *testing.T) {
	const cc, header = "mips64el-linux-gnuabi64-gcc", "/usr/mips64el-linux-gnuabi64/include/asm/ptrace.h"
	archtest.CheckKernelOffsets(t, cc, header, elf.EM_MIPS, "struct pt_regs", ptRegs, cField)
}
