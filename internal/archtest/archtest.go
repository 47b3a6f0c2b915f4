// Package archtest holds helpers for the architecture packages' tests
// (the folders under arch/): counting
// sentinel errors, the table-driven runners of their parse tests,
// checking a register table against the kernel's UAPI header, and the
// common body of the operand fuzz targets.
//
// It imports "testing" and is meant to be imported only from _test.go
// files.
package archtest

import (
	"debug/elf"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
)

var allSentinels = []error{
	arch.ErrSyntax, arch.ErrSize, arch.ErrUnknownRegister, arch.ErrFloatRegister,
	arch.ErrSymbolic, arch.ErrUnsupported, arch.ErrRange, arch.ErrPartialRegister,
}

// Sentinels returns how many of package arch's sentinel errors err wraps.
// Every parse error must wrap exactly one.
func Sentinels(err error) int {
	n := 0
	for _, s := range allSentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	return n
}

// The case types below are aliases of unnamed struct types, so that an
// architecture's tables can list their cases positionally ({"x0", reg(x0)})
// without go vet's check for unkeyed fields of imported struct types.

// OperandCase is an operand and what the grammar must make of it.
type OperandCase = struct {
	Op   string
	Want arch.Operand
}

// CheckOperands runs parse, a package's parseOperand, over cases: each
// must parse to its Want.
func CheckOperands(t *testing.T, parse func(string) (arch.Operand, error), cases []OperandCase) {
	t.Helper()
	for _, c := range cases {
		got, err := parse(c.Op)
		checkParsed(t, fmt.Sprintf("parseOperand(%q)", c.Op), c.Want, got, err)
	}
}

// CheckRegisters runs parse, a package's parseOperand, over every entry
// of table, written as text(name) says (nil: the name as it is): each must
// parse to a Reg operand of that register.
func CheckRegisters(t *testing.T, parse func(string) (arch.Operand, error), table arch.RegTable, text func(name string) string) {
	t.Helper()
	for name, off := range table {
		op := name
		if text != nil {
			op = text(name)
		}
		got, err := parse(op)
		want := arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: name, Offset: off}}
		checkParsed(t, fmt.Sprintf("parseOperand(%q)", op), want, got, err)
	}
}

// checkParsed reports err, or else how got differs from want; call says
// what returned them.
func checkParsed[V any](t *testing.T, call string, want, got V, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", call, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", call, diff)
	}
}

// OperandErrorCase is an operand the grammar must reject, with the
// sentinel the error wraps and a part of the message; an empty Mention
// stands for the whole Op.
type OperandErrorCase = struct {
	Op      string
	Want    error
	Mention string
}

// CheckOperandErrors runs parse, a package's parseOperand, over cases:
// each must fail with an error that wraps Want and no other sentinel and
// names Mention, and come with a zero Operand.
func CheckOperandErrors(t *testing.T, parse func(string) (arch.Operand, error), cases []OperandErrorCase) {
	t.Helper()
	for _, c := range cases {
		got, err := parse(c.Op)
		if err == nil {
			t.Errorf("parseOperand(%q) = %+v, want error %v", c.Op, got, c.Want)
			continue
		}
		if !errors.Is(err, c.Want) {
			t.Errorf("parseOperand(%q) error %q does not wrap %q", c.Op, err, c.Want)
		}
		if n := Sentinels(err); n != 1 {
			t.Errorf("parseOperand(%q) error %q wraps %d sentinels, want 1", c.Op, err, n)
		}
		mention := c.Mention
		if mention == "" {
			mention = c.Op
		}
		if !strings.Contains(err.Error(), mention) {
			t.Errorf("parseOperand(%q) error %q does not name %q", c.Op, err, mention)
		}
		if diff := cmp.Diff(arch.Operand{}, got); diff != "" {
			t.Errorf("parseOperand(%q) returned an operand with its error (-want +got):\n%s", c.Op, diff)
		}
	}
}

// ArgCase is a whole argument and what [arch.ParseArg] must make of it.
// Want.Text need not be set: it is always Text.
type ArgCase = struct {
	Text string
	Want arch.Arg
}

// CheckArgs runs arch.ParseArg with a over cases: each must parse to its
// Want.
func CheckArgs(t *testing.T, a *arch.Arch, cases []ArgCase) {
	t.Helper()
	for _, c := range cases {
		c.Want.Text = c.Text
		got, err := arch.ParseArg(a, c.Text)
		checkParsed(t, fmt.Sprintf("ParseArg(%q)", c.Text), c.Want, got, err)
	}
}

// ArgSentinelCase is a whole argument that arch.ParseArg must reject with
// an error wrapping Want.
type ArgSentinelCase = struct {
	Text string
	Want error
}

// CheckArgSentinels runs arch.ParseArg with a over cases: each must fail
// with an error that wraps Want.
func CheckArgSentinels(t *testing.T, a *arch.Arch, cases []ArgSentinelCase) {
	t.Helper()
	for _, c := range cases {
		argError(t, a, c.Text, c.Want)
	}
}

