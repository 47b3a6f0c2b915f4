package oracle_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/cachedir"
	"github.com/usdtspec/usdtspec/internal/oracle"
)

func TestParse(t *testing.T) {
	out := "libbpf\t1.7\t304\n" +
		"probe\tp\tok\nsite\t0x13b4\t0x4010\t3\nspec\t3\t0102\n" +
		"probe\tp\tbad\nerror\t22\tusdt: unrecognized register '%xmm0'\n"
	got, err := oracle.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := &oracle.Report{Version: "1.7", SpecSize: 304, Probes: []oracle.Probe{
		{Provider: "p", Name: "ok", Sites: []oracle.Site{{Offset: 0x13b4, RefCtrOffset: 0x4010, SpecID: 3}},
			Specs: map[uint64][]byte{3: {1, 2}}},
		{Provider: "p", Name: "bad", Specs: map[uint64][]byte{}, Errno: 22, Error: "usdt: unrecognized register '%xmm0'"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"site\t0x1\t0x0\t1\n", "libbpf\t1.7\tx\n", "probe\tp\tn\nspec\t1\tzz\n", "probe\tp\tn\nwhat\n"} {
		if _, err := oracle.Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

func TestLibbpfReason(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"libbpf: prog 'x': failed | usdt: unrecognized arg #0 spec '-4@40+CheckpointStats(%rip) -4@NBuffers(%rip)'",
			"usdt: unrecognized arg #0 spec '-N@N+sym(%rip)'"},
		{"usdt: unrecognized register 'rdi,%r9,2'", "usdt: unrecognized register 'sym,%reg,N'"},
		{"usdt: unrecognized arg #1 spec '4f@%r13d 4f@%r12d'", "usdt: unrecognized arg #1 spec 'Nf@%reg'"},
		{"usdt: attaching to 32-bit ELF binary '/a/b-c' is not supported", "usdt: attaching to 32-bit ELF binary 'FILE' is not supported"},
		{"something else", "something else"},
	} {
		if got := libbpfReason(c.msg); got != c.want {
			t.Errorf("libbpfReason(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}

// TestOracle is the differential test against libbpf: for every probe of
// every binary this machine's kernel can trace (the native conformance
// builds, and the amd64 and i386 files of the Debian corpus), libbpf's
// spec for each call site must be byte-identical to usdtspec's wherever
// libbpf accepts the probe; the probes libbpf rejects are listed with
// libbpf's message and usdtspec's verdict. sid's libbpf 1.7 is compared
// with the v1.7 layout, bookworm's 1.1 with the v1.6 one.
//
// Environment: ORACLE_DIR (build.sh's output; the test skips without it),
// ORACLE_BINARIES (directories, colon-separated; default the native
// conformance builds), CORPUS_DIR (as for the corpus test), ORACLE_REPORT
// (a directory for the full tables of rejected probes).
func TestOracle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the oracle attaches uprobes through libbpf: needs root")
	}
	// It takes minutes, and make oracle builds the harness first: run by
	// that target, not by every go test ./...
	dir := os.Getenv("ORACLE_DIR")
	if dir == "" {
		t.Skip("ORACLE_DIR not set: run make oracle (it builds libbpf's harness, then this test)")
	}
	builds, corpus := hostBinaries(t)
	if len(builds)+len(corpus) == 0 {
		t.Skip("no binaries to compare: build the conformance cases (make conformance-cases) or fetch the corpus (make corpus)")
	}
	for _, c := range []struct {
		suite  string
		corpus bool
		// manySites: how many files with a probe of over 100 call sites
		// to compare (-1: all).
		manySites int
	}{
		{"sid", true, -1},
		// Bookworm's libbpf 1.1 predates uprobe_multi: it makes one
		// perf-event uprobe per call site, and this kernel takes about
		// 140 ms to detach each (45 s for the 320-site probe of
		// many_sites; 7 minutes for the corpus). It sees the conformance
		// builds, with one build of many_sites, to stay in CI's budget.
		{"bookworm", false, 1},
	} {
		t.Run(c.suite, func(t *testing.T) {
			h, err := oracle.Find(dir, c.suite)
			if err != nil {
				t.Skipf("%v (bash internal/oracle/build.sh %s)", err, dir)
			}
			files := builds
			if c.corpus {
				files = append(slices.Clip(files), corpus...)
			}
			compare(t, h, files, c.manySites)
		})
	}
}

// fileRun is one binary as usdtspec reads it and as libbpf attached it.
type fileRun struct {
	path    string
	file    *compiler.File
	byProbe map[string][]*compiler.CallSite // call sites by "provider:name"
	report  *oracle.Report
	err     error
}

// runAll runs the harness on every binary, a few at a time: most of the
// time goes to the kernel's detaching (RCU grace periods), not to CPU.
func runAll(t *testing.T, h *oracle.Harness, binaries []string, manySites int) []*fileRun {
	var runs []*fileRun
	for _, path := range binaries {
		r := &fileRun{path: path, byProbe: map[string][]*compiler.CallSite{}}
		r.file, r.err = compiler.OpenWithOptions(path, &compiler.Options{DebugDirs: corpusDebugDirs()})
		if r.err == nil {
			many := false
			for i := range r.file.CallSites {
				p := &r.file.CallSites[i]
				key := p.Provider + ":" + p.Name
				r.byProbe[key] = append(r.byProbe[key], p)
				many = many || len(r.byProbe[key]) > 100
			}
			if many {
				if manySites == 0 {
					t.Logf("%s: not compared: a probe with over 100 call sites, and libbpf %s detaches them one by one", path, h.Version)
					continue
				}
				manySites--
			}
		}
		runs = append(runs, r)
	}
	var wg sync.WaitGroup
	work := make(chan *fileRun)
	for range 4 {
		wg.Go(func() {
			for r := range work {
				names := make([]string, 0, len(r.byProbe))
				for k := range r.byProbe {
					names = append(names, k)
				}
				sort.Strings(names)
				r.report, r.err = h.Run(context.Background(), r.path, names)
			}
		})
	}
	for _, r := range runs {
		if r.err == nil {
			work <- r
		}
	}
	close(work)
	wg.Wait()
	return runs
}

// compare runs the oracle on every binary and checks its verdicts.
func compare(t *testing.T, h *oracle.Harness, binaries []string, manySites int) {
	var (
		files, accepted, sites, identical int
		rejectedCompiled, rejectedBoth    []string
		byReason                          = map[string]int{}
	)
	for _, r := range runAll(t, h, binaries, manySites) {
		if r.err != nil {
			t.Errorf("%v", r.err)
			continue
		}
		files++
		f, rep := r.file, r.report
		layout, ok := layoutOfSize(rep.SpecSize)
		if !ok {
			t.Fatalf("libbpf %s: spec size %d matches no layout", rep.Version, rep.SpecSize)
		}
		for i := range rep.Probes {
			lp := &rep.Probes[i]
			ours := r.byProbe[lp.Provider+":"+lp.Name]
			where := fmt.Sprintf("%s %s:%s", r.path, lp.Provider, lp.Name)
			verdict := usdtspecVerdict(f, layout, ours)
			if lp.Rejected() {
				reason := libbpfReason(lp.Error)
				row := fmt.Sprintf("%s | libbpf: %s | usdtspec: %s", where, clip(lp.Error, 160), verdict)
				if verdict == "compiled" {
					byReason[reason]++
					rejectedCompiled = append(rejectedCompiled, row)
				} else {
					rejectedBoth = append(rejectedBoth, row)
				}
				continue
			}
			accepted++
			n, same := compareSites(t, where, f, layout, ours, lp)
			sites += n
			identical += same
		}
	}
	t.Logf("libbpf %s (Debian %s, %s layout), %d files: %d probes accepted by libbpf, %d call sites, %d specs byte-identical to usdtspec's",
		h.Version, h.Suite, layoutName(h), files, accepted, sites, identical)
	t.Logf("rejected by libbpf, compiled by usdtspec: %d probes; by libbpf's reason:", len(rejectedCompiled))
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t.Logf("  %5d  %s", byReason[r], r)
	}
	t.Logf("rejected by both: %d probes", len(rejectedBoth))
	// The rows, one probe each, with both messages, in a file: there are
	// thousands (libbpf refuses every 32-bit binary).
	if dir := os.Getenv("ORACLE_REPORT"); dir != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "# libbpf %s (Debian %s): probes libbpf rejects\n\n", h.Version, h.Suite)
		for _, r := range rejectedCompiled {
			fmt.Fprintf(&b, "libbpf rejects, usdtspec compiles: %s\n", r)
		}
		for _, r := range rejectedBoth {
			fmt.Fprintf(&b, "both reject: %s\n", r)
		}
		path := filepath.Join(dir, "oracle-"+h.Suite+".txt")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		} else {
			t.Logf("rows: %s", path)
		}
	}
}

