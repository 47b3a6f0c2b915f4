package ppc64

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
		// Real compiler output (survey 4.4, cross gcc 12, Debian corpus).
		"3", "4", "0", "0(9)", "0(4)", "0(31)", "i5", "i-9", "9", "0(8)", "%r0",
		"16(6)", "8,11", "8,0", "31", "i0",
		// Other shapes of the grammar.
		"%r31", "r3", "(9)", "0,9", "%r9,%r11", "8(%r31)", "-4(31)", "0(0)",
		"32", "%f1", "vs63", "v0", "sym@toc@l(2)", ".LC0@toc(2)", "-9", "i0x10",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// ppc64's own invariants: register 0 as a base (the RA field) is
		// the literal 0, so it is never a base, except as RB of "0,RB";
		// indexed addresses are unscaled and have no displacement.
		switch o.Kind {
		case arch.Deref:
			if o.Base.Offset == 0 && !strings.Contains(op, ",") {
				t.Fatalf("parseOperand(%q) = %+v: register 0 as a base", op, o)
			}
		case arch.SIB:
			if o.Base.Offset == 0 {
				t.Fatalf("parseOperand(%q) = %+v: register 0 as RA", op, o)
			}
			if o.Scale != 1 || o.Offset != 0 {
				t.Fatalf("parseOperand(%q) = %+v: scaled or displaced indexed address", op, o)
			}
		}
	})
}
