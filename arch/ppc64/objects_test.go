package ppc64_test

import (
	"debug/elf"
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// build is one way of compiling the probe test sources.
type build struct {
	name  string
	cc    []string // compiler and its target flags
	flags []string
	srcs  []string // under ../../testdata/src
	link  bool     // a linked file, whose call sites must also locate
	order binary.ByteOrder
	sites int // how many call sites the sources have at least
}

var builds = func() []build {
	// Debian bookworm has a cross gcc for big-endian ppc64
	// (gcc-powerpc64-linux-gnu, ELFv1, libc in libc6-dev-ppc64-cross)
	// though no ppc64 port in main; powerpc64le is the ppc64el port's.
	gccBE := []string{"powerpc64-linux-gnu-gcc"}
	gccLE := []string{"powerpc64le-linux-gnu-gcc"}
	// Freestanding: clang's own stdint.h and stdbool.h are all the
	// sources need, so no powerpc sysroot is required.
	clangBE := []string{"clang", "--target=powerpc64-linux-gnu", "-ffreestanding"}
	clangLE := []string{"clang", "--target=powerpc64le-linux-gnu", "-ffreestanding"}
	exe := []string{"probes.c", "sema.c"}
	obj := []string{"probes.c"}
	le, be := binary.LittleEndian, binary.BigEndian
	return []build{
		{"gcc-be-O0-pie", gccBE, []string{"-O0", "-fPIE", "-pie"}, exe, true, be, 16},
		{"gcc-be-O2-pie", gccBE, []string{"-O2", "-fPIE", "-pie"}, exe, true, be, 16},
		{"gcc-be-O3-nopie", gccBE, []string{"-O3", "-fno-pie", "-no-pie"}, exe, true, be, 16},
		{"gcc-be-Os-pie", gccBE, []string{"-Os", "-fPIE", "-pie"}, exe, true, be, 16},
		{"gcc-be-O2-static", gccBE, []string{"-O2", "-static"}, exe, true, be, 16},
		{"gcc-be-O2-shared", gccBE, []string{"-O2", "-fPIC", "-shared"}, []string{"lib.c"}, true, be, 4},
		// -mregnames: registers as "%rN" instead of bare numbers.
		{"gcc-be-O2-regnames", gccBE, []string{"-O2", "-mregnames", "-c"}, obj, false, be, 16},
		{"gcc-be-O0-regnames", gccBE, []string{"-O0", "-mregnames", "-c"}, obj, false, be, 16},
		{"gcc-be-O2-obj", gccBE, []string{"-O2", "-c"}, obj, false, be, 16},
		{"gcc-le-O0-pie", gccLE, []string{"-O0", "-fPIE", "-pie"}, exe, true, le, 16},
		{"gcc-le-O2-pie", gccLE, []string{"-O2", "-fPIE", "-pie"}, exe, true, le, 16},
		{"gcc-le-O2-static", gccLE, []string{"-O2", "-static"}, exe, true, le, 16},
		{"gcc-le-O2-shared", gccLE, []string{"-O2", "-fPIC", "-shared"}, []string{"lib.c"}, true, le, 4},
		{"gcc-le-O2-regnames", gccLE, []string{"-O2", "-mregnames", "-c"}, obj, false, le, 16},
		{"clang-be-O0", clangBE, []string{"-O0", "-c"}, obj, false, be, 16},
		{"clang-be-O2", clangBE, []string{"-O2", "-c"}, obj, false, be, 16},
		{"clang-le-O0", clangLE, []string{"-O0", "-c"}, obj, false, le, 16},
		{"clang-le-O2", clangLE, []string{"-O2", "-c"}, obj, false, le, 16},
	}
}()

// The operand shapes the compilers print, decoded here independently of
// the grammar: general registers as bare numbers or "%rN", "iN"
// immediates, "D(R)" memory and "RA,RB" indexed memory (RA 0 is the
// literal 0, so the address is RB alone).
var (
	regRE = regexp.MustCompile(`^(%r)?([0-9]|[12][0-9]|3[01])$`)
	immRE = regexp.MustCompile(`^i(-?[0-9]+)$`)
	memRE = regexp.MustCompile(`^(-?[0-9]+)\((%r)?([1-9]|[12][0-9]|3[01])\)$`)
	idxRE = regexp.MustCompile(`^(%r)?([0-9]|[12][0-9]|3[01]),(%r)?([0-9]|[12][0-9]|3[01])$`)
)

// gpr is the register as the grammar names it (without '%') at its
// pt_regs slot: gpr[N] at 8*N.
func gpr(prefix, num string) arch.Register {
	n, _ := strconv.Atoi(num)
	name := num
	if prefix != "" {
		name = "r" + num
	}
	return arch.Register{Name: name, Offset: uint16(8 * n)}
}

// decode returns what the operand op must compile to, or false for a
// shape the decoder does not know.
func decode(op string) (arch.Operand, bool) {
	if m := regRE.FindStringSubmatch(op); m != nil {
		return arch.Operand{Kind: arch.Reg, Base: gpr(m[1], m[2])}, true
	}
	if m := immRE.FindStringSubmatch(op); m != nil {
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			return arch.Operand{Kind: arch.Const, Value: uint64(v)}, true
		}
		v, err := strconv.ParseUint(m[1], 10, 64)
		return arch.Operand{Kind: arch.Const, Value: v}, err == nil
	}
	if m := memRE.FindStringSubmatch(op); m != nil {
		off, err := strconv.ParseInt(m[1], 10, 64)
		return arch.Operand{Kind: arch.Deref, Base: gpr(m[2], m[3]), Offset: off}, err == nil
	}
	if m := idxRE.FindStringSubmatch(op); m != nil {
		if m[2] == "0" {
			return arch.Operand{Kind: arch.Deref, Base: gpr(m[3], m[4])}, true
		}
		return arch.Operand{Kind: arch.SIB, Base: gpr(m[1], m[2]), Index: gpr(m[3], m[4]), Scale: 1}, true
	}
	return arch.Operand{}, false
}