// compareSites checks libbpf's call sites and specs for one probe against
// usdtspec's, and returns how many sites it compared and how many were
// identical.
func compareSites(t *testing.T, where string, f *compiler.File, layout compiler.Layout, ours []*compiler.CallSite, lp *oracle.Probe) (n, identical int) {
	t.Helper()
	at := map[uint64]*compiler.CallSite{}
	for _, p := range ours {
		at[p.FileOffset] = p
	}
	if len(lp.Sites) != len(ours) {
		t.Errorf("%s: libbpf attached %d call sites, usdtspec reads %d", where, len(lp.Sites), len(ours))
	}
	for _, s := range lp.Sites {
		p := at[s.Offset]
		if p == nil {
			// libbpf 1.7 moves the uprobe one byte on, onto the long nop,
			// at "nop; nop5" sites when the kernel can optimise them.
			p = at[s.Offset-1]
		}
		if p == nil {
			t.Errorf("%s: libbpf attached at %#x, where usdtspec has no call site", where, s.Offset)
			continue
		}
		n++
		if s.RefCtrOffset != p.SemaphoreOffset {
			t.Errorf("%s at %#x: semaphore offset: libbpf %#x, usdtspec %#x", where, p.PC, s.RefCtrOffset, p.SemaphoreOffset)
		}
		theirs, ok := lp.Specs[s.SpecID]
		if !ok {
			t.Errorf("%s at %#x: libbpf gave spec id %d and no spec", where, p.PC, s.SpecID)
			continue
		}
		mine, err := compiler.Encode(layout, f.ByteOrder, p.Arguments, 0)
		if err != nil {
			t.Errorf("%s at %#x: libbpf compiles %q, usdtspec does not: %v", where, p.PC, p.Args, err)
			continue
		}
		if !bytes.Equal(mine, theirs) {
			t.Errorf("%s at %#x: %q: specs differ\nlibbpf:   %s\nusdtspec: %s", where, p.PC, p.Args, hex.EncodeToString(theirs), hex.EncodeToString(mine))
			continue
		}
		// What libbpf accepts needs no extension: the extended layout
		// (the usdt package's default) must give libbpf's bytes too.
		if layout == compiler.LayoutV17 {
			ext, err := compiler.Encode(compiler.LayoutUsdtspec, f.ByteOrder, p.Arguments, 0)
			if err != nil || !bytes.Equal(ext, theirs) {
				t.Errorf("%s at %#x: %q: %s spec differs from libbpf's (%v)\nlibbpf:   %s\nusdtspec: %s", where, p.PC, p.Args,
					compiler.LayoutUsdtspec.Name, err, hex.EncodeToString(theirs), hex.EncodeToString(ext))
				continue
			}
			if l := compiler.LayoutUsdtspec.For(p.Arguments); l != compiler.LayoutV17 {
				t.Errorf("%s at %#x: %q: libbpf accepts it, usdtspec says it needs %s", where, p.PC, p.Args, l.Name)
			}
		}
		identical++
	}
	return n, identical
}

