package compiler

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
)

// debugFileProgram builds a program whose probe reads a file-local static
// through "-4@ti(%rip)" (the operand written in assembly, so that it is
// exactly that), with linker flags ldflags, and returns its path and
// ti's address as nm lists it.
func debugFileProgram(t *testing.T, dir, name, pad string, ldflags ...string) (string, uint64) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed")
	}
	src := pad + `static int ti = 1; int *get_ti(void) { return &ti; }
int main(void) {
  __asm__ volatile("990: nop\n.pushsection .note.stapsdt,\"\",\"note\"\n.balign 4\n.4byte 992f-991f,994f-993f,3\n991: .asciz \"stapsdt\"\n992: .balign 4\n993: .8byte 990b\n.8byte 0\n.8byte 0\n.asciz \"t\"\n.asciz \"p\"\n.asciz \"-4@ti(%rip) -4@%edi\"\n994: .balign 4\n.popsection\n");
  return 0;
}
`
	if err := os.WriteFile(filepath.Join(dir, name+".c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	toolOutput(t, dir, "gcc", append([]string{"-O2", "-o", name, name + ".c"}, ldflags...)...)
	return filepath.Join(dir, name), symbolAddress(t, toolOutput(t, dir, "nm", name), "ti")
}

// splitDebug makes name.debug (objcopy --only-keep-debug) and
// name.stripped (strip --strip-all), as Debian's dh_strip does.
func splitDebug(t *testing.T, dir, name string) (debug, stripped string) {
	t.Helper()
	toolOutput(t, dir, "objcopy", "--only-keep-debug", name, name+".debug")
	toolOutput(t, dir, "strip", "--strip-all", "-o", name+".stripped", name)
	return filepath.Join(dir, name+".debug"), filepath.Join(dir, name+".stripped")
}

// underBuildID copies a debug file to DIR/.build-id/NN/NNNN….debug for
// the build-id buildIDOf's file has, and returns DIR.
func underBuildID(t *testing.T, dir, debug, buildIDOf string) string {
	t.Helper()
	out := toolOutput(t, dir, "readelf", "-n", buildIDOf)
	_, id, ok := strings.Cut(out, "Build ID: ")
	if !ok {
		t.Fatalf("readelf -n %s: no build-id\n%s", buildIDOf, out)
	}
	id = strings.Fields(id)[0]
	data, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	p := filepath.Join(root, ".build-id", id[:2], id[2:]+".debug")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestDebugFileByBuildID: a stripped file's local symbols come from its
// separate debug file, found by build-id as Debian's -dbg packages lay
// them out; a file at that path of another build is not used.
func TestDebugFileByBuildID(t *testing.T) {
	dir := t.TempDir()
	exe, addr := debugFileProgram(t, dir, "prog", "", "-Wl,--build-id")
	debug, stripped := splitDebug(t, dir, "prog")
	good := underBuildID(t, dir, debug, stripped)
	// Another build (ti moved by a padding variable) under prog's id.
	_, otherAddr := debugFileProgram(t, dir, "other", "const char pad[65536] = {1};\n", "-Wl,--build-id")
	if otherAddr == addr {
		t.Fatal("the padding did not move ti: the mismatch case checks nothing")
	}
	otherDebug, _ := splitDebug(t, dir, "other")
	wrong := underBuildID(t, dir, otherDebug, stripped)

	full, err := Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	if got := full.CallSites[0].Arguments[0]; got.Err != nil || got.SymbolAddress != addr {
		t.Fatalf("unstripped: %+v, want ti at %#x (nm)", got, addr)
	}

	f, err := OpenWithOptions(stripped, &Options{DebugDirs: []string{t.TempDir(), good}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(full.CallSites[0].Arguments, f.CallSites[0].Arguments, cmp.Comparer(errorText)); diff != "" {
		t.Errorf("stripped + debug file: arguments differ from the unstripped file's (-unstripped +stripped):\n%s", diff)
	}
	if want := filepath.Join(good, ".build-id"); !strings.HasPrefix(f.DebugFile, want) {
		t.Errorf("DebugFile = %q, want under %s", f.DebugFile, want)
	}

	for _, tc := range []struct {
		name string
		dirs []string
	}{
		{"no debug dirs", []string{}},
		{"a debug file of another build", []string{wrong}},
	} {
		f, err := OpenWithOptions(stripped, &Options{DebugDirs: tc.dirs})
		if err != nil {
			t.Fatal(err)
		}
		a := f.CallSites[0].Arguments
		if !errors.Is(a[0].Err, ErrSymbolNotFound) || !errors.Is(a[0].Err, arch.ErrSymbolic) {
			t.Errorf("%s: arg 0: %v, want ErrSymbolNotFound", tc.name, a[0].Err)
		} else if !strings.Contains(a[0].Err.Error(), "no debug file of build-id ") {
			t.Errorf("%s: the error does not name the build-id looked for: %v", tc.name, a[0].Err)
		}
		if a[1].Err != nil {
			t.Errorf("%s: arg 1 (a register) failed too: %v", tc.name, a[1].Err)
		}
		if f.DebugFile != "" {
			t.Errorf("%s: DebugFile = %q, want none", tc.name, f.DebugFile)
		}
	}
}

// TestDebugFileByDebugLink: without a build-id, the debug file is found
// by the .gnu_debuglink name next to the file, and only while its CRC32
// matches.
func TestDebugFileByDebugLink(t *testing.T) {
	dir := t.TempDir()
	_, addr := debugFileProgram(t, dir, "prog", "", "-Wl,--build-id=none")
	debug, stripped := splitDebug(t, dir, "prog")
	toolOutput(t, dir, "objcopy", "--add-gnu-debuglink=prog.debug", stripped)

	f, err := OpenWithOptions(stripped, &Options{DebugDirs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.CallSites[0].Arguments[0]; a.Err != nil || a.SymbolAddress != addr {
		t.Fatalf("through .gnu_debuglink: %+v, want ti at %#x (nm)", a, addr)
	}
	if f.DebugFile != debug {
		t.Errorf("DebugFile = %q, want %q", f.DebugFile, debug)
	}

	// One byte changed: the CRC32 no longer matches, the file is not used.
	data, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(debug, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = OpenWithOptions(stripped, &Options{DebugDirs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.CallSites[0].Arguments[0]; !errors.Is(a.Err, ErrSymbolNotFound) || !strings.Contains(a.Err.Error(), "no debug file prog.debug (.gnu_debuglink)") {
		t.Errorf("debug file with a wrong CRC32: %v, want ErrSymbolNotFound naming prog.debug", a.Err)
	}
}

func errorText(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}
