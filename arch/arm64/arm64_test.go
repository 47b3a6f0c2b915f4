package arm64

import (
	"debug/elf"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h),
// worked out by hand: __u64 regs[31] at 8*N, then sp, pc, pstate.
var (
	x0  = arch.Register{Name: "x0", Offset: 0}
	x1  = arch.Register{Name: "x1", Offset: 8}
	x2  = arch.Register{Name: "x2", Offset: 16}
	x5  = arch.Register{Name: "x5", Offset: 40}
	x8  = arch.Register{Name: "x8", Offset: 64}
	x18 = arch.Register{Name: "x18", Offset: 144}
	x21 = arch.Register{Name: "x21", Offset: 168}
	x29 = arch.Register{Name: "x29", Offset: 232}
	x30 = arch.Register{Name: "x30", Offset: 240}
	w0  = arch.Register{Name: "w0", Offset: 0}
	w7  = arch.Register{Name: "w7", Offset: 56}
	w30 = arch.Register{Name: "w30", Offset: 240}
	fp  = arch.Register{Name: "fp", Offset: 232}
	lr  = arch.Register{Name: "lr", Offset: 240}
	sp  = arch.Register{Name: "sp", Offset: 248}
)

func reg(r arch.Register) arch.Operand { return arch.Operand{Kind: arch.Reg, Base: r} }

func deref(r arch.Register, off int64) arch.Operand {
	return arch.Operand{Kind: arch.Deref, Base: r, Offset: off}
}

func sib(base, index arch.Register, scale uint8) arch.Operand {
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: scale}
}

func imm(v uint64) arch.Operand { return arch.Operand{Kind: arch.Const, Value: v} }

