package arm

import (
	"debug/elf"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// Offsets in the 32-bit arm struct pt_regs, worked out by hand:
// long uregs[18], rN at 4*N.
var (
	r0  = arch.Register{Name: "r0", Offset: 0}
	r1  = arch.Register{Name: "r1", Offset: 4}
	r2  = arch.Register{Name: "r2", Offset: 8}
	r3  = arch.Register{Name: "r3", Offset: 12}
	r6  = arch.Register{Name: "r6", Offset: 24}
	r8  = arch.Register{Name: "r8", Offset: 32}
	r10 = arch.Register{Name: "r10", Offset: 40}
	r12 = arch.Register{Name: "r12", Offset: 48}
	r13 = arch.Register{Name: "r13", Offset: 52}
	sb  = arch.Register{Name: "sb", Offset: 36}
	sl  = arch.Register{Name: "sl", Offset: 40}
	fp  = arch.Register{Name: "fp", Offset: 44}
	ip  = arch.Register{Name: "ip", Offset: 48}
	sp  = arch.Register{Name: "sp", Offset: 52}
	lr  = arch.Register{Name: "lr", Offset: 56}
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
		// Registers (corpus armhf: rN/fp/ip/lr; clang: r12, lr).
		{"r0", reg(r0)},
		{"r8", reg(r8)},
		{"r10", reg(r10)},
		{"r12", reg(r12)},
		{"r13", reg(r13)},
		{"sb", reg(sb)},
		{"sl", reg(sl)},
		{"fp", reg(fp)},
		{"ip", reg(ip)},
		{"sp", reg(sp)},
		{"lr", reg(lr)},

		// Immediates: #N, #-N, and leniently bare N.
		{"#5", imm(5)},
		{"#-5", imm(1<<64 - 5)},
		{"#0x10", imm(16)},
		{"#9223372036854775807", imm(1<<63 - 1)},
		{"5", imm(5)},
		{"-1", imm(1<<64 - 1)},
		{"0x10", imm(16)},
		// A symbol's link-time address as the value (non-PIE python:
		// "#_PyRuntime+49672"): the compiler adds the address.
		{"#sym+8", arch.Operand{Kind: arch.Const, Symbol: "sym", Value: 8}},
		{"#counter.0", arch.Operand{Kind: arch.Const, Symbol: "counter.0"}},
		{"#8+sym-4", arch.Operand{Kind: arch.Const, Symbol: "sym", Value: 4}},
		// clang: the same constants without '#' ("4@counter" for &counter).
		{"counter", arch.Operand{Kind: arch.Const, Symbol: "counter"}},
		{"sc", arch.Operand{Kind: arch.Const, Symbol: "sc"}},
		{"sym+8", arch.Operand{Kind: arch.Const, Symbol: "sym", Value: 8}},
		{"counter.0", arch.Operand{Kind: arch.Const, Symbol: "counter.0"}},
		// (the compiler finds no such label: ErrSymbolNotFound)
		{".LANCHOR0", arch.Operand{Kind: arch.Const, Symbol: ".LANCHOR0"}},

		// Memory.
		{"[r6]", deref(r6, 0)},
		{"[lr]", deref(lr, 0)},
		{"[sp]", deref(sp, 0)},
		{"[r3, #8]", deref(r3, 8)},
		{"[sp, #28]", deref(sp, 28)},
		{"[fp, #-12]", deref(fp, -12)},
		{"[r0, #0x10]", deref(r0, 16)},
		{"[r0, 8]", deref(r0, 8)},
		{"[r0, -8]", deref(r0, -8)},
		{"[r0,#8]", deref(r0, 8)},
		{"[ r0 , # 8 ]", deref(r0, 8)},
		{"[\tr0,\t#-8\t]", deref(r0, -8)},
		{"[r0, r1]", sib(r0, r1, 1)},
		{"[r0, +r1]", sib(r0, r1, 1)},
		{"[sp, r2]", sib(sp, r2, 1)},
		{"[r0, r1, lsl #0]", sib(r0, r1, 1)},
		{"[r0, r1, lsl #1]", sib(r0, r1, 2)},
		{"[r0, r1, lsl #2]", sib(r0, r1, 4)},
		{"[r0, r1, lsl #3]", sib(r0, r1, 8)},
		{"[r0, r1, lsl 2]", sib(r0, r1, 4)},
		{"[ r0 ,r1,lsl#2 ]", sib(r0, r1, 4)},
	})
}

func TestRegisters(t *testing.T) {
	regs := arch.RegTable{}
	for n, o := range ptRegs {
		if o != pcOffset {
			regs[n] = o
		}
	}
	archtest.CheckRegisters(t, parseOperand, regs, nil)
}

