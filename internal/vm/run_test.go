package vm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cavaliergopher/cpio"

	"github.com/usdtspec/usdtspec/conformance"
)

// fakeQEMU is a shell script standing in for qemu-system-*: it prints
// console to stdout as a guest would. The tests check how Run reads it.
func fakeQEMU(t *testing.T, console string, sleep bool) *Machine {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\ncat <<'EOF'\n" + console + "\nEOF\n"
	if sleep {
		script += "exec sleep 30\n"
	}
	q := filepath.Join(dir, "qemu")
	if err := os.WriteFile(q, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Machine{Arch: "fake", GOARCH: "amd64", QEMU: q, Console: "ttyS0", Memory: "256M", Kernels: []string{"bookworm"}}
}

// staticCase returns a static executable to pack: the test binary of
// this package is not static, so use a file that only has to be ELF.
func testCases(t *testing.T) []conformance.Case {
	t.Helper()
	dir := t.TempDir()
	var cases []conformance.Case
	for _, name := range []string{"alpha", "beta"} {
		// A copy of /bin/true works: Run only packs and names it.
		p := filepath.Join(dir, name)
		b, err := os.ReadFile("/bin/true")
		if err != nil {
			t.Skip("no /bin/true to pack")
		}
		os.WriteFile(p, b, 0o755)
		cases = append(cases, conformance.Case{Executable: p})
	}
	return cases
}

func run(t *testing.T, m *Machine, cases []conformance.Case, timeout time.Duration) (*Report, error) {
	t.Helper()
	init := filepath.Join(t.TempDir(), "init")
	os.WriteFile(init, []byte("init"), 0o755)
	return Run(context.Background(), Config{Machine: m, Kernel: "/dev/null", Init: init, Cases: cases, Timeout: timeout, WorkDir: t.TempDir()})
}

func TestRunReadsResults(t *testing.T) {
	console := `[    0.000000] Linux version 6.1.0
USDTSPEC-PROGRESS 1/2 alpha PASS 0.1s
USDTSPEC-RESULT {"case":"alpha","passed":true,"call_sites":3,"hits":3,"lines":3,"attach_time":"1ms","mode":"uprobe_multi","failures":null}
[    1.000000] some kernel message USDTSPEC-RESULT {"case":"beta","passed":false,"call_sites":1,"hits":0,"lines":1,"attach_time":"1ms","mode":"uprobe_multi","failures":[{"hit":1,"probe":"p:n","arg":-1,"reason":"line with no hit"}]}
USDTSPEC-DONE`
	rep, err := run(t, fakeQEMU(t, console, false), testCases(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, f, k := rep.Counts(); p != 1 || f != 1 || k != 0 {
		t.Errorf("counts %d passed %d failed %d known, want 1 1 0", p, f, k)
	}
	if len(rep.Results[1].Failures) != 1 || rep.Results[1].Failures[0].Reason != "line with no hit" {
		t.Errorf("beta's failures: %+v", rep.Results[1].Failures)
	}
}

func TestRunReportsWhatWentWrong(t *testing.T) {
	tests := []struct {
		name    string
		console string
		sleep   bool
		want    error
		tail    string
	}{
		{"panic", "[ 1.0] Kernel panic - not syncing: Attempted to kill init!", false, ErrPanic, "Kernel panic"},
		{"hang", "[ 1.0] booting", true, ErrHang, "booting"},
		{"guest error", "USDTSPEC-ERROR mount proc on /proc: no such device", false, ErrGuest, "USDTSPEC-ERROR"},
		{"stopped early", `USDTSPEC-RESULT {"case":"alpha","passed":true}
[ 2.0] reboot: Power down`, false, ErrIncomplete, "Power down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := run(t, fakeQEMU(t, tt.console, tt.sleep), testCases(t), 2*time.Second)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(strings.Join(rep.Tail, "\n"), tt.tail) {
				t.Errorf("tail %q lacks %q", rep.Tail, tt.tail)
			}
			// Never a pass: every case without a result is a failure.
			if p, f, _ := rep.Counts(); f == 0 || p+f != 2 {
				t.Errorf("counts: %d passed, %d failed", p, f)
			}
		})
	}
}

// TestInitramfs packs a dynamic executable: the loader and libc must come
// along at the paths it asks for.
func TestInitramfs(t *testing.T) {
	if _, err := exec.LookPath("true"); err != nil {
		t.Skip("no true(1)")
	}
	cases := testCases(t)
	var buf bytes.Buffer
	init := filepath.Join(t.TempDir(), "init")
	os.WriteFile(init, []byte("init"), 0o755)
	if err := buildInitramfs(&buf, init, cases, "/"); err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(&buf)
	files := map[string]string{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r)
		files["/"+h.Name] = string(body)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, want := range []string{"/init", "/cases/alpha", "/cases/beta", "/lib/libc.so.6", casesList, "/dev", "/proc", "/sys"} {
		if _, ok := files[want]; !ok {
			t.Errorf("initramfs lacks %s; has %v", want, names)
		}
	}
	if got := files[casesList]; got != "/cases/alpha\n/cases/beta\n" {
		t.Errorf("cases.list = %q", got)
	}
	interp := false
	for _, n := range names {
		interp = interp || strings.Contains(n, "ld-linux")
	}
	if !interp {
		t.Errorf("no program interpreter (ld-linux*) packed: %v", names)
	}
}

// TestRunStopsAPanickedGuest: a kernel that panics before it can power
// off (loong64's early out-of-memory) leaves QEMU spinning; Run stops it
// and reports the panic, not a hang.
func TestRunStopsAPanickedGuest(t *testing.T) {
	defer func(g time.Duration) { panicGrace = g }(panicGrace)
	panicGrace = 100 * time.Millisecond
	start := time.Now()
	rep, err := run(t, fakeQEMU(t, "[ 0.6] Kernel panic - not syncing: System is deadlocked on memory", true), testCases(t), 20*time.Second)
	if !errors.Is(err, ErrPanic) {
		t.Fatalf("err = %v, want %v", err, ErrPanic)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v: the panicked guest was not stopped", d)
	}
	if p, f, _ := rep.Counts(); p != 0 || f != 2 {
		t.Errorf("counts: %d passed, %d failed", p, f)
	}
}
