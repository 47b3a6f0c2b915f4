package usdt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProcessFiles: a running dynamic executable lists itself first,
// then its libraries, each once, each openable from here.
func TestProcessFiles(t *testing.T) {
	exe := buildWaiter(t)
	w := startWaiter(t, exe)
	w.fire(t, 1) // the loader has mapped everything
	files, err := ProcessFiles(w.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 || files[0].Path != exe {
		t.Fatalf("files = %+v, want %s first and its libraries", files, exe)
	}
	seen := map[string]bool{}
	libc := false
	for _, f := range files {
		if seen[f.Path] {
			t.Errorf("%s listed twice", f.Path)
		}
		seen[f.Path] = true
		libc = libc || strings.HasPrefix(filepath.Base(f.Path), "libc.so")
		if !sameFile(f.Open, f.Dev, f.Inode) {
			t.Errorf("%s: %s does not open the mapped file", f.Path, f.Open)
		}
	}
	if !libc {
		t.Errorf("no libc among %+v", files)
	}
	if _, err := ProcessFiles(0); err == nil {
		t.Error("ProcessFiles(0) did not fail")
	}
	if _, err := ProcessFiles(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ProcessFiles(no such pid) = %v, want ErrNotExist", err)
	}
}

// TestAttachProcess: attaching by PID finds the probe in the process's
// executable, decodes its arguments, and a file deleted after the
// process mapped it is still reached (through /proc/PID/map_files).
func TestAttachProcess(t *testing.T) {
	needRoot(t)
	built := buildWaiter(t)
	for _, deleted := range []bool{false, true} {
		name := map[bool]string{false: "mapped", true: "deleted"}[deleted]
		t.Run(name, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), "waiter")
			b, err := os.ReadFile(built)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(exe, b, 0o755); err != nil {
				t.Fatal(err)
			}
			w := startWaiter(t, exe)
			w.fire(t, 1)
			if deleted {
				if err := os.Remove(exe); err != nil {
					t.Fatal(err)
				}
			}
			l := load(t, Config{})
			pid := w.cmd.Process.Pid
			pl, err := l.m.AttachProcess(l.prog(), pid, "test:plain", &Options{Cookie: 9})
			if err != nil {
				t.Fatal(err)
			}
			defer pl.Close()
			if len(pl.Files) != 1 || pl.Paths[0] != exe || len(pl.Sites()) == 0 {
				t.Fatalf("attached %v (%d call sites), want %s", pl.Paths, len(pl.Sites()), exe)
			}
			w.fire(t, 21)
			if h := l.last(t, 9); h.ArgCnt != 2 || h.Arg[0] != 21 || h.Arg[1] != -21 || h.Pid != uint32(pid) {
				t.Errorf("last hit = pid %d cnt %d args %d %d, want pid %d, 2 args 21 -21", h.Pid, h.ArgCnt, h.Arg[0], h.Arg[1], pid)
			}
			if _, err := l.m.AttachProcess(l.prog(), pid, "nosuch:probe", nil); !errors.Is(err, ErrNoProbes) {
				t.Errorf("no such probe: %v, want ErrNoProbes", err)
			}
		})
	}
}