func TestParseOperand(t *testing.T) {
	archtest.CheckOperands(t, parseOperand, []archtest.OperandCase{
		// The low 12 bits of a symbol's address (+N), after adrp: the
		// compiler resolves them (gcc -fno-section-anchors, and every
		// extern variable in non-PIC code); a section anchor (.LANCHOR2)
		// is in no symbol table, which the compiler reports.
		{"[x2, #:lo12:g_int]", arch.Operand{Kind: arch.Deref, Base: x2, Symbol: "g_int", SymbolRef: arch.SymbolLow12}},
		{"[x21, :lo12:.LANCHOR2]", arch.Operand{Kind: arch.Deref, Base: x21, Symbol: ".LANCHOR2", SymbolRef: arch.SymbolLow12}},
		{"[x0, #:lo12:g_rec+8]", arch.Operand{Kind: arch.Deref, Base: x0, Symbol: "g_rec", Offset: 8, SymbolRef: arch.SymbolLow12}},
		// Registers: gcc always prints x, even for 32-bit values.
		{"x0", reg(x0)},
		{"x1", reg(x1)},
		{"x5", reg(x5)},
		{"x8", reg(x8)},
		{"x18", reg(x18)},
		{"x29", reg(x29)},
		{"x30", reg(x30)},
		{"w0", reg(w0)},
		{"w7", reg(w7)},
		{"w30", reg(w30)},
		{"fp", reg(fp)},
		{"lr", reg(lr)},
		{"sp", reg(sp)},
		{"wsp", reg(arch.Register{Name: "wsp", Offset: 248})},
		{"xzr", imm(0)},
		{"wzr", imm(0)},

		// Memory.
		{"[sp, 28]", deref(sp, 28)},
		{"[sp]", deref(sp, 0)},
		{"[x1]", deref(x1, 0)},
		{"[x1, 8]", deref(x1, 8)},
		{"[x0, 16]", deref(x0, 16)},
		{"[x8]", deref(x8, 0)},
		{"[x18]", deref(x18, 0)},
		{"[x0,8]", deref(x0, 8)},
		{"[ x0 , 8 ]", deref(x0, 8)},
		{"[\tx0,\t8\t]", deref(x0, 8)},
		{"[x0, #8]", deref(x0, 8)},
		{"[x0, #-8]", deref(x0, -8)},
		{"[x0, -8]", deref(x0, -8)},
		{"[x0, 0x10]", deref(x0, 16)},
		{"[x0, #-0x10]", deref(x0, -16)},
		{"[x0, # 8]", deref(x0, 8)},
		{"[x0, 8+16]", deref(x0, 24)},
		{"[fp, -16]", deref(fp, -16)},
		{"[x29, #-4]", deref(x29, -4)},
		{"[lr]", deref(lr, 0)},
		{"[sp, #0]", deref(sp, 0)},
		{"[x0, x1]", sib(x0, x1, 1)},
		{"[sp, x2]", sib(sp, x2, 1)},
		{"[x0,x1]", sib(x0, x1, 1)},
		{"[x0, x1, lsl 0]", sib(x0, x1, 1)},
		{"[x0, x1, lsl 1]", sib(x0, x1, 2)},
		{"[x0, x1, lsl #2]", sib(x0, x1, 4)},
		{"[x0, x1, lsl 3]", sib(x0, x1, 8)},
		{"[x0,x1,lsl#3]", sib(x0, x1, 8)},
		{"[ x0 , x1 , lsl  # 3 ]", sib(x0, x1, 8)},
		{"[x0, x1, sxtx]", sib(x0, x1, 1)},
		{"[x0, x1, sxtx #3]", sib(x0, x1, 8)},
		{"[x0, xzr]", deref(x0, 0)},
		{"[x0, wzr, uxtw #2]", deref(x0, 0)},

		// Immediates: gcc prints no '#', hand-written asm may.
		{"5", imm(5)},
		{"-9", imm(0xfffffffffffffff7)},
		{"#5", imm(5)},
		{"#-9", imm(0xfffffffffffffff7)},
		{"0", imm(0)},
		{"0x10", imm(16)},
		{"#0xff", imm(255)},
		{"-1", imm(0xffffffffffffffff)},
		{"18446744073709551615", imm(0xffffffffffffffff)},
		{"-9223372036854775808", imm(0x8000000000000000)},
	})
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		// FP/SIMD registers are not in pt_regs.
		{"v0", arch.ErrFloatRegister, ""},
		{"v31", arch.ErrFloatRegister, ""},
		{"b0", arch.ErrFloatRegister, ""},
		{"h1", arch.ErrFloatRegister, ""},
		{"s2", arch.ErrFloatRegister, ""},
		{"d3", arch.ErrFloatRegister, ""},
		{"q31", arch.ErrFloatRegister, ""},
		{"z0", arch.ErrFloatRegister, ""},
		{"[v0]", arch.ErrFloatRegister, "v0"},
		{"[x0, d1]", arch.ErrFloatRegister, "d1"},

		// Symbols and relocations.
		{"[x0, #:got_lo12:sym]", arch.ErrSymbolic, ""},
		{"[x0, #:tprel_lo12_nc:sym]", arch.ErrSymbolic, ""},
		{"[x0, #:lo12:]", arch.ErrSymbolic, ""},
		{"[x0, #:lo12:sym, lsl 3]", arch.ErrSymbolic, ""},
		{"#:lo12:sym", arch.ErrSymbolic, ""},
		{":got:sym", arch.ErrSymbolic, ""},
		{"[x0, .LANCHOR2]", arch.ErrSymbolic, ".LANCHOR2"},
		{"[x0, #sym]", arch.ErrSymbolic, "sym"},
		{"[x0, #sym+8]", arch.ErrSymbolic, "sym+8"},
		{".LANCHOR2", arch.ErrSymbolic, ""},
		{"counter.0", arch.ErrSymbolic, ""},
		{"sym+8", arch.ErrSymbolic, ""},
		{"x@GOT", arch.ErrSymbolic, ""},
		{"#sym", arch.ErrSymbolic, "sym"},
		{"8+sym", arch.ErrSymbolic, ""},

		// Unknown register names.
		{"x31", arch.ErrUnknownRegister, ""},
		{"w31", arch.ErrUnknownRegister, ""},
		{"pc", arch.ErrUnknownRegister, ""},
		{"foo", arch.ErrUnknownRegister, ""},
		{"v32", arch.ErrUnknownRegister, ""},
		{"d01", arch.ErrUnknownRegister, ""},
		{"X0", arch.ErrUnknownRegister, ""},
		{"[x31]", arch.ErrUnknownRegister, "x31"},
		{"[x0, x31]", arch.ErrUnknownRegister, "x31"},
		{"[foo, 8]", arch.ErrUnknownRegister, "foo"},

		// Well-formed, but not a spec.
		{"[x0, 8]!", arch.ErrUnsupported, ""},
		{"[x0, #-16]!", arch.ErrUnsupported, ""},
		{"[x0],8", arch.ErrUnsupported, ""},
		{"[x0], 8", arch.ErrUnsupported, ""},
		{"[x0], #8", arch.ErrUnsupported, ""},
		{"[x0], x1", arch.ErrUnsupported, ""},
		{"[x0, x1, lsl 4]", arch.ErrUnsupported, ""},
		{"[x0, x1, lsl #12]", arch.ErrUnsupported, ""},
		{"[x0, w1, uxtw]", arch.ErrUnsupported, ""},
		{"[x0, w1, sxtw #2]", arch.ErrUnsupported, ""},

		// Numbers that do not fit.
		{"99999999999999999999", arch.ErrRange, ""},
		{"[x0, 99999999999999999999]", arch.ErrRange, "99999999999999999999"},

		// Not the grammar.
		{"", arch.ErrSyntax, ""},
		{"[", arch.ErrSyntax, ""},
		{"[x0", arch.ErrSyntax, ""},
		{"[]", arch.ErrSyntax, ""},
		{"[x0,]", arch.ErrSyntax, ""},
		{"[,8]", arch.ErrSyntax, ""},
		{"[x0]x", arch.ErrSyntax, ""},
		{"[x0] ", arch.ErrSyntax, ""},
		{"[x0],", arch.ErrSyntax, ""},
		{"[x0]!", arch.ErrSyntax, ""},
		{"[x0, x1]!", arch.ErrSyntax, ""},
		{"[x0, 8]]", arch.ErrSyntax, ""},
		{"[x0, 8] junk", arch.ErrSyntax, ""},
		{"[[x0]]", arch.ErrSyntax, ""},
		{"[x0, 8, 9]", arch.ErrSyntax, ""},
		{"[x0, x1, lsl 3, 4]", arch.ErrSyntax, ""},
		{"[x0, x1, asr 3]", arch.ErrSyntax, ""},
		{"[x0, x1, lsl]", arch.ErrSyntax, ""},
		{"[x0, x1, lsl -1]", arch.ErrSyntax, ""},
		{"[x0, x1, lsl x]", arch.ErrSyntax, ""},
		{"[x0, x1, lsl3]", arch.ErrSyntax, ""},
		{"[x0, x1, uxtw]", arch.ErrSyntax, ""},
		{"[x0, w1]", arch.ErrSyntax, ""},
		{"[x0, w1, lsl 2]", arch.ErrSyntax, ""},
		{"[x0, sp]", arch.ErrSyntax, ""},
		{"[w0]", arch.ErrSyntax, ""},
		{"[wsp]", arch.ErrSyntax, ""},
		{"[xzr]", arch.ErrSyntax, ""},
		{"[x0, #]", arch.ErrSyntax, ""},
		{"[x0, +8]", arch.ErrSyntax, "+8"},
		{"x0 ", arch.ErrSyntax, ""},
		{" x0", arch.ErrSyntax, ""},
		{"x0,", arch.ErrSyntax, ""},
		{"x0 x1", arch.ErrSyntax, ""},
		{"%x0", arch.ErrSyntax, ""},
		{"#", arch.ErrSyntax, ""},
		{"-", arch.ErrSyntax, ""},
		{"+5", arch.ErrSyntax, ""},
		{"5x", arch.ErrSyntax, ""},
		{"# 5", arch.ErrSyntax, ""},
	})
}

