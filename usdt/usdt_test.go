package usdt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/testprog"
)

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs and attach uprobes")
	}
}

// needSDT skips when <sys/sdt.h> is not installed.
func needSDT(t testing.TB) {
	t.Helper()
	if out, err := exec.Command("sh", "-c", "echo '#include <sys/sdt.h>' | gcc -E -I/usr/include/$(gcc -print-multiarch) - >/dev/null").CombinedOutput(); err != nil {
		t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %s", out)
	}
}

// buildWaiter compiles testdata/waiter.c.
func buildWaiter(t testing.TB) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	needSDT(t)
	exe := filepath.Join(t.TempDir(), "waiter")
	multiarch, _ := exec.Command(gcc, "-print-multiarch").Output()
	out, err := exec.Command(gcc, "-O2", "-o", exe, "testdata/waiter.c", "-I/usr/include/"+strings.TrimSpace(string(multiarch))).CombinedOutput()
	if err != nil {
		t.Fatalf("building testdata/waiter.c: %v\n%s", err, out)
	}
	return exe
}

// waiter is a running testdata/waiter.c.
type waiter struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startWaiter(t testing.TB, exe string) *waiter {
	t.Helper()
	cmd := exec.Command(exe)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &waiter{cmd, in, bufio.NewReader(out)}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	return w
}

