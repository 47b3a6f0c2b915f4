package usdt

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/cachedir"
)

// sidLibc finds Debian sid's amd64 glibc in the corpus (make corpus):
// libc.so.6 and its ld.so as the package ships them, stripped, and the
// folder of libc6-dbg's debug files (testdata/corpus-debug.sh).
func sidLibc(t *testing.T) (libc, ldso, debugDir string) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("the corpus's traced glibc is amd64's")
	}
	dirs := filepath.SplitList(os.Getenv("CORPUS_DIR"))
	if len(dirs) == 0 {
		dirs = []string{cachedir.Path("corpus")}
	}
	for _, d := range dirs {
		lib := filepath.Join(d, "x", "sid", "amd64", "libc6", "usr", "lib", "x86_64-linux-gnu")
		dbg := filepath.Join(d, "debug", "sid", "amd64", "usr", "lib", "debug")
		_, e1 := os.Stat(filepath.Join(lib, "libc.so.6"))
		_, e2 := os.Stat(filepath.Join(lib, "ld-linux-x86-64.so.2"))
		_, e3 := os.Stat(dbg)
		if e1 == nil && e2 == nil && e3 == nil {
			abs, err := filepath.Abs(lib)
			if err != nil {
				t.Fatal(err)
			}
			dbg, err = filepath.Abs(dbg)
			if err != nil {
				t.Fatal(err)
			}
			return filepath.Join(abs, "libc.so.6"), filepath.Join(abs, "ld-linux-x86-64.so.2"), dbg
		}
	}
	t.Skip("no sid amd64 glibc and libc6-dbg in the corpus (make corpus, or set CORPUS_DIR)")
	return
}

// TestStrippedLibcThroughDebugFile traces Debian sid's own stripped
// libc.so.6, whose malloc probes read glibc's internal variables
// ("-4@72+mp_(%rip)", "-4@perturb_byte(%rip)"): local symbols that only
// libc6-dbg's debug file names. A program linked to run on that libc
// (its ld.so as interpreter) calls mallopt twice per parameter; the
// second call's probe reports the previous value, the one the program
// set with the first, read by BPF from libc's memory.
func TestStrippedLibcThroughDebugFile(t *testing.T) {
	needRoot(t)
	libc, ldso, debugDir := sidLibc(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "mallopts.c")
	os.WriteFile(src, []byte(`#include <malloc.h>
#include <stdio.h>
int main(void)
{
	char line[8];
	if (!fgets(line, sizeof line, stdin)) /* attached */
		return 1;
	mallopt(M_PERTURB, 0x55);
	mallopt(M_PERTURB, 0x2a);
	mallopt(M_MMAP_MAX, 1000);
	mallopt(M_MMAP_MAX, 77);
	mallopt(M_TOP_PAD, 12345);
	mallopt(M_TOP_PAD, 54321);
	return 0;
}
`), 0o644)
	exe := filepath.Join(dir, "mallopts")
	if out, err := exec.Command("gcc", "-O2", "-o", exe, src, "-Wl,--dynamic-linker="+ldso, "-Wl,-rpath,"+filepath.Dir(libc)).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}

	// Without the debug file the probes cannot be compiled, and say why:
	// strict, nothing is attached; by default the call site is, with
	// that argument failing alone.
	l := load(t, Config{DebugDirs: []string{}})
	target := Target{Path: libc, Probe: "libc:memory_mallopt_perturb"}
	_, err := l.m.Attach(l.prog(), target, &Options{Strict: true})
	if !errors.Is(err, compiler.ErrSymbolNotFound) || !strings.Contains(err.Error(), "perturb_byte") {
		t.Fatalf("strict attach without the debug file: %v, want ErrSymbolNotFound for perturb_byte", err)
	}
	lenient, err := l.m.Attach(l.prog(), target, nil)
	if err != nil {
		t.Fatalf("attach without the debug file: %v", err)
	}
	var argErrs []error
	for _, s := range lenient.Sites() {
		for _, a := range s.CallSite.Arguments {
			argErrs = append(argErrs, a.Err)
		}
	}
	if errs := errors.Join(argErrs...); !errors.Is(errs, compiler.ErrSymbolNotFound) {
		t.Errorf("attached call sites' argument errors: %v, want ErrSymbolNotFound", errs)
	}
	lenient.Close()

	cfg := Config{DebugDirs: []string{debugDir}}
	probes := []string{"libc:memory_mallopt_perturb", "libc:memory_mallopt_mmap_max", "libc:memory_mallopt_top_pad"}
	for _, p := range probes {
		cfg.Targets = append(cfg.Targets, Target{Path: libc, Probe: p})
	}
	l = load(t, cfg)
	cmd := exec.Command(exe)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for i, p := range probes {
		lk, err := l.m.Attach(l.prog(), Target{Path: libc, Probe: p}, &Options{PID: cmd.Process.Pid, Cookie: uint64(i + 1)})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		defer lk.Close()
	}
	stdin.Write([]byte("go\n"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", exe, err, stderr.String())
	}
	for i, want := range [][]int64{
		{0x2a, 0x55},      // memory_mallopt_perturb: requested, previous
		{77, 1000, 1},     // memory_mallopt_mmap_max: requested, previous, no dynamic threshold
		{54321, 12345, 1}, // memory_mallopt_top_pad: requested, previous, no dynamic threshold
	} {
		cookie := uint32(i + 1)
		if n := l.count(t, cookie); n != 2 {
			t.Errorf("%s: %d hits, want 2", probes[i], n)
		}
		h := l.last(t, cookie)
		if int(h.ArgCnt) != len(want) {
			t.Errorf("%s: %d arguments, want %d", probes[i], h.ArgCnt, len(want))
			continue
		}
		for j, w := range want {
			if h.Arg[j] != w {
				t.Errorf("%s: second hit's argument #%d = %d, want %d", probes[i], j, h.Arg[j], w)
			}
		}
	}
}
