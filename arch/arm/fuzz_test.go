package arm

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
		// Real compiler output (survey 4.4, Debian corpus armhf).
		"r0", "lr", "r12", "fp", "ip", "[r6]", "[lr]", "[r3]", "#5", "#9223372036854775807",
		"[r3, #8]", "[sp, #28]", "[sp]", "#-42", "#sym+8",
		// Other shapes of the grammar.
		"sp", "sb", "sl", "pc", "r15", "5", "-1", "#0x10", "[r0, #-8]", "[ r0 , # 8 ]",
		"[r0, r1]", "[r0, -r1]", "[r0, r1, lsl #2]", "[r0, r1, asr #1]", "[r0, #4]!",
		"[r0], #4", "[r0], r1", "[pc, #8]", "d0", "s31", "q15", "#:lower16:sym", "r16",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// arm's own invariants: no pc, and no register-offset address
		// with an immediate offset.
		if o.Kind != arch.Const && o.Base.Offset == pcOffset || o.Kind == arch.SIB && o.Index.Offset == pcOffset {
			t.Fatalf("parseOperand(%q) = %+v: pc accepted", op, o)
		}
		if o.Kind == arch.SIB && o.Offset != 0 {
			t.Fatalf("parseOperand(%q) = %+v: register-offset address with an immediate offset", op, o)
		}
	})
}
