package arm64

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/usdtspec/usdtspec/arch"
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
		o, err := parseOperand(op)
		if err != nil {
			if n := sentinels(err); n != 1 {
				t.Fatalf("parseOperand(%q) error %q wraps %d sentinels, want 1", op, err, n)
			}
			if o != (arch.Operand{}) {
				t.Fatalf("parseOperand(%q) returned %+v with error %v", op, o, err)
			}
			return
		}
		checkOperand(t, op, o)

		// Anchored: text after a whole operand is never dropped.
		for _, junk := range []string{"@", "]", ")", " x"} {
			if got, err := parseOperand(op + junk); err == nil {
				t.Fatalf("parseOperand(%q) = %+v, want an error (%q parses alone)", op+junk, got, op)
			}
		}
		// The same through a whole argument.
		arg, err := arch.ParseArg(Arch, "-8@"+op)
		if err != nil {
			t.Fatalf("ParseArg(%q): %v", "-8@"+op, err)
		}
		if diff := cmp.Diff(o, arg.Operand); diff != "" {
			t.Fatalf("ParseArg(%q) operand differs from parseOperand (-op +arg):\n%s", "-8@"+op, diff)
		}
	})
}

// checkOperand checks the invariants of an accepted operand.
func checkOperand(t *testing.T, op string, o arch.Operand) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("parseOperand(%q) = %+v: "+format, append([]any{op, o}, args...)...)
	}
	inTable := func(what string, r arch.Register) {
		t.Helper()
		off, ok := ptRegs[r.Name]
		if !ok || off != r.Offset {
			fail("%s %+v is not a table entry", what, r)
		}
	}
	switch o.Kind {
	case arch.Const:
		if o.Base != (arch.Register{}) || o.Index != (arch.Register{}) || o.Scale != 0 || o.Offset != 0 {
			fail("const with register fields set")
		}
	case arch.Reg:
		inTable("base", o.Base)
		if o.Index != (arch.Register{}) || o.Scale != 0 || o.Offset != 0 || o.Value != 0 {
			fail("reg with other fields set")
		}
	case arch.Deref, arch.SIB:
		inTable("base", o.Base)
		if strings.HasPrefix(o.Base.Name, "w") {
			fail("32-bit base register")
		}
		if o.Value != 0 {
			fail("memory operand with a value")
		}
		if o.Kind == arch.Deref {
			if o.Index != (arch.Register{}) || o.Scale != 0 {
				fail("deref with index fields set")
			}
			break
		}
		inTable("index", o.Index)
		if !strings.HasPrefix(o.Index.Name, "x") && o.Index.Name != "fp" && o.Index.Name != "lr" {
			fail("index %s is not a 64-bit general register", o.Index.Name)
		}
		switch o.Scale {
		case 1, 2, 4, 8:
		default:
			fail("scale %d", o.Scale)
		}
		if o.Offset != 0 {
			fail("register-offset address with an immediate offset")
		}
	default:
		fail("invalid kind %v", o.Kind)
	}
}
