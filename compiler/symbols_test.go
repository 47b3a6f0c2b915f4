package compiler

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// TestSymbolicOperandsResolved: in the committed gcc -O2 PIE binary,
// "-4@counter(%rip)" becomes a deref of rip at counter's distance from
// the probe.
func TestSymbolicOperandsResolved(t *testing.T) {
	path := "../testdata/bin/probes-amd64-gcc-O2-pie"
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	addr := map[string]uint64{}
	for _, s := range syms {
		addr[s.Name] = s.Value
	}
	checked := 0
	for _, p := range f.CallSites {
		for _, a := range p.Arguments {
			if a.Symbol == "" {
				continue
			}
			if a.Err != nil {
				t.Errorf("%s:%s %s: %v", p.Provider, p.Name, a.Text, a.Err)
				continue
			}
			// The number next to the symbol, if any: "6+table(%rip)".
			disp := a.Text[strings.IndexByte(a.Text, '@')+1 : strings.IndexByte(a.Text, '(')]
			var n int64
			for _, term := range strings.Split(disp, "+") {
				if v, err := strconv.ParseInt(term, 10, 64); err == nil {
					n += v
				}
			}
			want := int64(addr[a.Symbol]-p.PC) + n
			if !a.PCRelative || a.Base.Offset != 128 || a.Offset != want || a.SymbolAddress != addr[a.Symbol] {
				t.Errorf("%s at %#x: %+v, want rip-relative offset %d (symbol at %#x)", a.Text, p.PC, a.Arg, want, addr[a.Symbol])
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no symbolic operand in the binary: the test checks nothing")
	}
}

// TestSymbolErrors: two file-local statics of one name are ambiguous; a
// stripped file has no symbols to find; an assembler-local label is in no
// symbol table.
func TestSymbolErrors(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	dir := t.TempDir()
	// The probe is written in assembly so that the operand is exactly
	// the one under test, whatever the compiler would choose.
	src := func(name, label string) string {
		return `static int ` + name + ` = 1; int *get_` + label + `(void) { return &` + name + `; }
void probe_` + label + `(void) {
  __asm__ volatile("990: nop\n.pushsection .note.stapsdt,\"\",\"note\"\n.balign 4\n.4byte 992f-991f,994f-993f,3\n991: .asciz \"stapsdt\"\n992: .balign 4\n993: .8byte 990b\n.8byte 0\n.8byte 0\n.asciz \"t\"\n.asciz \"` + label + `\"\n.asciz \"-4@` + name + `(%rip) -4@.Lnothere(%rip)\"\n994: .balign 4\n.popsection\n");
}
`
	}
	os.WriteFile(filepath.Join(dir, "a.c"), []byte(src("ti", "a")+"int main(void){return 0;}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.c"), []byte(src("ti", "b")), 0o644)
	exe := filepath.Join(dir, "prog")
	if out, err := exec.Command(gcc, "-O2", "-o", exe, filepath.Join(dir, "a.c"), filepath.Join(dir, "b.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	stripped := exe + ".stripped"
	if out, err := exec.Command("strip", "-o", stripped, exe).CombinedOutput(); err != nil {
		t.Skipf("strip: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		path string
		want []error
	}{
		{exe, []error{ErrSymbolAmbiguous, ErrSymbolNotFound}},
		{stripped, []error{ErrSymbolNotFound, ErrSymbolNotFound}},
	} {
		f, err := Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.CallSites) != 2 {
			t.Fatalf("%s: %d probes, want 2", tc.path, len(f.CallSites))
		}
		for _, p := range f.CallSites {
			for i, want := range tc.want {
				got := p.Arguments[i].Err
				if !errors.Is(got, want) || !errors.Is(got, arch.ErrSymbolic) {
					t.Errorf("%s %s arg %d: %v, want %v (and arch.ErrSymbolic)", filepath.Base(tc.path), p.Name, i, got, want)
				}
			}
		}
	}
}

// probeAsm32 is a 32-bit stapsdt note for one probe t:p with args, in GNU
// as syntax (noteType is "note" on x86, %note on arm).
func probeAsm32(args, noteType string) string {
	return `__asm__ volatile("990: nop\n.pushsection .note.stapsdt,\"\",` + noteType + `\n.balign 4\n.4byte 992f-991f,994f-993f,3\n991: .asciz \"stapsdt\"\n992: .balign 4\n993: .4byte 990b\n.4byte 0\n.4byte 0\n.asciz \"t\"\n.asciz \"p\"\n.asciz \"` + args + `\"\n994: .balign 4\n.popsection\n");`
}

// toolOutput runs a command, skipping the test when the tool is missing.
func toolOutput(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// symbolAddress reads a symbol's address from nm's listing.
func symbolAddress(t *testing.T, nm, name string) uint64 {
	t.Helper()
	for _, line := range strings.Split(nm, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == name {
			v, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("nm lists no %s", name)
	return 0
}

// TestGOTOFFStrippedBindNow: i386 "sym@GOTOFF(%ebx)" in a stripped PIE
// linked -z now, which has no _GLOBAL_OFFSET_TABLE_ symbol left and no
// .got.plt (bookworm's i386 postgres): the GOT base is DT_PLTGOT, which
// readelf -d shows.
func TestGOTOFFStrippedBindNow(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.c"), []byte("void f(void) {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p.c"), []byte("void f(void);\nint g[4] = {1, 2, 3, 4};\nvoid _start(void) {\n"+
		probeAsm32("-4@8+g@GOTOFF(%ebx)", `\"note\"`)+"\nf();\nfor (;;);\n}\n"), 0o644)
	cc := "i686-linux-gnu-gcc"
	toolOutput(t, dir, cc, "-nostdlib", "-shared", "-fPIC", "-o", "libx.so", "x.c")
	toolOutput(t, dir, cc, "-nostdlib", "-fPIE", "-pie", "-Wl,-z,now", "-Wl,--export-dynamic", "-o", "p", "p.c", "-L.", "-lx")
	g := symbolAddress(t, toolOutput(t, dir, "nm", "p"), "g")
	toolOutput(t, dir, "strip", "-o", "p.stripped", "p")
	var pltgot uint64
	for _, line := range strings.Split(toolOutput(t, dir, "readelf", "-d", "p.stripped"), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[1] == "(PLTGOT)" {
			pltgot, _ = strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 64)
		}
	}
	if pltgot == 0 {
		t.Fatal("readelf -d shows no PLTGOT: the test file is not what it should be")
	}
	for _, name := range []string{"p", "p.stripped"} {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.CallSites) != 1 || len(f.CallSites[0].Arguments) != 1 {
			t.Fatalf("%s: %d probes, want 1 with 1 argument", name, len(f.CallSites))
		}
		a := f.CallSites[0].Arguments[0]
		if want := int64(g-pltgot) + 8; a.Err != nil || a.Offset != want || a.Base.Name != "ebx" {
			t.Errorf("%s: %+v (err %v), want *(ebx + %d): g at %#x, GOT at %#x", name, a.Arg, a.Err, want, g, pltgot)
		}
	}
}

// TestArmSymbolicConst: arm's "#g+8" is g's link-time address plus 8 as a
// constant in an executable, and an error in a shared object, whose
// addresses move at load time.
func TestArmSymbolicConst(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.c"), []byte("int g[4] = {1, 2, 3, 4};\nvoid _start(void) {\n"+
		probeAsm32("4@#g+8", "%note")+"\nfor (;;);\n}\n"), 0o644)
	cc := "arm-linux-gnueabihf-gcc"
	toolOutput(t, dir, cc, "-nostdlib", "-static", "-no-pie", "-o", "a", "a.c")
	toolOutput(t, dir, cc, "-nostdlib", "-shared", "-fPIC", "-o", "a.so", "a.c")
	g := symbolAddress(t, toolOutput(t, dir, "nm", "a"), "g")
	for _, tc := range []struct {
		name string
		want uint64
		err  error
	}{{"a", g + 8, nil}, {"a.so", 0, ErrAbsoluteAddress}} {
		f, err := Open(filepath.Join(dir, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.CallSites) != 1 || len(f.CallSites[0].Arguments) != 1 {
			t.Fatalf("%s: %d probes, want 1 with 1 argument", tc.name, len(f.CallSites))
		}
		a := f.CallSites[0].Arguments[0]
		switch {
		case tc.err != nil && !errors.Is(a.Err, tc.err):
			t.Errorf("%s: %v, want %v", tc.name, a.Err, tc.err)
		case tc.err == nil && (a.Err != nil || a.Kind != arch.Const || a.Value != tc.want):
			t.Errorf("%s: %+v (err %v), want the constant %#x", tc.name, a.Arg, a.Err, tc.want)
		}
	}
}

// TestArmClangAddressConstant: clang for 32-bit arm prints a link-time
// address passed to a probe without gcc's '#' ("4@g+8 4@counter" for
// &g[2] and &counter); in an executable each is the symbol's address.
func TestArmClangAddressConstant(t *testing.T) {
	inc := archtest.SDTHeaders(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.c"), []byte(`#include <sys/sdt.h>
int g[4] = {1, 2, 3, 4};
static int counter = 5;
int *keep(void) { return &counter; }
void _start(void) { STAP_PROBE2(p, n, &g[2], &counter); for (;;); }
`), 0o644)
	toolOutput(t, dir, "clang", "--target=armv7a-linux-gnueabihf", "-marm", "-O2", "-fno-pic", "-I"+inc, "-c", "-o", "a.o", "a.c")
	toolOutput(t, dir, "arm-linux-gnueabihf-gcc", "-nostdlib", "-static", "-no-pie", "-o", "a", "a.o")
	nm := toolOutput(t, dir, "nm", "a")
	f, err := Open(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.CallSites) != 1 || len(f.CallSites[0].Arguments) != 2 {
		t.Fatalf("%d probes, want 1 with 2 arguments", len(f.CallSites))
	}
	for i, want := range []uint64{symbolAddress(t, nm, "g") + 8, symbolAddress(t, nm, "counter")} {
		a := f.CallSites[0].Arguments[i]
		if strings.Contains(a.Text, "#") {
			t.Fatalf("clang wrote %q: not the form under test", a.Text)
		}
		if a.Err != nil || a.Kind != arch.Const || a.Value != want {
			t.Errorf("argument #%d %q: %+v (err %v), want the constant %#x", i, a.Text, a.Arg, a.Err, want)
		}
	}
}

// TestLow12AcrossAPage: "[x0, #:lo12:g+8]" with g 4 bytes before a page
// boundary adds the low 12 bits of g+8 (adrp loaded g+8's page), not
// those of g plus 8.
func TestLow12AcrossAPage(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.S"), []byte(`	.text
	.globl _start
_start:
990:	nop
	b _start
	.pushsection .note.stapsdt,"",%note
	.balign 4
	.4byte 992f-991f,994f-993f,3
991:	.asciz "stapsdt"
992:	.balign 4
993:	.8byte 990b
	.8byte 0
	.8byte 0
	.asciz "t"
	.asciz "p"
	.asciz "-4@[x0, #:lo12:g+8] -4@[x1, #:lo12:g]"
994:	.balign 4
	.popsection
	.data
	.balign 4096
	.skip 0xffc
	.globl g
g:	.4byte 1, 2, 3
`), 0o644)
	toolOutput(t, dir, "aarch64-linux-gnu-gcc", "-nostdlib", "-static", "-no-pie", "-o", "a", "a.S")
	g := symbolAddress(t, toolOutput(t, dir, "nm", "a"), "g")
	if g&0xfff != 0xffc {
		t.Fatalf("g at %#x, want 0xffc into a page: the test checks nothing", g)
	}
	f, err := Open(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	args := f.CallSites[0].Arguments
	for i, want := range []int64{int64((g + 8) & 0xfff), int64(g & 0xfff)} {
		if args[i].Err != nil || args[i].Kind != arch.Deref || args[i].Offset != want {
			t.Errorf("argument #%d %q: offset %d (err %v), want %d", i, args[i].Text, args[i].Offset, args[i].Err, want)
		}
	}
}
