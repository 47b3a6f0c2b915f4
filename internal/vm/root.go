package vm

import (
	"context"
	"debug/elf"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed pkg-root.sh
var pkgRootBody string

// pkgRootScript is pkg-root.sh with what it sources.
var pkgRootScript = debianArchiveScript + pkgRootBody

// Root returns the private package root of the machine (Machine.Root:
// the Debian suite whose QEMU and cross toolchain the guest needs) under
// dir, making it when it is missing (internal/vm/pkg-root.sh with the
// root's RootPackages: apt-get download into a private apt root, dpkg-deb
// into dir/SUITE; about a minute the first time). It returns "" when the
// VM uses the host's packages.
func Root(ctx context.Context, dir string, m *Machine, log io.Writer) (string, error) {
	if m == nil {
		return "", ErrNoVM
	}
	if m.Root == "" {
		return "", nil
	}
	// The script returns at once when the root is complete.
	args := append([]string{"-c", pkgRootScript, "pkg-root.sh", m.Root, dir}, RootPackages(m.Root)...)
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("making the %s package root for %s: %w", m.Root, m.Arch, err)
	}
	return filepath.Join(dir, m.Root), nil
}

// qemuCommand is the program and leading arguments that start the VM's
// QEMU: the host's vm.QEMU, or with a package root the root's binary,
// started by the root's dynamic loader (its PT_INTERP, inside the root)
// on the root's libraries, and with the root's QEMU data files (-L).
func qemuCommand(vm *Machine, root string) (string, []string, error) {
	if root == "" {
		return vm.QEMU, nil, nil
	}
	bin := filepath.Join(root, "usr", "bin", vm.QEMU)
	f, err := elf.Open(bin)
	if err != nil {
		return "", nil, fmt.Errorf("%s in the package root: %w", vm.QEMU, err)
	}
	defer f.Close()
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return "", nil, fmt.Errorf("%s: %w", bin, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		return bin, []string{"-L", filepath.Join(root, "usr", "share", "qemu")}, nil // static
	}
	loader, err := filepath.EvalSymlinks(filepath.Join(root, interp))
	if err != nil {
		return "", nil, fmt.Errorf("%s: loader %s in the package root: %w", bin, interp, err)
	}
	// The loader lives in the libraries' multiarch folder; the link at
	// PT_INTERP must resolve inside the root, not to the host's loader.
	if rel, err := filepath.Rel(root, loader); err != nil || strings.HasPrefix(rel, "..") {
		return "", nil, fmt.Errorf("%s: loader %s resolves outside the package root (%s)", bin, interp, loader)
	}
	libs := []string{filepath.Dir(loader)}
	for _, d := range []string{"usr/lib", "lib"} {
		if st, err := os.Stat(filepath.Join(root, d)); err == nil && st.IsDir() {
			libs = append(libs, filepath.Join(root, d))
		}
	}
	return loader, []string{"--library-path", strings.Join(libs, ":"), bin,
		"-L", filepath.Join(root, "usr", "share", "qemu")}, nil
}
