package mips64

import (
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// FuzzParseOperand checks that the grammar never panics, that every error
// wraps exactly one sentinel, and that what it accepts is a well-formed
// operand over registers of the table.
func FuzzParseOperand(f *testing.F) {
	for _, s := range []string{
		// Real compiler output (cross gcc 12, clang 14, Debian bookworm
		// mips64el).
		"$4", "$16", "$2", "$fp", "$sp", "0($4)", "-24($4)", "44($sp)", "16($fp)",
		"192($16)", "5", "-9", "1311768467463790320", "%lo(counter)($2)",
		// Other shapes of the grammar.
		"$0", "$zero", "$a0", "$t3", "$ta0", "$s8", "$26", "$k0", "$f0", "$w31",
		"$fcc0", "$32", "($5)", "0($0)", "sym", "sym+8", "sym($28)", "0x10", "$",
		"8+16($sp)", "%hi(x)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// mips64's own invariants: no index, no k0/k1, and the zero
		// register only as the constant 0.
		if o.Kind == arch.SIB {
			t.Fatalf("parseOperand(%q) = %+v: MIPS has no indexed addressing in sdt operands", op, o)
		}
		if o.Base.Offset == 26*8 || o.Base.Offset == 27*8 {
			t.Fatalf("parseOperand(%q) = %+v: k0/k1 are not saved in pt_regs", op, o)
		}
		if o.Kind == arch.Const && strings.HasPrefix(op, "$") && isZero(op[1:]) && o.Value != 0 {
			t.Fatalf("parseOperand(%q) = %+v: zero is not 0", op, o)
		}
	})
}
