package loong64

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
		// Real compiler output (Debian sid loong64 corpus, gcc 15).
		"$r4", "$r23", "$r3,16", "$r22,-20", "$r12,0", "5", "-9", "$r0",
		// clang's shapes.
		"$a0", "$sp, 16", "$a0, $t0",
		// Other shapes of the grammar.
		"$r12,$r13", "$r12,%pc_lo12(sym)", "$r0,8", "$r0,$r5", "$zero", "$fa0",
		"$f31", "$vr0", "$xr31", "$fcc0", "$r32", "sym+8", "0x10", "$", "$r3,",
		"%pc_lo12(x)", "16($r3)", "-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, op string) {
		o, ok := archtest.CheckOperand(t, Arch, ptRegs, op, parseOperand)
		if !ok {
			return
		}
		// loong64's own invariants: an index only with scale 1 and no
		// displacement (ldx.d takes none), and the zero register only as
		// the constant 0.
		if o.Kind == arch.SIB && (o.Scale != 1 || o.Offset != 0) {
			t.Fatalf("parseOperand(%q) = %+v: LoongArch indexed addresses are unscaled and have no displacement", op, o)
		}
		if o.Kind == arch.Const && strings.HasPrefix(op, "$") && isZero(op[1:]) && o.Value != 0 {
			t.Fatalf("parseOperand(%q) = %+v: zero is not 0", op, o)
		}
	})
}
