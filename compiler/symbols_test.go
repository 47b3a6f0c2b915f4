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
	for _, p := range f.Probes {
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
		if len(f.Probes) != 2 {
			t.Fatalf("%s: %d probes, want 2", tc.path, len(f.Probes))
		}
		for _, p := range f.Probes {
			for i, want := range tc.want {
				got := p.Arguments[i].Err
				if !errors.Is(got, want) || !errors.Is(got, arch.ErrSymbolic) {
					t.Errorf("%s %s arg %d: %v, want %v (and arch.ErrSymbolic)", filepath.Base(tc.path), p.Name, i, got, want)
				}
			}
		}
	}
}