// TestParseArg runs whole arguments, as gcc 12 and clang 14 emitted them
// (survey section 4.4, Debian corpus), through arch.ParseArg.
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-4@x0", arch.Arg{Size: 4, Signed: true, Operand: reg(x0)}},
		{"-8@x1", arch.Arg{Size: 8, Signed: true, Operand: reg(x1)}},
		{"8@x5", arch.Arg{Size: 8, Operand: reg(x5)}},
		{"-4@[sp, 28]", arch.Arg{Size: 4, Signed: true, Operand: deref(sp, 28)}},
		{"8@[sp]", arch.Arg{Size: 8, Operand: deref(sp, 0)}},
		{"-4@[x1]", arch.Arg{Size: 4, Signed: true, Operand: deref(x1, 0)}},
		{"-8@[x1, 8]", arch.Arg{Size: 8, Signed: true, Operand: deref(x1, 8)}},
		{"-4@5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		{"-4@-9", arch.Arg{Size: 4, Signed: true, Operand: imm(0xfffffffffffffff7)}},
		{"4@-1", arch.Arg{Size: 4, Operand: imm(0xffffffffffffffff)}},
		{"8f@x1", arch.Arg{Size: 8, Float: true, Operand: reg(x1)}},
		{"8f@[x0, 16]", arch.Arg{Size: 8, Float: true, Operand: deref(x0, 16)}},
		{"-1@[x0, x1]", arch.Arg{Size: 1, Signed: true, Operand: sib(x0, x1, 1)}},
		{"-4@[x8]", arch.Arg{Size: 4, Signed: true, Operand: deref(x8, 0)}},
		{"-8@[x18]", arch.Arg{Size: 8, Signed: true, Operand: deref(x18, 0)}},
		{"-4@x8", arch.Arg{Size: 4, Signed: true, Operand: reg(x8)}},
		{"-4@w0", arch.Arg{Size: 4, Signed: true, Operand: reg(w0)}},
		{"8@[x21, 16]", arch.Arg{Size: 8, Operand: deref(x21, 16)}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		{"8f@v0", arch.ErrFloatRegister, 8, true},
		{"4f@s0", arch.ErrFloatRegister, 4, true},
		{"4@[x21, #:got_lo12:sym]", arch.ErrSymbolic, 4, false},
		{"-4@x31", arch.ErrUnknownRegister, 4, false},
		{"8@[x0, 8]!", arch.ErrUnsupported, 8, false},
		{"-16@x0", arch.ErrSize, 16, false},
		{"x0", arch.ErrSyntax, 0, false},
		{"4@", arch.ErrSyntax, 4, false},
	})
}

