package compiler_test

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/cachedir"
	"github.com/usdtspec/usdtspec/internal/vm"
)

// scanEntry is one line of the corpus's scan/all.jsonl, written by
// the corpus fetcher (make corpus) from `readelf -n --wide`: an independent
// reading of the same notes.
type scanEntry struct {
	Suite, Arch, Pkg, Path string
	Probes                 []struct {
		Provider, Name, Loc, Base, Sem, Args string
	}
}

// corpusArches maps the corpus's Debian architecture names to ours: the
// debian and arch columns of the architecture matrix
// (internal/vm/matrix.tsv).
var corpusArches = func() map[string]string {
	m := map[string]string{}
	for _, mc := range vm.Machines() {
		m[mc.Debian] = mc.Arch
	}
	return m
}()

// knownMalformed are the call sites of the corpus whose notes are broken
// in the file itself, by Debian architecture, path suffix and
// provider:name: sid's loong64 ld.so has NUL bytes where the size digits
// should be (raw "-\0@$r23 \0@$r12"; fetch.sh's verify.py reports them as
// EMBEDDED-NUL), so the argument string ends at "-". Each must fail with a
// syntax error rather than compile or panic.
var knownMalformed = []struct{ deb, pathSuffix, probe string }{
	{"loong64", "/ld-linux-loongarch-lp64d.so.1", "rtld:map_start"},
	{"loong64", "/ld-linux-loongarch-lp64d.so.1", "rtld:init_start"},
	{"loong64", "/ld-linux-loongarch-lp64d.so.1", "rtld:init_complete"},
}

func isKnownMalformed(deb, path, probe string) bool {
	for _, k := range knownMalformed {
		if k.deb == deb && strings.HasSuffix(path, k.pathSuffix) && k.probe == probe {
			return true
		}
	}
	return false
}

// knownGaps are failures of the corpus that are neither hardware limits
// nor a grammar's business, left for the compiler to close. Each is
// matched by Debian architecture, sentinel and operand shape, and listed
// in the table under its reason, so that any other failure still fails
// the test.
var knownGaps = []struct {
	deb    string
	err    error
	match  func(text string) bool
	reason string
}{}

// corpusGap returns the reason of the known gap a is, or "".
func corpusGap(deb string, a *compiler.Argument) string {
	for _, g := range knownGaps {
		if g.deb == deb && errors.Is(a.Err, g.err) && g.match(a.Text) {
			return g.reason
		}
	}
	return ""
}

// corpusReason says why an argument of the corpus did not compile, as one
// of the accepted reasons, or "" when the failure is not one (a gap in a
// grammar or in symbol resolution). stripped reports whether the file has
// no .symtab.
func corpusReason(a *compiler.Argument, stripped func() bool, debugFile string) string {
	err := a.Err
	switch {
	case errors.Is(err, arch.ErrFloatRegister):
		return "FP/vector register (hardware limit)"
	case errors.Is(err, arch.ErrSize) && a.Size > 8:
		return "wider than 8 bytes (hardware limit)"
	case errors.Is(err, arch.ErrPartialRegister):
		return "64-bit value in one 32-bit register (hardware limit)"
	case errors.Is(err, compiler.ErrSymbolNotFound) && strings.HasPrefix(a.Symbol, ".L"):
		return "assembler-local label"
	case errors.Is(err, compiler.ErrSymbolNotFound) && stripped() && debugFile == "":
		// testdata/corpus-debug.sh fetches the debug files the corpus
		// needs (glibc's); this is for a corpus fetched without them.
		return "symbol of a stripped file whose debug file is not in the corpus"
	case errors.Is(err, arch.ErrSymbolic) && a.Symbol == "" && strings.Contains(a.Text, ".L"):
		// The grammar gave up on a relocation of a local label
		// ("[x0, #:lo12:.LANCHOR2]"): no symbol table has it.
		return "assembler-local label"
	}
	return ""
}

// corpusDirs lists the corpus directories: $CORPUS_DIR, which may name
// several (separated like $PATH), or the cache's (make corpus).
func corpusDirs() []string {
	if v := os.Getenv("CORPUS_DIR"); v != "" {
		return filepath.SplitList(v)
	}
	return []string{cachedir.Path("corpus")}
}