// usdtspecVerdict is "compiled" when usdtspec encodes every call site of
// the probe in layout, else the first reason it does not.
func usdtspecVerdict(f *compiler.File, layout compiler.Layout, sites []*compiler.CallSite) string {
	if len(sites) == 0 {
		return "no such probe"
	}
	for _, p := range sites {
		if p.Err != nil {
			return p.Err.Error()
		}
		if _, err := compiler.Encode(layout, f.ByteOrder, p.Arguments, 0); err != nil {
			return fmt.Sprintf("%q: %v", p.Args, err)
		}
	}
	return "compiled"
}

// libbpfReason is libbpf's message reduced to its cause, to count
// rejections by cause: paths and probe names go, and a quoted operand
// becomes its shape ("-4@40+CheckpointStats(%rip)" → "N@N+sym(%rip)").
func libbpfReason(msg string) string {
	for _, part := range strings.Split(msg, " | ") {
		i := strings.Index(part, "usdt: ")
		if i < 0 || strings.Contains(part, "failed to collect") {
			continue
		}
		return quoted.ReplaceAllStringFunc(part[i:], func(q string) string {
			fields := strings.Fields(strings.Trim(q, "'"))
			if len(fields) == 0 {
				return "''"
			}
			if strings.Contains(q, "/") {
				return "'FILE'"
			}
			shape := number.ReplaceAllString(symbol.ReplaceAllString(fields[0], "${1}sym"), "${1}N")
			shape = register.ReplaceAllStringFunc(shape, func(r string) string {
				if r == "%rip" {
					return r // pc-relative is a shape of its own
				}
				return "%reg"
			})
			return "'" + shape + "'"
		})
	}
	return clip(msg, 100)
}