// ArgErrorCase is a whole argument that arch.ParseArg must reject with an
// error wrapping Want, and the size and float marker the returned Arg
// still carries from the size prefix.
type ArgErrorCase = struct {
	Text  string
	Want  error
	Size  int
	Float bool
}

// CheckArgErrors runs arch.ParseArg with a over cases: each must fail
// with an error that wraps Want and return an Arg with its Size and Float.
func CheckArgErrors(t *testing.T, a *arch.Arch, cases []ArgErrorCase) {
	t.Helper()
	for _, c := range cases {
		got, ok := argError(t, a, c.Text, c.Want)
		if ok && (got.Size != c.Size || got.Float != c.Float) {
			t.Errorf("ParseArg(%q) = size %d float %v, want size %d float %v", c.Text, got.Size, got.Float, c.Size, c.Float)
		}
	}
}

// argError parses text with a and reports whether the error wraps want.
func argError(t *testing.T, a *arch.Arch, text string, want error) (arch.Arg, bool) {
	t.Helper()
	got, err := arch.ParseArg(a, text)
	if !errors.Is(err, want) {
		t.Errorf("ParseArg(%q) error %v, want an error wrapping %v", text, err, want)
		return got, false
	}
	return got, true
}

// CheckNote splits a note's argument string with arch.Split, parses each
// argument with a, and compares the operands with want.
func CheckNote(t *testing.T, a *arch.Arch, note string, want []arch.Operand) {
	t.Helper()
	var got []arch.Operand
	for _, text := range arch.Split(note) {
		arg, err := arch.ParseArg(a, text)
		if err != nil {
			t.Fatalf("ParseArg(%q): %v", text, err)
		}
		got = append(got, arg.Operand)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%q mismatch (-want +got):\n%s", note, diff)
	}
}

// CheckKernelOffsets compiles offsetof() for every entry of table with the
// C compiler cc, against <asm/ptrace.h>, and reads the values back from the
// object file, which must be for machine. The compile is -c only, so a
// cross compiler serves. It skips t if cc is not on $PATH or header (the
// <asm/ptrace.h> cc will include, checked only for existence) is missing.
//
// structType is the C type as offsetof takes it ("struct pt_regs", or a
// typedef name such as s390x's "user_pt_regs"); field maps a table name to
// the member expression it reads ("regs[3]"), and must know every name.
// Every mismatch is reported with t.Errorf. It returns how many names it
// checked.
func CheckKernelOffsets(t *testing.T, cc, header string, machine elf.Machine, structType string, table arch.RegTable, field func(name string) (string, bool)) int {
	t.Helper()
	path, err := exec.LookPath(cc)
	if err != nil {
		t.Skipf("C compiler %s not found: %v", cc, err)
	}
	if _, err := os.Stat(header); err != nil {
		t.Skipf("UAPI header not available (install the linux-libc-dev package for the target): %v", err)
	}

	names := slices.Sorted(maps.Keys(table))
	fields := make(map[string]string, len(names))
	var src strings.Builder
	src.WriteString("#include <stddef.h>\n#include <asm/ptrace.h>\n")
	for _, name := range names {
		f, ok := field(name)
		if !ok {
			t.Fatalf("table name %q: the test does not know its %s field", name, structType)
		}
		fields[name] = f
		// 8 bytes on every target, 32-bit ones too.
		fmt.Fprintf(&src, "const unsigned long long off_%s = offsetof(%s, %s);\n", name, structType, f)
	}

	dir := t.TempDir()
	cfile, obj := filepath.Join(dir, "off.c"), filepath.Join(dir, "off.o")
	if err := os.WriteFile(cfile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "-c", "-O0", "-o", obj, cfile).CombinedOutput(); err != nil {
		t.Fatalf("%s -c: %v\n%s", cc, err, out)
	}
	got := readOffsets(t, obj, machine)
	t.Logf("checked %d names against offsetof(%s, ...) compiled by %s", len(names), structType, path)
	for _, name := range names {
		v, ok := got[name]
		if !ok {
			t.Errorf("off_%s missing from the object", name)
			continue
		}
		if v != uint64(table[name]) {
			t.Errorf("table[%q] = %d, offsetof(%s, %s) = %d", name, table[name], structType, fields[name], v)
		}
	}
	return len(names)
}

// readOffsets reads every 8-byte "off_NAME" object of a relocatable ELF
// file, in the file's byte order.
func readOffsets(t *testing.T, obj string, machine elf.Machine) map[string]uint64 {
	t.Helper()
	f, err := elf.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Fatalf("%s: e_machine %v, want %v", obj, f.Machine, machine)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]uint64)
	for _, s := range syms {
		name, ok := strings.CutPrefix(s.Name, "off_")
		if !ok {
			continue
		}
		if s.Size != 8 || int(s.Section) >= len(f.Sections) {
			t.Fatalf("symbol %s: size %d, section %d", s.Name, s.Size, s.Section)
		}
		sec := f.Sections[s.Section]
		if sec.Type == elf.SHT_NOBITS {
			out[name] = 0
			continue
		}
		data, err := sec.Data()
		if err != nil {
			t.Fatal(err)
		}
		if s.Value+8 > uint64(len(data)) {
			t.Fatalf("symbol %s at %d beyond section %s (%d bytes)", s.Name, s.Value, sec.Name, len(data))
		}
		out[name] = f.ByteOrder.Uint64(data[s.Value:])
	}
	return out
}