// TestCompilerOutput builds the probe test sources with Debian's cross
// gcc for big-endian ppc64 and for ppc64le (executables, PIE and not,
// static, a shared library, objects with -mregnames) and with clang for
// both byte orders (objects), reads them through the compiler (which must
// pick ppc64 by e_machine and class, in the file's byte order), and
// requires every argument to compile to what an independent decoding of
// its text says.
func TestCompilerOutput(t *testing.T) {
	inc := archtest.SDTHeaders(t)
	src := filepath.Join("..", "..", "testdata", "src")
	shapes := map[string]int{}
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			if _, err := exec.LookPath(b.cc[0]); err != nil {
				t.Skipf("%s not found (Debian: gcc-powerpc64-linux-gnu, gcc-powerpc64le-linux-gnu, clang): %v", b.cc[0], err)
			}
			out := filepath.Join(t.TempDir(), "probes")
			args := append(append([]string{}, b.cc[1:]...), b.flags...)
			args = append(args, "-g0", "-I"+inc, "-o", out)
			for _, s := range b.srcs {
				args = append(args, filepath.Join(src, s))
			}
			if msg, err := exec.Command(b.cc[0], args...).CombinedOutput(); err != nil {
				if b.link && strings.Contains(string(msg), "cannot find") {
					// The compiler is there but not the target's C
					// library (libc6-dev-ppc64-cross for the BE gcc).
					t.Skipf("%s cannot link for this target (no C library for it installed):\n%s", b.cc[0], msg)
				}
				t.Fatalf("%s %s: %v\n%s", b.cc[0], strings.Join(args, " "), err, msg)
			}
			f, err := compiler.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			if f.Arch == nil || f.Arch.Name != "ppc64" || f.Machine != elf.EM_PPC64 || f.ByteOrder != b.order {
				t.Fatalf("read as %v %v %v, want ppc64 EM_PPC64 %v", f.Arch, f.Machine, f.ByteOrder, b.order)
			}
			for _, ne := range f.NoteErrors {
				t.Error(ne)
			}
			if len(f.CallSites) < b.sites {
				t.Fatalf("%d call sites, want at least %d", len(f.CallSites), b.sites)
			}
			n := 0
			for _, p := range f.CallSites {
				if b.link && p.Err != nil {
					t.Errorf("%s:%s: %v", p.Provider, p.Name, p.Err)
				}
				for _, a := range p.Arguments {
					n++
					if a.Err != nil {
						t.Errorf("%s:%s: %v", p.Provider, p.Name, a.Err)
						continue
					}
					_, op, _ := strings.Cut(a.Text, "@")
					want, ok := decode(op)
					if !ok {
						t.Errorf("%s:%s: %q: a shape the test's decoder does not know", p.Provider, p.Name, a.Text)
						continue
					}
					shapes[a.Kind.String()]++
					if a.Operand != want {
						t.Errorf("%s:%s: %q compiled to %+v, want %+v", p.Provider, p.Name, a.Text, a.Operand, want)
					}
				}
			}
			t.Logf("%d call sites, %d arguments", len(f.CallSites), n)
		})
	}
	t.Logf("arguments by kind: %v", shapes)
}