func TestParseOperandErrors(t *testing.T) {
	archtest.CheckOperandErrors(t, parseOperand, []archtest.OperandErrorCase{
		// pc anywhere: it reads ahead of the probe.
		{"pc", arch.ErrUnsupported, ""},
		{"r15", arch.ErrUnsupported, ""},
		{"[pc, #8]", arch.ErrUnsupported, ""},
		{"[r15]", arch.ErrUnsupported, ""},
		{"[r0, pc]", arch.ErrUnsupported, ""},
		// Not expressible as a spec.
		{"[r0, -r1]", arch.ErrUnsupported, ""},
		{"[r0, - r1, lsl #2]", arch.ErrUnsupported, ""},
		{"[r0, r1, lsl #4]", arch.ErrUnsupported, ""},
		{"[r0, r1, lsl #31]", arch.ErrUnsupported, ""},
		{"[r0, r1, lsr #2]", arch.ErrUnsupported, ""},
		{"[r0, r1, asr #1]", arch.ErrUnsupported, ""},
		{"[r0, r1, ror #8]", arch.ErrUnsupported, ""},
		{"[r0, r1, rrx]", arch.ErrUnsupported, ""},
		{"[r0, #4]!", arch.ErrUnsupported, ""},
		{"[r0, r1]!", arch.ErrUnsupported, ""},
		{"[r0], #4", arch.ErrUnsupported, ""},
		{"[r0], #-4", arch.ErrUnsupported, ""},
		{"[r0], r1", arch.ErrUnsupported, ""},
		{"[r0], -r1, lsl #2", arch.ErrUnsupported, ""},
		// VFP/NEON.
		{"s0", arch.ErrFloatRegister, ""},
		{"d8", arch.ErrFloatRegister, ""},
		{"d31", arch.ErrFloatRegister, ""},
		{"q15", arch.ErrFloatRegister, ""},
		{"[d0]", arch.ErrFloatRegister, ""},
		// Symbols (corpus: #sym+N).
		{"#sym@GOT", arch.ErrSymbolic, ""},
		{"#:lower16:sym", arch.ErrSymbolic, ""},
		{"#:upper16:sym", arch.ErrSymbolic, ""},
		{"[r0, #:lower16:sym]", arch.ErrSymbolic, ""},
		{"[r0, #sym]", arch.ErrSymbolic, ""},
		// Unknown names.
		{"r16", arch.ErrUnknownRegister, ""},
		{"R0", arch.ErrUnknownRegister, ""},
		{"q16", arch.ErrUnknownRegister, ""},
		{"x0", arch.ErrUnknownRegister, ""},
		{"[foo]", arch.ErrUnknownRegister, ""},
		{"[r0, r99]", arch.ErrUnknownRegister, ""},
		// Syntax.
		{"#", arch.ErrSyntax, ""},
		{"#5 ", arch.ErrSyntax, ""},
		{" r0", arch.ErrSyntax, ""},
		{"r0,", arch.ErrSyntax, ""},
		{"[r0", arch.ErrSyntax, ""},
		{"[r0]]", arch.ErrSyntax, ""},
		{"[r0] x", arch.ErrSyntax, ""},
		{"[]", arch.ErrSyntax, ""},
		{"[r0, ]", arch.ErrSyntax, ""},
		{"[r0, [r1]]", arch.ErrSyntax, ""},
		{"[r0, #]", arch.ErrSyntax, ""},
		{"[r0, #8, lsl #2]", arch.ErrSyntax, ""},
		{"[r0, r1, lsl]", arch.ErrSyntax, ""},
		{"[r0, r1, lsl #-1]", arch.ErrSyntax, ""},
		{"[r0, r1, mul #2]", arch.ErrSyntax, ""},
		{"[r0, r1, r2, r3]", arch.ErrSyntax, ""},
		{"[r0]!", arch.ErrSyntax, ""},
		{"%r0", arch.ErrSyntax, ""},
		// Range.
		{"#18446744073709551616", arch.ErrRange, ""},
	})
}