var (
	quoted   = regexp.MustCompile(`'[^']*'`)
	symbol   = regexp.MustCompile(`(^|[^%.\w])[.A-Za-z_][\w.]*`)
	number   = regexp.MustCompile(`(^|[^A-Za-z%\d])\d+`)
	register = regexp.MustCompile(`%(?:[re]?[a-z]{2}|r\d+[dwb]?)\b`)
)

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func layoutOfSize(size int) (compiler.Layout, bool) {
	for _, l := range compiler.Layouts {
		if l.SpecSize() == size {
			return l, true
		}
	}
	return compiler.Layout{}, false
}

func layoutName(h *oracle.Harness) string {
	if strings.HasPrefix(h.Version, "1.") && h.Version < "1.7" {
		return compiler.LayoutV16.Name
	}
	return compiler.LayoutV17.Name
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// hostBinaries lists the files with probes that this machine's kernel can
// trace: their architecture's pt_regs is the running kernel's.
func hostBinaries(t *testing.T) (builds, corpus []string) {
	for _, d := range filepath.SplitList(envOr("ORACLE_BINARIES", "../../build/conformance:../../build/conformance-i386")) {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Logf("skipping %s: %v", d, err)
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				builds = append(builds, filepath.Join(d, e.Name()))
			}
		}
	}
	builds, corpus = traceable(builds), traceable(corpusFiles(t))
	t.Logf("binaries with probes for this kernel: %d builds, %d corpus files", len(builds), len(corpus))
	return builds, corpus
}

// traceable keeps the ELF files with probes whose architecture's pt_regs
// is this kernel's (sources, lists and other architectures go).
func traceable(paths []string) []string {
	var out []string
	for _, p := range paths {
		f, err := compiler.Open(p)
		if err == nil && f.Arch != nil && len(f.CallSites) > 0 && slices.Contains(f.Arch.GOARCH, runtime.GOARCH) {
			out = append(out, p)
		}
	}
	return out
}

// corpusDebugDirs are the debug-file folders of the corpus
// (testdata/corpus-debug.sh: libc6-dbg for the stripped libc), as the
// corpus test uses them; not the host's /usr/lib/debug.
func corpusDebugDirs() []string {
	dirs := []string{}
	for _, dir := range filepath.SplitList(envOr("CORPUS_DIR", cachedir.Path("corpus"))) {
		found, _ := filepath.Glob(filepath.Join(dir, "debug", "*", "*", "usr", "lib", "debug"))
		dirs = append(dirs, found...)
	}
	return dirs
}

// corpusFiles lists the files of the corpus directories in CORPUS_DIR
// (a list, as for the corpus test), of every architecture.
func corpusFiles(t *testing.T) []string {
	var paths []string
	for _, dir := range filepath.SplitList(envOr("CORPUS_DIR", cachedir.Path("corpus"))) {
		scan, err := os.Open(filepath.Join(dir, "scan", "all.jsonl"))
		if err != nil {
			t.Logf("no corpus: %v", err)
			continue
		}
		sc := bufio.NewScanner(scan)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var e struct{ Suite, Arch, Pkg, Path string }
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, filepath.Join(dir, "x", e.Suite, e.Arch, e.Pkg, e.Path))
		}
		scan.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}
