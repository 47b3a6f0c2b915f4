package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestListProcess: list -p shows the probes of a library the process
// has mapped, under the path the process sees, and of no other file.
func TestListProcess(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the committed library is x86-64")
	}
	lib, err := filepath.Abs("../../testdata/bin/libprobes-amd64-gcc-O2.so")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), "LD_PRELOAD="+lib)
	if err := cmd.Start(); err != nil {
		t.Skipf("sleep: %v", err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	pid := fmt.Sprint(cmd.Process.Pid)
	// The loader maps the library before sleep's main runs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		maps, _ := os.ReadFile("/proc/" + pid + "/maps")
		if bytes.Contains(maps, []byte(lib)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never mapped %s", pid, lib)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"list", "-p", pid}, &stdout, &stderr); code != exitOK {
		t.Fatalf("list -p %s: exit %d\n%s", pid, code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var probes []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if f[0] != lib {
			t.Errorf("a probe of %s, want only %s's: %q", f[0], lib, l)
		}
		probes = append(probes, f[1])
	}
	want := "usdtlib:global usdtlib:ratio usdtlib:leave usdtlib:enter" // readelf -n's order
	if got := strings.Join(probes, " "); got != want {
		t.Errorf("list -p %s: probes %q, want %q\n%s", pid, got, want, stdout.String())
	}

	// A short name resolves against the process's own files first.
	stdout.Reset()
	if code := run([]string{"list", "-p", pid, "libprobes-amd64-gcc-O2.so"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), lib+"  usdtlib:enter") {
		t.Errorf("list -p %s libprobes-amd64-gcc-O2.so: exit %d\n%s%s", pid, code, stdout.String(), stderr.String())
	}
}