// TestSplitNote checks that a whole note's argument string, with its
// blanks inside brackets, splits into arguments this grammar parses.
func TestSplitNote(t *testing.T) {
	note := "-4@x0 -8@[sp, 16] -1@[x0, x1] 8f@[x0, 16] -4@5"
	want := []arch.Operand{reg(x0), deref(sp, 16), sib(x0, x1, 1), deref(x0, 16), imm(5)}
	archtest.CheckNote(t, Arch, note, want)
}

// TestRegTable checks the table against struct user_pt_regs worked out by
// hand: regs[N] at 8*N for xN and wN, fp = x29, lr = x30, sp after regs.
func TestRegTable(t *testing.T) {
	want := arch.RegTable{"sp": 248, "wsp": 248, "fp": 232, "lr": 240}
	for n := range 31 {
		want[fmt.Sprintf("x%d", n)] = uint16(8 * n)
		want[fmt.Sprintf("w%d", n)] = uint16(8 * n)
	}
	if diff := cmp.Diff(want, ptRegs); diff != "" {
		t.Errorf("ptRegs mismatch (-want +got):\n%s", diff)
	}
	archtest.CheckRegisters(t, parseOperand, ptRegs, nil)
	if Arch.Name != "arm64" || Arch.Machine != elf.EM_AARCH64 {
		t.Errorf("Arch = %q %v, want arm64 EM_AARCH64", Arch.Name, Arch.Machine)
	}
}

var regN = regexp.MustCompile(`^[xw]([0-9]+)$`)

// cField is the struct user_pt_regs member a table name reads.
func cField(name string) (string, bool) {
	if m := regN.FindStringSubmatch(name); m != nil {
		return "regs[" + m[1] + "]", true
	}
	switch name {
	case "sp", "wsp":
		return "sp", true
	case "fp":
		return "regs[29]", true
	case "lr":
		return "regs[30]", true
	}
	return "", false
}

// TestRegTableMatchesKernelHeader compiles offsetof() for every table
// entry against the cross toolchain's UAPI header and reads the values
// back from the object file.
func TestRegTableMatchesKernelHeader(t *testing.T) {
	archtest.CheckKernelOffsets(t, "aarch64-linux-gnu-gcc", "/usr/aarch64-linux-gnu/include/asm/ptrace.h",
		elf.EM_AARCH64, "struct user_pt_regs", ptRegs, cField)
}
