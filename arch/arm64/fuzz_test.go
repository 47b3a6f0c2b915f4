package arm64

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
		// Real compiler output (survey 4.4, Debian corpus).
		"x0", "x1", "x5", "x8", "x30", "[sp, 28]", "[sp]", "[x1]", "[x1, 8]",
		"[x0, 16]", "[x8]", "[x18]", "5", "-9", "-1", "v0",
		"[x21, #:lo12:.LANCHOR2]", "[x0, x1]",
		// Other shapes of the grammar.
		"w0", "fp", "lr", "sp", "xzr", "#5", "#-0x10", "[x0, #-8]", "[ x0 , 8 ]",
		"[x0, x1, lsl #3]", "[x0, x1, sxtx]", "[x0, w1, uxtw #2]", "[x0, 8]!",
		"[x0], #8", "[x0], x1", "x31", "pc", "d0", "[x0, xzr]", "counter.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// arm64's own invariants.
		if o.Kind != arch.Deref && o.Kind != arch.SIB {
			return
		}
		if strings.HasPrefix(o.Base.Name, "w") {
			t.Fatalf("parseOperand(%q) = %+v: 32-bit base register", op, o)
		}
		if o.Kind != arch.SIB {
			return
		}
		if !strings.HasPrefix(o.Index.Name, "x") && o.Index.Name != "fp" && o.Index.Name != "lr" {
			t.Fatalf("parseOperand(%q) = %+v: index %s is not a 64-bit general register", op, o, o.Index.Name)
		}
		if o.Offset != 0 {
			t.Fatalf("parseOperand(%q) = %+v: register-offset address with an immediate offset", op, o)
		}
	})
}
