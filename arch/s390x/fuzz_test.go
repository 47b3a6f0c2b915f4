package s390x

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
		// Real compiler output (survey 4.4, Debian corpus).
		"%r2", "%r3", "%r11", "160(%r15)", "172(%r11)", "0(%r1)", "5", "-9",
		"0(%r2,%r4)", "224(%r1,%r15)", "%f0",
		// Other shapes of the grammar.
		"(%r2)", "8(,%r15)", "8+16(%r15)", "-8(%r15)", "0x10", "%r0", "8(%r0,%r4)",
		"0(%r0)", "%r16", "%v0", "%a0", "%c0", "sym", "x@GOT(%r12)", "sym+8",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// s390x's own invariants: register 0 in an address field means
		// "no register", so it is never a memory operand's base or index.
		if o.Kind != arch.Deref && o.Kind != arch.SIB {
			return
		}
		if o.Base.Name == "r0" {
			t.Fatalf("parseOperand(%q) = %+v: %%r0 as a base register means no base", op, o)
		}
		if o.Kind == arch.SIB && o.Index.Name == "r0" {
			t.Fatalf("parseOperand(%q) = %+v: %%r0 as an index register means no index", op, o)
		}
	})
}
