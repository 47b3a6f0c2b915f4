package trace

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestStopped: the state is read after the command name, which a
// program can choose to look like a state ("x) T (y").
func TestStopped(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	tricky := filepath.Join(t.TempDir(), "x) T (y")
	if err := os.WriteFile(tricky, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tricky, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	p := &Process{pid: cmd.Process.Pid}
	waitFor := func(want bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); p.Stopped() != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("Stopped() = %v for 5 s, want %v", !want, want)
			}
		}
	}
	waitFor(false)
	cmd.Process.Signal(syscall.SIGSTOP)
	waitFor(true)
	cmd.Process.Signal(syscall.SIGCONT)
	waitFor(false)
}