// TestParseArg: the shapes clang emits for armv7 (survey section 4.4) and
// gcc for armhf (corpus).
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-4@r0", arch.Arg{Size: 4, Signed: true, Operand: reg(r0)}},
		{"4@lr", arch.Arg{Size: 4, Operand: reg(lr)}},
		{"-4@r12", arch.Arg{Size: 4, Signed: true, Operand: reg(r12)}},
		{"-4@[r6]", arch.Arg{Size: 4, Signed: true, Operand: deref(r6, 0)}},
		{"4@[lr]", arch.Arg{Size: 4, Operand: deref(lr, 0)}},
		{"-4@#5", arch.Arg{Size: 4, Signed: true, Operand: imm(5)}},
		// gcc's float constants (case unsupported_literals): the bits of
		// the argument's size, as the program passes them.
		{"8f@#1.5e+0", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Const, Value: math.Float64bits(1.5), FloatImmediate: true}}},
		{"4f@#-2.5e-1", arch.Arg{Size: 4, Float: true, Operand: arch.Operand{Kind: arch.Const, Value: uint64(math.Float32bits(-0.25)), FloatImmediate: true}}},
		{"8f@#1.0e+300", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Const, Value: math.Float64bits(1e300), FloatImmediate: true}}},
		{"4f@#0.0", arch.Arg{Size: 4, Float: true, Operand: arch.Operand{Kind: arch.Const, FloatImmediate: true}}},
		{"-8@#9223372036854775807", arch.Arg{Size: 8, Signed: true, Operand: imm(1<<63 - 1)}},
		{"8f@[r3]", arch.Arg{Size: 8, Float: true, Operand: deref(r3, 0)}},
		{"-4@[sp, #28]", arch.Arg{Size: 4, Signed: true, Operand: deref(sp, 28)}},
		{"4@[r3, #8]", arch.Arg{Size: 4, Operand: deref(r3, 8)}},
		{"-4@#-42", arch.Arg{Size: 4, Signed: true, Operand: imm(1<<64 - 42)}},
		{"1@fp", arch.Arg{Size: 1, Operand: reg(fp)}},
		{"2@ip", arch.Arg{Size: 2, Operand: reg(ip)}},
		{"8@[sp]", arch.Arg{Size: 8, Operand: deref(sp, 0)}},
		{"-2@[r0, r1, lsl #1]", arch.Arg{Size: 2, Signed: true, Operand: sib(r0, r1, 2)}},
		// A 64-bit value in a register pair, named by its low register:
		// the high half is in the next one.
		{"-8@r8", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Pair, Base: r8, Index: arch.Register{Name: "r9", Offset: 36}, Scale: 1}}},
		// clang's double in a core register pair (survey 4.4).
		{"8f@r0", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Pair, Base: r0, Index: r1, Scale: 1}}},
		{"8@sb", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Pair, Base: sb, Index: arch.Register{Name: "r10", Offset: 40}, Scale: 1}}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgErrors(t, Arch, []archtest.ArgErrorCase{
		// A 64-bit value named by a register no pair starts at (the pair
		// would end in sp or beyond): only the low half.
		{"-8@r12", arch.ErrPartialRegister, 8, false},
		{"4@#1.5e+0", arch.ErrSyntax, 4, false},
		{"2f@#1.5e+0", arch.ErrSize, 2, true},
		{"4f@#1.5q", arch.ErrSyntax, 4, true},
		{"4f@#0x1p3", arch.ErrSyntax, 4, true},
		{"8@lr", arch.ErrPartialRegister, 8, false},
		{"8f@d0", arch.ErrFloatRegister, 8, true},
		{"4f@s0", arch.ErrFloatRegister, 4, true},
		{"-4@#:lower16:sym", arch.ErrSymbolic, 4, false},
		{"4@pc", arch.ErrUnsupported, 4, false},
		{"16@[r0]", arch.ErrSize, 16, false},
		{"-4@r16", arch.ErrUnknownRegister, 4, false},
	})
}

// TestNote: a whole argument string, split and parsed.
func TestNote(t *testing.T) {
	archtest.CheckNote(t, Arch, "-4@r0 -4@[r6, #8] -8@#9223372036854775807 4@lr", []arch.Operand{
		reg(r0), deref(r6, 8), imm(1<<63 - 1), reg(lr),
	})
	archtest.CheckNote(t, Arch, "-4@[sp, #28] 4@[r3] -4@#-3 1@ip 2@[r1, r2, lsl #1]", []arch.Operand{
		deref(sp, 28), deref(r3, 0), imm(1<<64 - 3), reg(ip), sib(r1, r2, 2),
	})
}

// TestRegTableMatchesKernelHeader checks every table entry against
// offsetof(struct pt_regs, uregs[N]) compiled by the arm cross compiler
// (package gcc-arm-linux-gnueabihf; the header is in
// linux-libc-dev-armhf-cross).
//
// archtest.CheckKernelOffsets declares its results "unsigned long" and
// reads 8-byte symbols, which a 32-bit target makes 4 bytes. The compiler
// it runs is therefore a wrapper that pre-includes the headers, so that
// their own "long" stays 4 bytes, and then widens the results' type with
// "#define long long long".
func TestRegTableMatchesKernelHeader(t *testing.T) {
	const header = "/usr/arm-linux-gnueabihf/include/asm/ptrace.h"
	field := func(name string) (string, bool) {
		n, ok := map[string]int{"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15}[name]
		if !ok {
			var err error
			if len(name) < 2 || name[0] != 'r' {
				return "", false
			}
			if n, err = strconv.Atoi(name[1:]); err != nil || n > 15 {
				return "", false
			}
		}
		return fmt.Sprintf("uregs[%d]", n), true
	}
	if n := archtest.CheckKernelOffsets(t, "arm-linux-gnueabihf-gcc", header, elf.EM_ARM, "struct pt_regs", ptRegs, field); n != len(ptRegs) {
		t.Errorf("checked %d names, want %d", n, len(ptRegs))
	}
	// The instruction pointer is uregs[15].
	if Arch.IPOffset != ptRegs["pc"] {
		t.Errorf("IPOffset %d, pc at %d", Arch.IPOffset, ptRegs["pc"])
	}
}
