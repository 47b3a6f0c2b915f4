package vm

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// matrixTable is the architecture matrix: one row per guest architecture,
// the columns described in the file's comments.
//
//go:embed matrix.tsv
var matrixTable string

// Machine is one row of matrix.tsv: how to build for, boot and feed the
// QEMU guest of one architecture, with software emulation (TCG).
type Machine struct {
	Arch         string // the compiler registry's name: "amd64", "ppc64"
	GOARCH       string // GOARCH of the guest's /init
	Debian       string // Debian architecture of the guest's programs ("ppc64el")
	KernelDebian string // Debian architecture of the kernel package
	KernelMeta   string // the meta package fetch-kernel.sh starts from
	// Triple is the GNU triple of the cross toolchain, whose sysroot
	// /usr/Triple gives the dynamic cases their loader and libraries; ""
	// when the host's gcc and libraries serve.
	Triple string
	CFlags []string // more compiler flags for the cross-built cases
	// Kernels are the Debian suites whose kernel the guest boots; the
	// first is the default.
	Kernels     []string
	QEMU        string   // qemu-system binary
	QEMUPackage string   // the Debian package that ships it
	Args        []string // machine, CPU and firmware arguments
	Console     string   // the kernel's console device
	Memory      string   // guest memory, e.g. "256M"
	// KernelArgs are more words for the kernel command line, after the
	// console, rdinit=/init, panic=-1 and quiet the runner always passes.
	KernelArgs []string
	// Root is the Debian suite ("sid") of a private package root
	// (internal/vm/pkg-root.sh, made by Root) holding QEMU and the cross
	// toolchain when the host's packages cannot serve this guest: QEMU
	// then runs from the root, through the root's own dynamic loader and
	// with the root's QEMU data files, and the cases' loader and libraries
	// come from the root's /usr/Triple. "" means the host's packages
	// (internal/vm/install-tools.sh).
	Root string
	// Corpus: the Debian corpus fetches the files of Debian.
	Corpus bool
}

// DefaultKernel is the suite of the kernel the guest boots when none is
// asked for: the first of Kernels.
func (m *Machine) DefaultKernel() string { return m.Kernels[0] }

// HasKernel reports whether the guest boots the kernel of suite.
func (m *Machine) HasKernel(suite string) bool { return slices.Contains(m.Kernels, suite) }

// machineColumns are matrix.tsv's columns, in order.
var machineColumns = []string{"arch", "goarch", "debian", "kernel_debian", "kernel_meta", "triple", "cflags",
	"kernels", "qemu", "qemu_package", "qemu_args", "console", "memory", "kernel_args", "root", "corpus"}

