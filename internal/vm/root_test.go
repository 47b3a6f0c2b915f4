package vm

import (
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot lays out a package root as internal/vm/pkg-root.sh makes it: merged
// /usr with a relative lib64 link, the loader in the multiarch folder, a
// dynamic "QEMU" (a copy of a host program, for its PT_INTERP).
func fakeRoot(t *testing.T) (root, interp string) {
	t.Helper()
	host, err := os.Executable() // the test binary: dynamic or static
	if err != nil {
		t.Skip(err)
	}
	for _, p := range []string{"/bin/true", "/usr/bin/true"} {
		if f, err := elf.Open(p); err == nil {
			for _, prog := range f.Progs {
				if prog.Type == elf.PT_INTERP {
					b, _ := io.ReadAll(prog.Open())
					host, interp = p, strings.TrimRight(string(b), "\x00")
				}
			}
			f.Close()
		}
		if interp != "" {
			break
		}
	}
	if interp == "" {
		t.Skip("no dynamic true(1) to stand in for QEMU")
	}
	root = t.TempDir()
	b, err := os.ReadFile(host)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite := func(p string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(filepath.Join(root, "usr/bin/qemu-system-fake"), b)
	mustWrite(filepath.Join(root, "usr/lib/fake-linux-gnu", filepath.Base(interp)), []byte("loader"))
	// /lib64/ld.so -> usr/lib64/ld.so -> ../lib/fake-linux-gnu/ld.so
	dir := filepath.Join(root, "usr", strings.TrimPrefix(filepath.Dir(interp), "/"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, filepath.Join(root, "usr/lib/fake-linux-gnu", filepath.Base(interp)))
	if err := os.Symlink(rel, filepath.Join(dir, filepath.Base(interp))); err != nil {
		t.Fatal(err)
	}
	top := strings.Split(strings.TrimPrefix(interp, "/"), "/")[0]
	if err := os.Symlink("usr/"+top, filepath.Join(root, top)); err != nil {
		t.Fatal(err)
	}
	return root, interp
}

func TestQEMUCommand(t *testing.T) {
	v := &Machine{QEMU: "qemu-system-fake"}
	if name, args, err := qemuCommand(v, ""); err != nil || name != "qemu-system-fake" || len(args) != 0 {
		t.Errorf("no root: %q %q %v, want the host's qemu-system-fake", name, args, err)
	}
	root, interp := fakeRoot(t)
	name, args, err := qemuCommand(v, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "usr/lib/fake-linux-gnu", filepath.Base(interp)); name != want {
		t.Errorf("program %q, want the root's loader %q", name, want)
	}
	want := []string{"--library-path", filepath.Join(root, "usr/lib/fake-linux-gnu") + ":" + filepath.Join(root, "usr/lib"),
		filepath.Join(root, "usr/bin/qemu-system-fake"), "-L", filepath.Join(root, "usr/share/qemu")}
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("args %q\nwant %q", args, want)
	}

	// A loader link that leaves the root would start the host's loader
	// on the root's libraries.
	link := filepath.Join(root, "usr", strings.TrimPrefix(interp, "/"))
	os.Remove(link)
	if err := os.Symlink(interp, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := qemuCommand(v, root); err == nil || !strings.Contains(err.Error(), "outside the package root") {
		t.Errorf("loader outside the root: err = %v", err)
	}
	if _, _, err := qemuCommand(&Machine{QEMU: "qemu-system-none"}, root); err == nil {
		t.Error("no QEMU in the root: no error")
	}
}

// TestRunNeedsTheRoot: a VM whose QEMU lives in a package root does not
// fall back to the host's QEMU.
func TestRunNeedsTheRoot(t *testing.T) {
	m := &Machine{Arch: "fake", GOARCH: "amd64", QEMU: "qemu-system-fake", Console: "ttyS0",
		Memory: "256M", Kernels: []string{"sid"}, Root: "sid"}
	_, err := Run(context.Background(), Config{Machine: m, Kernel: "/dev/null", Init: "/dev/null", WorkDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "package root") {
		t.Errorf("err = %v, want one naming the package root", err)
	}
	if r, err := Root(context.Background(), t.TempDir(), &Machine{Arch: "host"}, io.Discard); r != "" || err != nil {
		t.Errorf("Root of a VM without one: %q, %v", r, err)
	}
	if _, err := Root(context.Background(), t.TempDir(), nil, io.Discard); !errors.Is(err, ErrNoVM) {
		t.Errorf("Root without a VM: %v, want ErrNoVM", err)
	}
}
