package vm

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/compiler"
)

// TestMatrix checks the table against the rest of the program: every row
// names an architecture of the compiler's registry, whose kernels its
// guest's GOARCH runs on, and rows that share a kernel or a QEMU agree
// on where they come from.
func TestMatrix(t *testing.T) {
	ms := Machines()
	if len(ms) == 0 {
		t.Fatal("no rows")
	}
	goarches := map[string]bool{}
	if out, err := exec.Command("go", "tool", "dist", "list").Output(); err == nil {
		for _, l := range strings.Fields(string(out)) {
			if goos, arch, ok := strings.Cut(l, "/"); ok && goos == "linux" {
				goarches[arch] = true
			}
		}
	} else {
		t.Logf("go tool dist list: %v; GOARCH checked against the registry only", err)
	}
	kernelMeta := map[string]string{}
	qemuPackage := map[string]string{}
	for _, m := range ms {
		a := compiler.ArchNamed(m.Arch)
		if a == nil {
			t.Errorf("%s: not an architecture of the compiler's registry (compiler/registry.go)", m.Arch)
			continue
		}
		if !slices.Contains(a.GOARCH, m.GOARCH) {
			t.Errorf("%s: goarch %s is not a kernel whose pt_regs the architecture describes (%v)", m.Arch, m.GOARCH, a.GOARCH)
		}
		if len(goarches) > 0 && !goarches[m.GOARCH] {
			t.Errorf("%s: goarch %s is not a linux GOARCH of `go tool dist list`", m.Arch, m.GOARCH)
		}
		if got := MachineFor(m.Arch); got == nil || got.Arch != m.Arch {
			t.Errorf("MachineFor(%q) = %v", m.Arch, got)
		}
		if len(m.Kernels) == 0 || m.DefaultKernel() != m.Kernels[0] || !m.HasKernel(m.Kernels[0]) {
			t.Errorf("%s: kernels %q: the first must be the default", m.Arch, m.Kernels)
		}
		if m.QEMU == "" || m.Console == "" || m.Memory == "" || m.KernelMeta == "" || m.QEMUPackage == "" {
			t.Errorf("%s: a required field is empty: %+v", m.Arch, m)
		}
		if m.Triple == "" && m.Root != "" {
			t.Errorf("%s: a package root but no cross compiler to run from it", m.Arch)
		}
		// One kernel cache directory per kernel_debian and suite.
		if k, ok := kernelMeta[m.KernelDebian]; ok && k != m.KernelMeta {
			t.Errorf("%s: kernel_debian %s with kernel_meta %s, another row has %s", m.Arch, m.KernelDebian, m.KernelMeta, k)
		}
		kernelMeta[m.KernelDebian] = m.KernelMeta
		if p, ok := qemuPackage[m.QEMU]; ok && p != m.QEMUPackage {
			t.Errorf("%s: %s from %s, another row has it from %s", m.Arch, m.QEMU, m.QEMUPackage, p)
		}
		qemuPackage[m.QEMU] = m.QEMUPackage
	}
	if MachineFor("no-such-arch") != nil {
		t.Error("MachineFor of an unknown architecture is not nil")
	}
	// Machines hands out copies.
	ms[0].Kernels[0] = "changed"
	if Machines()[0].Kernels[0] == "changed" {
		t.Error("Machines shares its rows with the caller")
	}
}

func TestParseMatrix(t *testing.T) {
	header := strings.Join(machineColumns, "\t")
	row := func(fields ...string) string {
		base := []string{"amd64", "amd64", "amd64", "amd64", "linux-image-cloud-amd64", "-", "-", "bookworm,sid",
			"qemu-system-x86_64", "qemu-system-x86", "-M pc -cpu max", "ttyS0", "256M", "-", "-", "yes"}
		for i := 0; i+1 < len(fields); i += 2 {
			base[slices.Index(machineColumns, fields[i])] = fields[i+1]
		}
		return strings.Join(base, "\t")
	}
	ms, err := parseMatrix("# comment\n\n" + header + "\n" + row() + "\n" + row("arch", "arm", "cflags", "-marm", "root", "sid", "triple", "arm-linux-gnueabihf", "corpus", "no") + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Triple != "" || ms[0].CFlags != nil || ms[0].Root != "" || !ms[0].Corpus ||
		strings.Join(ms[0].Args, " ") != "-M pc -cpu max" || strings.Join(ms[0].Kernels, ",") != "bookworm,sid" {
		t.Errorf("first row: %+v", ms[0])
	}
	if m := ms[1]; m.Arch != "arm" || m.Triple != "arm-linux-gnueabihf" || !slices.Equal(m.CFlags, []string{"-marm"}) || m.Root != "sid" || m.Corpus {
		t.Errorf("second row: %+v", m)
	}
	bad := map[string]string{
		"no header":      row() + "\n",
		"short header":   strings.Join(machineColumns[1:], "\t") + "\n" + row() + "\n",
		"no rows":        header + "\n",
		"duplicate":      header + "\n" + row() + "\n" + row() + "\n",
		"few fields":     header + "\n" + row()[:strings.LastIndex(row(), "\t")] + "\n",
		"empty field":    header + "\n" + row("console", "") + "\n",
		"bad memory":     header + "\n" + row("memory", "lots") + "\n",
		"bad corpus":     header + "\n" + row("corpus", "maybe") + "\n",
		"bad kernels":    header + "\n" + row("kernels", "bookworm,,sid") + "\n",
		"repeat kernel":  header + "\n" + row("kernels", "sid,sid") + "\n",
		"shell metachar": header + "\n" + row("qemu_args", "-M $(pc)") + "\n",
		"blank in name":  header + "\n" + row("arch", "amd 64") + "\n",
	}
	for name, text := range bad {
		if _, err := parseMatrix(text); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestMatrixScripts: the scripts, run on their own, read the same table
// the same way: matrix.sh's kernel meta package per kernel architecture
// and packages of a package root agree with the Go side's.
func TestMatrixScripts(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	sh := func(script string, args ...string) string {
		t.Helper()
		out, err := exec.Command("bash", append([]string{"-c", "set -euo pipefail; die() { echo \"$*\" >&2; exit 1; }; . ./matrix.sh; " + script, "test"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	roots := map[string]bool{}
	for _, m := range Machines() {
		if got := sh(`matrix_kernel_meta "$1"`, m.KernelDebian); got != m.KernelMeta {
			t.Errorf("matrix_kernel_meta %s = %q, want %q", m.KernelDebian, got, m.KernelMeta)
		}
		if m.Root != "" {
			roots[m.Root] = true
		}
	}
	for r := range roots {
		got := strings.Fields(sh(`matrix_root_packages "$1"`, r))
		slices.Sort(got)
		if want := RootPackages(r); !slices.Equal(got, want) {
			t.Errorf("matrix_root_packages %s = %q, want %q", r, got, want)
		}
	}
	if got := sh(`matrix_root_packages none`); got != "" {
		t.Errorf("matrix_root_packages of a root no row has: %q", got)
	}
}
