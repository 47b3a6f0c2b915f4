package compiler

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
)

// scanEntry is one line of the corpus's scan/all.jsonl, written by
// ../shared/corpus/fetch.sh from `readelf -n --wide`: an independent
// reading of the same notes.
type scanEntry struct {
	Suite, Arch, Pkg, Path string
	Probes                 []struct {
		Provider, Name, Loc, Base, Sem, Args string
	}
}

// corpusArches maps the corpus's Debian architecture names to ours.
var corpusArches = func() map[string]string {
	m := map[string]string{}
	for _, a := range Arches() {
		if a.VM != nil {
			m[a.VM.DebArch] = a.Name
		}
	}
	return m
}()

// expectedFailures are the sentinels a real compiler's operand may
// legitimately carry; a syntax error or an unknown register in real
// output would be a gap in a grammar.
var expectedFailures = []error{arch.ErrSymbolic, arch.ErrFloatRegister, arch.ErrSize, arch.ErrUnsupported}

// TestCorpus reads every file of a supported architecture in the Debian corpus
// (make corpus), checks the call sites against readelf's listing, and
// requires every argument to compile or to carry a specific error.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("CORPUS_DIR")
	if dir == "" {
		dir = "../.corpus"
	}
	scan, err := os.Open(filepath.Join(dir, "scan", "all.jsonl"))
	if err != nil {
		t.Skipf("no corpus (run `make corpus` or set CORPUS_DIR): %v", err)
	}
	defer scan.Close()
	type tally struct{ files, sites, args, compiled int }
	tallies := map[string]*tally{}
	failures := map[string]int{} // "arch: sentinel: operand" -> count
	sc := bufio.NewScanner(scan)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var e scanEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		name, ok := corpusArches[e.Arch]
		if !ok {
			continue
		}
		path := filepath.Join(dir, "x", e.Suite, e.Arch, e.Pkg, e.Path)
		f, err := Open(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if f.Arch == nil || f.Arch.Name != name {
			t.Errorf("%s: read as %v, corpus says %s", path, f.Machine, e.Arch)
			continue
		}
		for _, ne := range f.NoteErrors {
			t.Errorf("%s: %v", path, ne)
		}
		type site struct{ Provider, Name, PC, Base, Sem, Args string }
		var want, got []site
		for _, p := range e.Probes {
			want = append(want, site{p.Provider, p.Name, hexNorm(p.Loc), hexNorm(p.Base), hexNorm(p.Sem), p.Args})
		}
		tl := tallies[name]
		if tl == nil {
			tl = &tally{}
			tallies[name] = tl
		}
		tl.files++
		for _, p := range f.Probes {
			got = append(got, site{p.Provider, p.Name, fmt.Sprintf("%#x", p.PC), fmt.Sprintf("%#x", p.Base), fmt.Sprintf("%#x", p.Semaphore), p.Args})
			if p.Err != nil {
				t.Errorf("%s: %s:%s at %#x: %v", path, p.Provider, p.Name, p.PC, p.Err)
			}
			tl.sites++
			for _, a := range p.Arguments {
				tl.args++
				if a.Err == nil {
					tl.compiled++
					continue
				}
				known := false
				for _, s := range expectedFailures {
					if errors.Is(a.Err, s) {
						known = true
						// By reason: the innermost error, which names the
						// symbol, register or size.
						reason := a.Err
						for u := errors.Unwrap(reason); u != nil && errors.Unwrap(u) != nil; u = errors.Unwrap(u) {
							reason = u
						}
						failures[fmt.Sprintf("%s: %v", name, reason)]++
					}
				}
				if !known {
					t.Errorf("%s: %s:%s: %v", path, p.Provider, p.Name, a.Err)
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: call sites differ from readelf's (-readelf +usdtspec):\n%s", path, diff)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tallies) == 0 {
		t.Skip("corpus has no files of a supported architecture")
	}
	for _, a := range []string{"amd64", "arm64", "s390x", "riscv64", "ppc64"} {
		if tl := tallies[a]; tl != nil {
			t.Logf("%s: %d files, %d call sites, %d arguments, %d compiled, %d with a specific error",
				a, tl.files, tl.sites, tl.args, tl.compiled, tl.args-tl.compiled)
		}
	}
	var keys []string
	for k := range failures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %5d × %s", failures[k], k)
	}
}

// hexNorm turns readelf's zero-padded hex into Go's %#x form.
func hexNorm(s string) string {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%#x", v)
}