// CheckOperand is the common body of the FuzzParseOperand targets. parse
// is the package's parseOperand, a its Arch and table its pt_regs table.
//
// If parse rejects op, the error must wrap exactly one sentinel and come
// with a zero Operand; CheckOperand then returns false. If parse accepts
// op, the operand must be well formed (a valid kind; no register fields on
// a constant; registers that are entries of table; a scale of 1, 2, 4 or
// 8), the match must be anchored (op followed by "@", "]", ")" or " x" is
// rejected), and arch.ParseArg(a, "-8@"+op) (-4@ for 32-bit programs) must give the same operand;
// CheckOperand then returns the operand and true, for the caller to check
// its architecture's own invariants.
func CheckOperand(t testing.TB, a *arch.Arch, table arch.RegTable, op string, parse func(string) (arch.Operand, error)) (arch.Operand, bool) {
	t.Helper()
	o, err := parse(op)
	if err != nil {
		if n := Sentinels(err); n != 1 {
			t.Fatalf("parseOperand(%q) error %q wraps %d sentinels, want 1", op, err, n)
		}
		if o != (arch.Operand{}) {
			t.Fatalf("parseOperand(%q) returned %+v with error %v", op, o, err)
		}
		return arch.Operand{}, false
	}
	checkInvariants(t, table, op, o)

	// Anchored: text after a whole operand is never dropped.
	for _, junk := range []string{"@", "]", ")", " x"} {
		if got, err := parse(op + junk); err == nil {
			t.Fatalf("parseOperand(%q) = %+v, want an error (%q parses alone)", op+junk, got, op)
		}
	}
	// The same through a whole argument.
	// A size every register holds: 8, or the program's register width.
	text := fmt.Sprintf("-%d@%s", cmpOr(a.RegisterBytes, 8), op)
	if o.FloatImmediate {
		// A float literal needs a float argument; 8 bytes keep its bits.
		text = "8f@" + op
	}
	arg, err := arch.ParseArg(a, text)
	if err != nil {
		t.Fatalf("ParseArg(%q): %v", text, err)
	}
	if diff := cmp.Diff(o, arg.Operand); diff != "" {
		t.Fatalf("ParseArg(%q) operand differs from parseOperand (-op +arg):\n%s", text, diff)
	}
	return o, true
}

// checkInvariants checks the architecture-neutral invariants of an
// accepted operand.
func checkInvariants(t testing.TB, table arch.RegTable, op string, o arch.Operand) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("parseOperand(%q) = %+v: "+format, append([]any{op, o}, args...)...)
	}
	inTable := func(what string, r arch.Register) {
		t.Helper()
		off, ok := table[r.Name]
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
		switch o.Scale {
		case 1, 2, 4, 8:
		default:
			fail("scale %d", o.Scale)
		}
	case arch.Index, arch.TLS:
		// Index: an index and no base; TLS: either, both or neither
		// (relative to the thread pointer).
		if o.Value != 0 {
			fail("memory operand with a value")
		}
		if o.Kind == arch.Index && o.Base != (arch.Register{}) {
			fail("index with a base register")
		}
		if o.Base != (arch.Register{}) {
			inTable("base", o.Base)
		}
		if o.Index == (arch.Register{}) {
			if o.Kind == arch.Index || o.Scale != 0 {
				fail("%v without an index register", o.Kind)
			}
			break
		}
		inTable("index", o.Index)
		switch o.Scale {
		case 1, 2, 4, 8:
		default:
			fail("scale %d", o.Scale)
		}
	default:
		fail("invalid kind %v", o.Kind)
	}
}

func cmpOr(v, fallback int) int {
	if v != 0 {
		return v
	}
	return fallback
}

// SDTHeaders finds systemtap-sdt-dev's sys/sdt.h and copies it, with
// sys/sdt-config.h, into an include directory: cross compilers do not
// search /usr/include.
func SDTHeaders(t *testing.T) string {
	t.Helper()
	var dir string
	for _, pat := range []string{"/usr/include/sys/sdt.h", "/usr/include/*/sys/sdt.h"} {
		if m, _ := filepath.Glob(pat); len(m) > 0 {
			dir = filepath.Dir(m[0])
			break
		}
	}
	if dir == "" {
		t.Skip("sys/sdt.h not found (install systemtap-sdt-dev)")
	}
	inc := t.TempDir()
	if err := os.MkdirAll(filepath.Join(inc, "sys"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"sdt.h", "sdt-config.h"} {
		b, err := os.ReadFile(filepath.Join(dir, h))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(inc, "sys", h), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return inc
}
