package compiler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDebugLinkPlanted: the .gnu_debuglink name is looked up next to the
// binary, where whoever owns the binary can plant anything under it.
// Each planted candidate is skipped, at once, with a reason in
// DebugFileErrors and in the symbolic argument's error, and never read:
// a symlink to /dev/zero (whose CRC32 never ends), a FIFO (whose open
// waits for a writer), a world-writable file, a file of another owner,
// a symlink to a file the binary's owner cannot read. The real debug
// file, even through a symlink, is still used.
func TestDebugLinkPlanted(t *testing.T) {
	dir := t.TempDir()
	_, addr := debugFileProgram(t, dir, "prog", "", "-Wl,--build-id=none")
	debug, stripped := splitDebug(t, dir, "prog")
	toolOutput(t, dir, "objcopy", "--add-gnu-debuglink=prog.debug", stripped)
	content, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(debug); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir() // a folder the lookup never searches
	root := os.Geteuid() == 0

	for _, tc := range []struct {
		name     string
		rootOnly bool
		plant    func(t *testing.T) // makes dir/prog.debug
		want     string             // the reason; "" when the file is used
	}{
		{"symlink to /dev/zero", false, func(t *testing.T) { symlink(t, "/dev/zero", debug) },
			"not a regular file (a character device)"},
		{"FIFO", false, func(t *testing.T) {
			if err := syscall.Mkfifo(debug, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, "not a regular file (a FIFO)"},
		{"world-writable", false, func(t *testing.T) { write(t, debug, content, 0o666) },
			"mode -rw-rw-rw-: writable by group or others"},
		{"group-writable", false, func(t *testing.T) { write(t, debug, content, 0o664) },
			"mode -rw-rw-r--: writable by group or others"},
		{"another owner", true, func(t *testing.T) {
			write(t, debug, content, 0o644)
			chown(t, debug, 12345)
		}, "owned by uid 12345: neither root, nor the binary's owner (uid 0), nor this user (uid 0)"},
		{"symlink to a root-only file", true, func(t *testing.T) {
			secret := filepath.Join(elsewhere, "secret")
			write(t, secret, content, 0o600)
			symlink(t, secret, debug)
			chown(t, stripped, 65534)
		}, "owned by uid 0, mode -rw-------: the binary's owner (uid 65534) could not read it"},
		{"symlink to a root-owned readable file", true, func(t *testing.T) {
			public := filepath.Join(elsewhere, "public")
			write(t, public, content, 0o644)
			symlink(t, public, debug)
			chown(t, stripped, 65534)
		}, ""},
		{"the debug file", false, func(t *testing.T) { write(t, debug, content, 0o644) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rootOnly && !root {
				t.Skip("chown needs root")
			}
			os.Remove(debug)
			os.Chown(stripped, 0, 0)
			t.Cleanup(func() { os.Remove(debug); os.Chown(stripped, os.Geteuid(), os.Getegid()) })
			tc.plant(t)
			r := within(t, 10*time.Second, "OpenWithOptions", func() openResult {
				f, err := OpenWithOptions(stripped, &Options{DebugDirs: []string{}})
				return openResult{f, err}
			})
			if r.err != nil {
				t.Fatal(r.err)
			}
			a := r.f.CallSites[0].Arguments[0]
			if tc.want == "" {
				if a.Err != nil || a.SymbolAddress != addr || r.f.DebugFile != debug || len(r.f.DebugFileErrors) != 0 {
					t.Fatalf("argument %+v, debug file %q, errors %v; want ti at %#x from %s", a, r.f.DebugFile, r.f.DebugFileErrors, addr, debug)
				}
				return
			}
			reason := debug + ": debug file not used: " + tc.want
			if len(r.f.DebugFileErrors) != 1 || !errors.Is(r.f.DebugFileErrors[0], ErrDebugFileRejected) || r.f.DebugFileErrors[0].Error() != reason {
				t.Errorf("DebugFileErrors = %v, want [%s]", r.f.DebugFileErrors, reason)
			}
			if r.f.DebugFile != "" || !errors.Is(a.Err, ErrSymbolNotFound) || !strings.Contains(a.Err.Error(), ", and "+reason) {
				t.Errorf("argument error %v (debug file %q), want ErrSymbolNotFound saying %q", a.Err, r.f.DebugFile, reason)
			}
		})
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// write writes a file with exactly mode perm, whatever the umask.
func write(t *testing.T, name string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, perm); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, name string, uid int) {
	t.Helper()
	if err := os.Chown(name, uid, uid); err != nil {
		t.Fatal(err)
	}
}