// TestCorpus reads every file of a supported architecture in the Debian
// corpus (make corpus), with the debug files of its stripped files
// (testdata/corpus-debug.sh), checks the call sites against readelf's listing,
// and requires every argument to compile or to fail for one of the
// accepted reasons of corpusReason. It logs a table per architecture:
// files, call sites (notes), arguments, compiled, and the others by
// reason.
func TestCorpus(t *testing.T) {
	type tally struct {
		files, sites, args, compiled, unprobeable, debugFiles int
		// Call sites with a spec, and the arguments they read, under
		// libbpf's v1.7 layout (all or nothing) and under v1.7+usdtspec
		// (extension kinds; an argument's failure is its own).
		sitesV17, argsV17, sitesExt, argsExt int
		reasons                              map[string]int
		examples                             map[string][]string
	}
	tallies := map[string]*tally{}
	read := 0
	// The debug files testdata/corpus-debug.sh fetched, and no others:
	// the host's /usr/lib/debug is not the corpus.
	debugDirs := []string{}
	for _, dir := range corpusDirs() {
		found, _ := filepath.Glob(filepath.Join(dir, "debug", "*", "*", "usr", "lib", "debug"))
		debugDirs = append(debugDirs, found...)
	}
	for _, dir := range corpusDirs() {
		scan, err := os.Open(filepath.Join(dir, "scan", "all.jsonl"))
		if err != nil {
			t.Logf("skipping corpus directory %s: %v", dir, err)
			continue
		}
		read++
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
			f, err := compiler.OpenWithOptions(path, &compiler.Options{DebugDirs: debugDirs})
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
			var strippedOnce *bool
			stripped := func() bool {
				if strippedOnce == nil {
					ef, err := elf.Open(path)
					s := err == nil && ef.Section(".symtab") == nil
					if err == nil {
						ef.Close()
					}
					strippedOnce = &s
				}
				return *strippedOnce
			}
			type site struct{ Provider, Name, PC, Base, Sem, Args string }
			var want, got []site
			for _, p := range e.Probes {
				want = append(want, site{p.Provider, p.Name, hexNorm(p.Loc), hexNorm(p.Base), hexNorm(p.Sem), p.Args})
			}
			tl := tallies[name]
			if tl == nil {
				tl = &tally{reasons: map[string]int{}, examples: map[string][]string{}}
				tallies[name] = tl
			}
			tl.files++
			if f.DebugFile != "" {
				tl.debugFiles++
			}
			for _, p := range f.CallSites {
				got = append(got, site{p.Provider, p.Name, fmt.Sprintf("%#x", p.PC), fmt.Sprintf("%#x", p.Base), fmt.Sprintf("%#x", p.Semaphore), p.Args})
				switch {
				case errors.Is(p.Err, arch.ErrSiteUnprobeable):
					// The kernel's limit, not the compiler's: counted
					// (32-bit arm's Thumb code).
					tl.unprobeable++
				case p.Err != nil:
					t.Errorf("%s: %s:%s at %#x: %v", path, p.Provider, p.Name, p.PC, p.Err)
				}
				tl.sites++
				readable := 0
				for i := range p.Arguments {
					if p.Arguments[i].Err == nil {
						readable++
					}
				}
				if _, err := compiler.Encode(compiler.LayoutV17, f.ByteOrder, p.Arguments, 0); err == nil {
					tl.sitesV17++
					tl.argsV17 += readable
				}
				if _, err := compiler.Encode(compiler.LayoutUsdtspec, f.ByteOrder, p.Arguments, 0); err == nil {
					tl.sitesExt++
					tl.argsExt += readable
				}
				malformed := isKnownMalformed(e.Arch, e.Path, p.Provider+":"+p.Name)
				for i := range p.Arguments {
					a := &p.Arguments[i]
					tl.args++
					var reason string
					switch {
					case malformed && errors.Is(a.Err, arch.ErrSyntax):
						reason = "malformed note (NUL bytes in the argument string)"
					case malformed:
						t.Errorf("%s: %s:%s: known malformed note, argument %q gives %v, want a syntax error", path, p.Provider, p.Name, a.Text, a.Err)
						continue
					case a.Err == nil:
						tl.compiled++
						continue
					default:
						reason = corpusReason(a, stripped, f.DebugFile)
						if reason == "" {
							reason = corpusGap(e.Arch, a)
						}
					}
					if reason == "" {
						t.Errorf("%s: %s:%s: %v", path, p.Provider, p.Name, a.Err)
						reason = "NOT ACCEPTED: " + a.Err.Error()
					}
					tl.reasons[reason]++
					if ex := tl.examples[reason]; len(ex) < 3 && !slices.Contains(ex, a.Text) {
						tl.examples[reason] = append(ex, a.Text)
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
		scan.Close()
	}
	if read == 0 {
		t.Skip("no corpus (run `make corpus` or set CORPUS_DIR)")
	}
	if len(tallies) == 0 {
		t.Skip("corpus has no files of a supported architecture")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-8s %6s %6s %6s %8s %9s | %-21s | %-21s\n", "arch", "files", "notes", "args", "compiled", "diagnosed",
		"v1.7: sites  args", "v1.7+usdtspec: sites  args")
	for _, a := range compiler.Arches() {
		tl := tallies[a.Name]
		if tl == nil {
			continue
		}
		fmt.Fprintf(&b, "%-8s %6d %6d %6d %8d %9d | %10d %10d | %10d %10d\n", a.Name, tl.files, tl.sites, tl.args, tl.compiled, tl.args-tl.compiled,
			tl.sitesV17, tl.argsV17, tl.sitesExt, tl.argsExt)
		if tl.debugFiles > 0 {
			fmt.Fprintf(&b, "%8s %6d files' symbols from their separate debug files\n", "", tl.debugFiles)
		}
		if tl.unprobeable > 0 {
			fmt.Fprintf(&b, "%8s %6d call sites the kernel cannot probe (Thumb code on arm)\n", "", tl.unprobeable)
		}
		for _, r := range slices.Sorted(maps.Keys(tl.reasons)) {
			fmt.Fprintf(&b, "%8s %6d × %s, e.g. %s\n", "", tl.reasons[r], r, strings.Join(tl.examples[r], " "))
		}
	}
	t.Log(b.String())
}

// hexNorm turns readelf's zero-padded hex into Go's %#x form.
func hexNorm(s string) string {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%#x", v)
}