// The patterns and the parsed matrix are made on first use, not at
// start-up: every usdtspec command links this package (for conform
// --vm), and most never boot a guest.
var (
	// matrixWord is what a field, or a word of a list, may hold: nothing
	// that make or the shell would read specially.
	matrixWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._,:=+/-]+$`) })
	matrixName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`) })
	matrixMem  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]*[MG]$`) })
)

var parsedMachines = sync.OnceValue(func() []Machine {
	m, err := parseMatrix(matrixTable)
	if err != nil {
		panic("internal/vm/matrix.tsv: " + err.Error())
	}
	return m
})

// Machines returns every row of the matrix, in the table's order.
func Machines() []*Machine {
	machines := parsedMachines()
	out := make([]*Machine, len(machines))
	for i := range machines {
		out[i] = machines[i].clone()
	}
	return out
}

// MachineFor returns the row of the architecture called arch (the
// compiler registry's name), or nil when the matrix has none.
func MachineFor(arch string) *Machine {
	machines := parsedMachines()
	for i := range machines {
		if machines[i].Arch == arch {
			return machines[i].clone()
		}
	}
	return nil
}

func (m *Machine) clone() *Machine {
	c := *m
	c.CFlags = slices.Clone(m.CFlags)
	c.Kernels = slices.Clone(m.Kernels)
	c.Args = slices.Clone(m.Args)
	c.KernelArgs = slices.Clone(m.KernelArgs)
	return &c
}

// RootPackages returns the packages of the package root of suite: for
// every row whose root it is, the QEMU package, and the cross gcc and g++
// with the libc they build against. pkg-root.sh derives the same list
// from the table when it runs on its own.
func RootPackages(suite string) []string {
	var pkgs []string
	for _, m := range parsedMachines() {
		if m.Root != suite {
			continue
		}
		pkgs = append(pkgs, m.QEMUPackage)
		if m.Triple != "" {
			pkgs = append(pkgs, "gcc-"+m.Triple, "g++-"+m.Triple, "libc6-dev-"+m.Debian+"-cross")
		}
	}
	slices.Sort(pkgs)
	return slices.Compact(pkgs)
}

// parseMatrix reads the table: comments and blank lines skipped, the
// header checked, every row's fields checked for form.
func parseMatrix(text string) ([]Machine, error) {
	var out []Machine
	header := false
	seen := map[string]bool{}
	for n, line := range strings.Split(text, "\n") {
		n++
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if !header {
			if !slices.Equal(fields, machineColumns) {
				return nil, fmt.Errorf("line %d: header %q, want the columns %q", n, fields, machineColumns)
			}
			header = true
			continue
		}
		if len(fields) != len(machineColumns) {
			return nil, fmt.Errorf("line %d: %d fields, want %d (tab-separated)", n, len(fields), len(machineColumns))
		}
		f := map[string]string{}
		for i, v := range fields {
			col := machineColumns[i]
			if v == "" {
				return nil, fmt.Errorf("line %d: column %s is empty (write - for none)", n, col)
			}
			for _, w := range strings.Fields(v) {
				if !matrixWord().MatchString(w) {
					return nil, fmt.Errorf("line %d: column %s: bad word %q", n, col, w)
				}
			}
			f[col] = v
		}
		list := func(col string) []string {
			if f[col] == "-" {
				return nil
			}
			return strings.Fields(f[col])
		}
		opt := func(col string) string {
			if f[col] == "-" {
				return ""
			}
			return f[col]
		}
		m := Machine{
			Arch: f["arch"], GOARCH: f["goarch"], Debian: f["debian"], KernelDebian: f["kernel_debian"],
			KernelMeta: f["kernel_meta"], Triple: opt("triple"), CFlags: list("cflags"),
			Kernels: strings.Split(f["kernels"], ","), QEMU: f["qemu"], QEMUPackage: f["qemu_package"],
			Args: list("qemu_args"), Console: f["console"], Memory: f["memory"], KernelArgs: list("kernel_args"),
			Root: opt("root"), Corpus: f["corpus"] == "yes",
		}
		for _, c := range []struct{ col, v string }{{"arch", m.Arch}, {"goarch", m.GOARCH}, {"debian", m.Debian},
			{"kernel_debian", m.KernelDebian}, {"kernel_meta", m.KernelMeta}, {"qemu", m.QEMU},
			{"qemu_package", m.QEMUPackage}, {"console", m.Console}} {
			if !matrixName().MatchString(c.v) {
				return nil, fmt.Errorf("line %d: column %s: bad name %q", n, c.col, c.v)
			}
		}
		for _, c := range []struct{ col, v string }{{"triple", m.Triple}, {"root", m.Root}} {
			if c.v != "" && !matrixName().MatchString(c.v) {
				return nil, fmt.Errorf("line %d: column %s: bad name %q", n, c.col, c.v)
			}
		}
		for i, s := range m.Kernels {
			if !matrixName().MatchString(s) || slices.Contains(m.Kernels[:i], s) {
				return nil, fmt.Errorf("line %d: kernels %q: want distinct Debian suites, separated by commas", n, f["kernels"])
			}
		}
		if !matrixMem().MatchString(m.Memory) {
			return nil, fmt.Errorf("line %d: memory %q, want e.g. 256M", n, m.Memory)
		}
		if f["corpus"] != "yes" && f["corpus"] != "no" {
			return nil, fmt.Errorf("line %d: corpus %q, want yes or no", n, f["corpus"])
		}
		if seen[m.Arch] {
			return nil, fmt.Errorf("line %d: a second row for %s", n, m.Arch)
		}
		seen[m.Arch] = true
		out = append(out, m)
	}
	if !header {
		return nil, fmt.Errorf("no header line")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return out, nil
}