// fire makes the waiter fire its probes with v and returns the value of
// its semaphore as it saw it.
func (w *waiter) fire(t testing.TB, v int) string {
	t.Helper()
	fmt.Fprintf(w.in, "%d\n", v)
	line, err := w.out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

type loaded struct {
	m    *Manager
	coll *ebpf.Collection
}

func load(t testing.TB, cfg Config) *loaded {
	t.Helper()
	spec, err := testprog.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Prepare(spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(coll.Close)
	if err := m.Bind(coll); err != nil {
		t.Fatal(err)
	}
	return &loaded{m, coll}
}

func (l *loaded) prog() *ebpf.Program { return l.coll.Programs["count"] }

func (l *loaded) count(t testing.TB, cookie uint32) uint64 {
	t.Helper()
	var n uint64
	if err := l.coll.Maps["counts"].Lookup(cookie, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (l *loaded) last(t testing.TB, cookie uint32) testprog.LastHit {
	t.Helper()
	var h testprog.LastHit
	if err := l.coll.Maps["last"].Lookup(cookie, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// modes are the attach paths: uprobe_multi with cookies, one uprobe per
// call site with cookies, and the IP-map fallback of kernels without
// cookies.
var modes = []struct {
	name string
	cfg  Config
}{
	{"uprobe_multi", Config{}},
	{"uprobe per site", Config{DisableUprobeMulti: true}},
	{"no cookies", Config{DisableCookies: true}},
	{"context copy", Config{DisableContextCast: true}},
}

func TestAttachFiresInEveryMode(t *testing.T) {
	needRoot(t)
	exe := buildWaiter(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			w := startWaiter(t, exe)
			other := startWaiter(t, exe)
			cfg := mode.cfg
			cfg.Targets = []Target{{Path: exe}}
			l := load(t, cfg)
			sema, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "test:sema"}, &Options{PID: w.cmd.Process.Pid, Cookie: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer sema.Close()
			plain, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "test:plain"}, &Options{PID: w.cmd.Process.Pid, Cookie: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			if got := w.fire(t, 7); got != "1" {
				t.Errorf("semaphore while attached = %s, want 1", got)
			}
			other.fire(t, 9) // filtered out by PID
			if n := l.count(t, 1); n != 1 {
				t.Errorf("test:sema hits = %d, want 1", n)
			}
			if n := l.count(t, 2); n != 1 {
				t.Errorf("test:plain hits = %d, want 1 (PID filter)", n)
			}
			h := l.last(t, 2)
			if h.ArgCnt != 2 || h.Arg[0] != 7 || h.Arg[1] != -7 || h.Pid != uint32(w.cmd.Process.Pid) {
				t.Errorf("test:plain last hit = cnt %d args %d %d pid %d, want 2 args 7 -7 from %d", h.ArgCnt, h.Arg[0], h.Arg[1], h.Pid, w.cmd.Process.Pid)
			}
			if h := l.last(t, 1); h.ArgCnt != 1 || h.Arg[0] != 7 {
				t.Errorf("test:sema last hit = cnt %d arg %d, want 1 arg 7", h.ArgCnt, h.Arg[0])
			}
			sema.Close()
			plain.Close()
			if got := w.fire(t, 8); got != "0" {
				t.Errorf("semaphore after Close = %s, want 0", got)
			}
			if n := l.count(t, 2); n != 1 {
				t.Errorf("test:plain hits after Close = %d, want still 1", n)
			}
		})
	}
}

// TestAttachDetach1000 attaches and detaches 1,000 times (100 times one
// uprobe per call site, which is slow to create); afterwards no file
// descriptor, link or spec id is left and the semaphore is 0.
func TestAttachDetach1000(t *testing.T) {
	needRoot(t)
	exe := buildWaiter(t)
	w := startWaiter(t, exe)
	for _, mode := range modes[:2] {
		cycles := 1000
		if mode.cfg.DisableUprobeMulti {
			cycles = 100
		}
		t.Run(mode.name, func(t *testing.T) {
			l := load(t, Config{Targets: []Target{{Path: exe}}, DisableUprobeMulti: mode.cfg.DisableUprobeMulti})
			before := openFDs(t)
			for i := range cycles {
				ln, err := l.m.Attach(l.prog(), Target{Path: exe}, &Options{Cookie: 3})
				if err != nil {
					t.Fatalf("attach #%d: %v", i, err)
				}
				if i == 0 || i == cycles-1 {
					if got := w.fire(t, i); got != "1" {
						t.Errorf("attach #%d: semaphore = %s, want 1", i, got)
					}
				}
				if err := ln.Close(); err != nil {
					t.Fatalf("close #%d: %v", i, err)
				}
			}
			if after := openFDs(t); after != before {
				t.Errorf("open fds: %d before, %d after", before, after)
			}
			if got := w.fire(t, 0); got != "0" {
				t.Errorf("semaphore after the last Close = %s, want 0", got)
			}
			if len(l.m.ids) != 0 || len(l.m.specOf) != 0 || len(l.m.ipEntries) != 0 {
				t.Errorf("leaked spec ids %v / IP entries %v", l.m.ids, l.m.ipEntries)
			}
			// Two fires while attached, each hitting test:sema and test:plain.
			if n := l.count(t, 3); n != 4 {
				t.Errorf("hits = %d, want 4", n)
			}
		})
	}
}

func TestAttachErrorsLeaveNothing(t *testing.T) {
	needRoot(t)
	exe := buildWaiter(t)
	notELF := filepath.Join(t.TempDir(), "notelf")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	noProbes, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to use as a file without probes")
	}
	l := load(t, Config{Targets: []Target{{Path: exe}}})
	before := openFDs(t)
	tests := []struct {
		name string
		t    Target
		want error
	}{
		{"missing file", Target{Path: "/nonexistent/file"}, os.ErrNotExist},
		{"not ELF", Target{Path: notELF}, compiler.ErrNotELF},
		{"no probes", Target{Path: noProbes}, ErrNoProbes},
		{"no such probe", Target{Path: exe, Probe: "test:nothing"}, ErrNoProbes},
		{"no such provider", Target{Path: exe, Probe: "other:plain"}, ErrNoProbes},
	}
	for _, tt := range tests {
		_, err := l.m.Attach(l.prog(), tt.t, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want an error wrapping %v", tt.name, err, tt.want)
		}
	}
	if _, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "bad"}, nil); err == nil || !strings.Contains(err.Error(), "want PROVIDER:NAME") {
		t.Errorf("bad probe pattern: %v", err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
	if len(l.m.ids) != 0 {
		t.Errorf("spec ids left: %v", l.m.ids)
	}
}

// TestSpecMapSizedByTargets: the map holds the distinct specs of the
// targets, and one spec more fails cleanly.
func TestSpecMapSizedByTargets(t *testing.T) {
	needRoot(t)
	exe := buildWaiter(t)
	l := load(t, Config{Targets: []Target{{Path: exe, Probe: "test:plain"}}, SpecCapacity: 1})
	if got := l.coll.Maps[SpecMapName].MaxEntries(); got != 1 {
		t.Fatalf("spec map has %d entries, want 1", got)
	}
	a, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "test:plain"}, &Options{Cookie: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A different cookie is a different spec: no room.
	if _, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "test:plain"}, &Options{Cookie: 2}); !errors.Is(err, ErrSpecMapFull) {
		t.Fatalf("second spec: %v, want ErrSpecMapFull", err)
	}
	// The same spec is shared.
	b, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "test:plain"}, &Options{Cookie: 1, PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	// Prepare's reading of the file served every Attach.
	if l.m.reads != 1 {
		t.Errorf("%s read %d times for Prepare and three Attach calls, want once", exe, l.m.reads)
	}
}

// TestDefaultCapacityServesRunTimeAttaches: Config{} knows no target,
// yet serves DefaultSpecCapacity distinct specs attached at run time; the
// next one fails with ErrSpecMapFull naming the field that raises it.
func TestDefaultCapacityServesRunTimeAttaches(t *testing.T) {
	needRoot(t)
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	needSDT(t)
	// DefaultSpecCapacity call sites of many:site, each passing another
	// constant (a distinct spec), and one more of more:site.
	var src strings.Builder
	src.WriteString("#include <sys/sdt.h>\nint main(int argc, char **argv) {\n\tif (argc < 100)\n\t\treturn 0;\n")
	for i := 1; i <= DefaultSpecCapacity; i++ {
		fmt.Fprintf(&src, "\tSTAP_PROBE1(many, site, %d);\n", i)
	}
	fmt.Fprintf(&src, "\tSTAP_PROBE1(more, site, %d);\n\treturn 0;\n}\n", DefaultSpecCapacity+1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "many.c"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "many")
	multiarch, _ := exec.Command(gcc, "-print-multiarch").Output()
	if out, err := exec.Command(gcc, "-O0", "-o", exe, filepath.Join(dir, "many.c"), "-I/usr/include/"+strings.TrimSpace(string(multiarch))).CombinedOutput(); err != nil {
		t.Fatalf("building many.c: %v\n%s", err, out)
	}

	l := load(t, Config{})
	many, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "many:site"}, &Options{PID: os.Getpid()})
	if err != nil {
		t.Fatalf("%d distinct specs: %v", DefaultSpecCapacity, err)
	}
	defer many.Close()
	if n := len(many.Sites()); n != DefaultSpecCapacity {
		t.Fatalf("attached %d call sites, want %d", n, DefaultSpecCapacity)
	}
	_, err = l.m.Attach(l.prog(), Target{Path: exe, Probe: "more:site"}, &Options{PID: os.Getpid()})
	if !errors.Is(err, ErrSpecMapFull) || !strings.Contains(err.Error(), "Config.SpecCapacity") {
		t.Fatalf("spec #%d: %v, want ErrSpecMapFull naming Config.SpecCapacity", DefaultSpecCapacity+1, err)
	}
}

