package riscv64

import (
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// FuzzParseOperand checks that the grammar never panics, that every error
// wraps exactly one sentinel, and that what it accepts is a well-formed
// operand over registers of the table.
func FuzzParseOperand(f *testing.F) {
	for _, s := range []string{
		// Real compiler output (survey 4.4, cross gcc 12, Debian corpus).
		"a0", "a1", "s0", "-20(s0)", "0(sp)", "8(a1)", "5", "-9", "a4", "16(a5)",
		"t6", "-32(t1)", "1572864", "29(s1)",
		// Other shapes of the grammar.
		"zero", "x0", "x31", "fp", "(a0)", "8+16(sp)", "0x10", "0(zero)", "f0",
		"fa7", "v0", "x32", "%lo(sym)(a5)", "sym", "sym+8(gp)", "A0", "pc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// riscv64's own invariants: no index, and the zero register
		// only as the constant 0.
		if o.Kind == arch.SIB {
			t.Fatalf("parseOperand(%q) = %+v: riscv has no indexed addressing", op, o)
		}
		if o.Kind == arch.Const && isZero(op) && o.Value != 0 {
			t.Fatalf("parseOperand(%q) = %+v: zero is not 0", op, o)
		}
	})
}
