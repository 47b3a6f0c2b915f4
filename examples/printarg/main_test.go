package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The conformance cases print, after each probe, the values they passed
// to it: "provider:name v0 v1 ..." (testdata/conformance/README.md). The
// test compares the values printarg prints with those.
const cases = "../../testdata/conformance"

// buildCases builds the conformance cases ints and shlib (with its
// library, found through rpath $ORIGIN) with gcc, as
// testdata/conformance.mk does, into a temporary folder.
func buildCases(t *testing.T) (ints, shlib string) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed: the traced programs are built from testdata/conformance")
	}
	dir := t.TempDir()
	ints, shlib = filepath.Join(dir, "ints"), filepath.Join(dir, "shlib")
	lib := filepath.Join(dir, "libshlib.so")
	libSrcs, err := filepath.Glob(filepath.Join(cases, "libshlib*.c"))
	if err != nil || len(libSrcs) == 0 {
		t.Fatalf("no libshlib*.c in %s: %v", cases, err)
	}
	for _, args := range [][]string{
		{"-o", ints, filepath.Join(cases, "ints.c")},
		append([]string{"-fPIC", "-shared", "-Wl,-soname,libshlib.so", "-o", lib}, libSrcs...),
		{"-fPIE", "-pie", "-o", shlib, filepath.Join(cases, "shlib.c"), lib, "-Wl,-rpath,$ORIGIN"},
	} {
		cmd := exec.Command("gcc", append([]string{"-O2", "-g0", "-Wall", "-I", cases}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			if bytes.Contains(out, []byte("sdt.h")) {
				t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %s", out)
			}
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	return ints, shlib
}

// printed returns argument arg of every line the case printed for probe.
func printed(t *testing.T, out, probe string, arg int) []string {
	t.Helper()
	var vals []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == probe {
			if len(f) < arg+2 {
				t.Fatalf("line %q has no argument %d", l, arg)
			}
			vals = append(vals, f[arg+1])
		}
	}
	if len(vals) == 0 {
		t.Fatalf("the case printed no line for %s:\n%s", probe, out)
	}
	return vals
}

// startPrintarg starts printarg and waits until it says it is attached.
func startPrintarg(t *testing.T, exe string, args ...string) (cmd *exec.Cmd, stdout *bytes.Buffer, stderr func() string) {
	t.Helper()
	cmd = exec.Command(exe, args...)
	stdout = new(bytes.Buffer)
	cmd.Stdout = stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var log strings.Builder // written by the scanner until scanned is closed
	attached, scanned := make(chan bool, 1), make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "attached to ") {
				attached <- true
			}
		}
		close(attached)
	}()
	stderr = func() string { <-scanned; return log.String() }
	select {
	case ok := <-attached:
		if !ok {
			cmd.Wait()
			t.Fatalf("printarg %v ended before attaching:\n%s", args, stderr())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("printarg %v did not attach in 30s", args)
	}
	return cmd, stdout, stderr
}

// hits parses printarg's lines "PID TID VALUE": the values, all of
// process pid.
func hits(t *testing.T, out string, pid int) []string {
	t.Helper()
	var vals []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("printarg line %q: want PID TID VALUE", l)
		}
		if f[0] != strconv.Itoa(pid) {
			t.Errorf("hit of process %s, want only %d's: %q", f[0], pid, l)
		}
		vals = append(vals, f[2])
	}
	return vals
}

// TestPrintargFile: printarg FILE PROVIDER:NAME prints the argument the
// case passed, at every hit, signed or (-u) unsigned, and exits on
// SIGINT after printing them all.
func TestPrintargFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF and attaching uprobes needs root")
	}
	ints, _ := buildCases(t)
	exe := filepath.Join(t.TempDir(), "printarg")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		probe string
		arg   int
		flags []string
	}{
		{"ints:int32", 0, nil},             // INT32_MIN: sign-extended
		{"ints:uint64", 1, []string{"-u"}}, // UINT64_MAX
		{"ints:int8", 3, nil},              // -1 from one byte
		{"ints:uint16", 3, []string{"-u"}}, // 0x8000, zero-extended
		{"ints:mixed", 11, []string{"-u"}}, // the 12th argument, on the stack
	} {
		t.Run(tc.probe+"/"+strconv.Itoa(tc.arg), func(t *testing.T) {
			args := append(append([]string{"-arg", strconv.Itoa(tc.arg)}, tc.flags...), ints, tc.probe)
			pa, out, stderr := startPrintarg(t, exe, args...)
			run := exec.Command(ints)
			caseOut, err := run.Output()
			if err != nil {
				t.Fatalf("%s: %v", ints, err)
			}
			pa.Process.Signal(syscall.SIGINT)
			if err := pa.Wait(); err != nil {
				t.Fatalf("printarg: %v\n%s", err, stderr())
			}
			want := printed(t, string(caseOut), tc.probe, tc.arg)
			got := hits(t, out.String(), run.Process.Pid)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("printarg %v: %q, the case passed %q\nstderr:\n%s", args, got, want, stderr())
			}
			if !strings.Contains(stderr(), "\n0 hits dropped") {
				t.Errorf("no or a non-zero drop count:\n%s", stderr())
			}
		})
	}
}

// TestPrintargPID: printarg -p PID attaches to the probes of a library the
// process has mapped (raising the probe's semaphore in it), prints the
// argument at every later hit, and exits when the process does.
func TestPrintargPID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF and attaching uprobes needs root")
	}
	_, shlib := buildCases(t)
	exe := filepath.Join(t.TempDir(), "printarg")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prog, release := startHeld(t, shlib)
	pa, out, stderr := startPrintarg(t, exe, "-p", strconv.Itoa(prog.Process.Pid), "shlib:guarded")
	// Let the case go on: it prints the rest, with every shlib:guarded.
	rest, err := io.ReadAll(release())
	if err != nil {
		t.Fatal(err)
	}
	if err := prog.Wait(); err != nil {
		t.Fatalf("%s: %v", shlib, err)
	}
	done := make(chan error, 1)
	go func() { done <- pa.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("printarg: %v\n%s", err, stderr())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("printarg did not exit within 30s of the process:\n%s", stderr())
	}
	want := printed(t, string(rest), "shlib:guarded", 0)
	got := hits(t, out.String(), prog.Process.Pid)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("printarg -p: %q, the case passed %q\nstderr:\n%s", got, want, stderr())
	}
}

// startHeld starts a conformance case whose stdout is a full pipe: it
// runs until its first line (after its libraries are mapped), then waits
// in write(2) until release empties the pipe and returns the case's
// output from there on.
func startHeld(t *testing.T, exe string) (cmd *exec.Cmd, release func() io.Reader) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	// The smallest pipe (a page), full before the case starts.
	size, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096)
	if err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	if _, err := w.Write(bytes.Repeat([]byte{'#'}, size)); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(exe)
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	wchan := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "wchan")
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(wchan)
		// pipe_write, anon_pipe_write (6.16+): waiting for room.
		if strings.Contains(string(b), "pipe_write") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never blocked writing its first line (wchan %q)", exe, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cmd, func() io.Reader {
		if _, err := io.ReadFull(r, make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		return r
	}
}
