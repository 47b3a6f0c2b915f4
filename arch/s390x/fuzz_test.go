package s390x

import (
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
		"%r2", "%r3", "%r11", "160(%r15)", "172(%r11)", "0(%r1)", "5", "-9",
		"0(%r2,%r4)", "224(%r1,%r15)", "%f0",
		// Other shapes of the grammar.
		"(%r2)", "8(,%r15)", "8+16(%r15)", "-8(%r15)", "0x10", "%r0", "8(%r0,%r4)",
		"0(%r0)", "%r16", "%v0", "%a0", "%c0", "sym", "x@GOT(%r12)", "sym+8",
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
		if o.Base.Name == "r0" {
			fail("%%r0 as a base register means no base")
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
		if o.Index.Name == "r0" {
			fail("%%r0 as an index register means no index")
		}
		switch o.Scale {
		case 1, 2, 4, 8:
		default:
			fail("scale %d", o.Scale)
		}
	default:
		fail("invalid kind %v", o.Kind)
	}
}
