package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// builtCLI builds this command once per test binary, for tests that run
// it as a process of its own (its stdin, its signals, its exit).
func builtCLI(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "usdtspec")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// dlopenBuild is testdata/dlopen built by one compiler, PIE or not.
type dlopenBuild struct{ name, main, lib string }

func buildDlopen(t *testing.T) []dlopenBuild {
	t.Helper()
	multiarch, err := exec.Command("gcc", "-print-multiarch").Output()
	if err != nil {
		t.Skipf("gcc: %v", err)
	}
	inc := "-I/usr/include/" + strings.TrimSpace(string(multiarch))
	dir := t.TempDir()
	var builds []dlopenBuild
	for _, cc := range []string{"gcc", "clang"} {
		if _, err := exec.LookPath(cc); err != nil {
			t.Logf("%s not installed: its builds are not tested", cc)
			continue
		}
		for _, pie := range []string{"pie", "no-pie"} {
			b := dlopenBuild{name: cc + "-" + pie, main: filepath.Join(dir, cc+"-"+pie), lib: filepath.Join(dir, "lib"+cc+"-"+pie+".so")}
			for _, args := range [][]string{
				{"-O2", "-fPIC", "-shared", inc, "-o", b.lib, "testdata/dlopen/lib.c"},
				{"-O2", "-f" + pie, "-" + pie, inc, "-o", b.main, "testdata/dlopen/main.c", "-ldl"},
			} {
				if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
					if strings.Contains(string(out), "sdt.h") {
						t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %s", out)
					}
					t.Fatalf("%s %v: %v\n%s", cc, args, err, out)
				}
			}
			builds = append(builds, b)
		}
	}
	if len(builds) == 0 {
		t.Skip("no C compiler")
	}
	return builds
}

// hitLine is a hit of trace --json as the case protocol prints it.
func hitLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var h struct {
			Provider, Name string
			Args           []json.Number
			PID            int
		}
		d := json.NewDecoder(strings.NewReader(l))
		d.UseNumber()
		if err := d.Decode(&h); err != nil {
			t.Fatalf("hit %q: %v", l, err)
		}
		s := h.Provider + ":" + h.Name
		for _, a := range h.Args {
			s += " " + a.String()
		}
		lines = append(lines, s)
	}
	return lines
}

// TestTraceFollowsDlopen: a program loads a library with probes (one in
// its constructor) only after the tracer has attached; every line the
// program prints comes back as a hit with the same values, with -p PID
// and with -- COMMAND, for gcc and clang, PIE and not.
func TestTraceFollowsDlopen(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF and attaching uprobes needs root")
	}
	cli := builtCLI(t)
	for _, b := range buildDlopen(t) {
		t.Run(b.name+"/command", func(t *testing.T) {
			hits := filepath.Join(t.TempDir(), "hits.json")
			cmd := exec.Command(cli, "trace", "--json", "-o", hits, "dl:*", "--", b.main, b.lib)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			printed := strings.Split(strings.TrimSpace(string(out)), "\n")
			if diff := cmp.Diff(printed, hitLines(t, hits)); diff != "" {
				t.Errorf("hits differ from what the program printed (-printed +hits):\n%s\nstderr:\n%s", diff, stderr.String())
			}
			if !strings.Contains(stderr.String(), "held at the loader") {
				t.Errorf("no loader stop in the summary:\n%s", stderr.String())
			}
		})
		t.Run(b.name+"/pid", func(t *testing.T) {
			prog := exec.Command(b.main, b.lib, "wait")
			progIn, err := prog.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var progOut strings.Builder
			prog.Stdout = &progOut
			if err := prog.Start(); err != nil {
				t.Fatal(err)
			}
			defer prog.Wait()
			defer prog.Process.Kill()

			hits := filepath.Join(t.TempDir(), "hits.json")
			tr := exec.Command(cli, "trace", "--json", "-o", hits, "-p", strconv.Itoa(prog.Process.Pid), "dl:*")
			trErr, err := tr.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Start(); err != nil {
				t.Fatal(err)
			}
			// Once attached, trace says so on stderr; then the program
			// may load its library.
			sc := bufio.NewScanner(trErr)
			var log []string // written by the scanner until scanned is closed
			attached, scanned := make(chan bool, 1), make(chan struct{})
			go func() {
				defer close(scanned)
				for sc.Scan() {
					log = append(log, sc.Text())
					if strings.HasPrefix(sc.Text(), "tracing ") {
						attached <- true
					}
				}
				close(attached)
			}()
			select {
			case ok := <-attached:
				if !ok {
					<-scanned
					t.Fatalf("trace ended before attaching: %s", strings.Join(log, "\n"))
				}
			case <-time.After(30 * time.Second):
				t.Fatal("trace did not attach in 30s")
			}
			io.WriteString(progIn, "go\n")
			progIn.Close()
			if err := prog.Wait(); err != nil {
				t.Fatalf("program: %v", err)
			}
			done := make(chan error, 1)
			go func() { <-scanned; done <- tr.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("trace: %v\n%s", err, strings.Join(log, "\n"))
				}
			case <-time.After(30 * time.Second):
				tr.Process.Kill()
				t.Fatal("trace did not exit within 30s of the process")
			}
			printed := strings.Split(strings.TrimSpace(progOut.String()), "\n")
			if diff := cmp.Diff(printed, hitLines(t, hits)); diff != "" {
				t.Errorf("hits differ from what the program printed (-printed +hits):\n%s\nstderr:\n%s", diff, strings.Join(log, "\n"))
			}
		})
	}
}