// TestFileReadOncePerVersion: a file is read again only when it changed
// on disk since it was read.
func TestFileReadOncePerVersion(t *testing.T) {
	src, err := os.ReadFile("../testdata/bin/probes-amd64-gcc-O2-pie")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "probes")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Manager{files: map[fileIdentity]*compiler.File{}}
	first, err := m.readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := m.readFile(path); again != first || m.reads != 1 {
		t.Fatalf("unchanged file: read %d times (same *File: %v), want once", m.reads, again == first)
	}
	// Another build under the same path.
	if err := os.WriteFile(path, append(src, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if again, err := m.readFile(path); err != nil || again == first || m.reads != 2 {
		t.Fatalf("changed file: read %d times, err %v, same *File: %v; want a second read", m.reads, err, again == first)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := m.readFile(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("removed file: %v, want ErrNotExist", err)
	}
}

// TestAttachThroughProcRoot: a path under /proc/PID/root, as for a
// process in another mount namespace, reaches the same file.
func TestAttachThroughProcRoot(t *testing.T) {
	needRoot(t)
	exe := buildWaiter(t)
	w := startWaiter(t, exe)
	path := fmt.Sprintf("/proc/%d/root%s", w.cmd.Process.Pid, exe)
	l := load(t, Config{Targets: []Target{{Path: path, Probe: "test:plain"}}})
	ln, err := l.m.Attach(l.prog(), Target{Path: path, Probe: "test:plain"}, &Options{PID: w.cmd.Process.Pid, Cookie: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	w.fire(t, 11)
	if h := l.last(t, 5); h.ArgCnt != 2 || h.Arg[0] != 11 || h.Arg[1] != -11 {
		t.Errorf("last hit = cnt %d args %d %d, want 2 args 11 -11", h.ArgCnt, h.Arg[0], h.Arg[1])
	}
}
