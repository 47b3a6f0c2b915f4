package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// TestTPOffMatchesCompiler: "%fs:t_int@tpoff" resolves to the offset that
// gcc's own store to t_int uses in the same executable ("movl $6,
// %fs:DISP32", 64 c7 04 25 DISP32 06 00 00 00), in PIE, non-PIE and
// static links, whose TLS blocks differ (static has libc's thread-locals
// in it too).
func TestTPOffMatchesCompiler(t *testing.T) {
	inc := archtest.SDTHeaders(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "t.c"), []byte(`#include <sys/sdt.h>
__thread char pad[40] = {1};
__thread int t_int = -77;
__attribute__((noinline, noipa)) void probe(void) { STAP_PROBE1(p, tls, t_int); }
int main(void) { probe(); t_int = 6; probe(); return pad[0]; }
`), 0o644)
	for _, link := range [][]string{{"-fPIE", "-pie"}, {"-fno-pie", "-no-pie"}, {"-static"}} {
		t.Run(link[0], func(t *testing.T) {
			args := append([]string{"-O2", "-I" + inc, "-o", "t", "t.c"}, link...)
			toolOutput(t, dir, "gcc", args...)
			exe := filepath.Join(dir, "t")
			want := storeDisp(t, exe)
			f, err := Open(exe)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.CallSites) != 1 || len(f.CallSites[0].Arguments) != 1 {
				t.Fatalf("%d call sites, want 1 with 1 argument", len(f.CallSites))
			}
			a := f.CallSites[0].Arguments[0]
			if a.Text != "-4@%fs:t_int@tpoff" {
				t.Skipf("gcc wrote %q: not the form under test", a.Text)
			}
			got := arch.Operand{Kind: a.Kind, Offset: a.Offset}
			if diff := cmp.Diff(arch.Operand{Kind: arch.TLS, Offset: want}, got); a.Err != nil || diff != "" {
				t.Errorf("err %v; operand (-want +got):\n%s", a.Err, diff)
			}
		})
	}
}

// storeDisp finds "movl $6, %fs:DISP32" in exe's .text and returns DISP32.
func storeDisp(t *testing.T, exe string) int64 {
	t.Helper()
	ef, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	text, err := ef.Section(".text").Data()
	if err != nil {
		t.Fatal(err)
	}
	prefix, imm := []byte{0x64, 0xc7, 0x04, 0x25}, []byte{6, 0, 0, 0}
	for i := 0; ; {
		j := bytes.Index(text[i:], prefix)
		if j < 0 {
			t.Skipf("no movl $6, %s:DISP32 in .text", "%fs")
		}
		i += j + len(prefix)
		if i+8 <= len(text) && bytes.Equal(text[i+4:i+8], imm) {
			return int64(int32(binary.LittleEndian.Uint32(text[i:])))
		}
	}
}

// TestTPOffErrors: a thread-local operand in a file without PT_TLS, or
// naming a symbol that is not thread-local, fails with ErrNoTLS.
func TestTPOffErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "t.c"), []byte(`int g = 5;
__thread int t_int = 3;
int main(void) { return g + t_int; }
`), 0o644)
	toolOutput(t, dir, "gcc", "-O2", "-o", "t", "t.c")
	ef, err := elf.Open(filepath.Join(dir, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	s := &symbols{ef: ef}
	for _, tc := range []struct {
		sym  string
		want error
	}{
		{"g", ErrNoTLS},
		{"nosuch", ErrSymbolNotFound},
	} {
		a := arch.Arg{Operand: arch.Operand{Kind: arch.TLS, Symbol: tc.sym, SymbolRef: arch.SymbolTPOff}}
		if _, err := s.resolveTPOff(&a); !errors.Is(err, tc.want) || !errors.Is(err, arch.ErrSymbolic) {
			t.Errorf("%s: %v, want %v", tc.sym, err, tc.want)
		}
	}
}
