package mips64_test

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
	gcc := []string{"mips64el-linux-gnuabi64-gcc"}
	// Freestanding: clang's own stdint.h and stdbool.h are all the
	// sources need, so no mips sysroot is required.
	clangLE := []string{"clang", "--target=mips64el-linux-gnuabi64", "-ffreestanding"}
	clangBE := []string{"clang", "--target=mips64-linux-gnuabi64", "-ffreestanding"}
	exe := []string{"probes.c", "sema.c"}
	le, be := binary.LittleEndian, binary.BigEndian
	return []build{
		{"gcc-O0-pie", gcc, []string{"-O0", "-fPIE", "-pie"}, exe, true, le, 16},
		{"gcc-O2-pie", gcc, []string{"-O2", "-fPIE", "-pie"}, exe, true, le, 16},
		{"gcc-O3-nopie", gcc, []string{"-O3", "-fno-pie", "-no-pie"}, exe, true, le, 16},
		{"gcc-Os-pie", gcc, []string{"-Os", "-fPIE", "-pie"}, exe, true, le, 16},
		{"gcc-O2-static", gcc, []string{"-O2", "-static"}, exe, true, le, 16},
		{"gcc-O2-shared", gcc, []string{"-O2", "-fPIC", "-shared"}, []string{"lib.c"}, true, le, 4},
		{"clang-O0-le", clangLE, []string{"-O0", "-c"}, []string{"probes.c"}, false, le, 16},
		{"clang-O2-le", clangLE, []string{"-O2", "-c"}, []string{"probes.c"}, false, le, 16},
		{"clang-O0-be", clangBE, []string{"-O0", "-c"}, []string{"probes.c"}, false, be, 16},
		{"clang-O2-be", clangBE, []string{"-O2", "-c"}, []string{"probes.c"}, false, be, 16},
	}
}()

// The operand shapes the compilers print, decoded here independently of
// the grammar: $N and $sp/$fp registers, D($reg) memory, decimal
// immediates.
var (
	regRE   = regexp.MustCompile(`^\$([0-9]+|sp|fp)$`)
	memRE   = regexp.MustCompile(`^(-?[0-9]+)\(\$([0-9]+|sp|fp)\)$`)
	immRE   = regexp.MustCompile(`^-?[0-9]+$`)
	namedGP = map[string]uint16{"sp": 29 * 8, "fp": 30 * 8}
)

// slot is the pt_regs offset of a register as the decoder reads it:
// regs[N] at 8*N.
func slot(name string) uint16 {
	if off, ok := namedGP[name]; ok {
		return off
	}
	n, _ := strconv.Atoi(name)
	return uint16(8 * n)
}

// decode returns what the operand op must compile to, or false for a
// shape the decoder does not know.
func decode(op string) (arch.Operand, bool) {
	if m := regRE.FindStringSubmatch(op); m != nil {
		if m[1] == "0" {
			return arch.Operand{Kind: arch.Const}, true
		}
		return arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: m[1], Offset: slot(m[1])}}, true
	}
	if m := memRE.FindStringSubmatch(op); m != nil {
		off, err := strconv.ParseInt(m[1], 10, 64)
		return arch.Operand{Kind: arch.Deref, Base: arch.Register{Name: m[2], Offset: slot(m[2])}, Offset: off}, err == nil
	}
	if immRE.MatchString(op) {
		if v, err := strconv.ParseInt(op, 10, 64); err == nil {
			return arch.Operand{Kind: arch.Const, Value: uint64(v)}, true
		}
		v, err := strconv.ParseUint(op, 10, 64)
		return arch.Operand{Kind: arch.Const, Value: v}, err == nil
	}
	return arch.Operand{}, false
}

// TestCompilerOutput builds the probe test sources with the Debian cross
// gcc for mips64el (executables, PIE and not, static, a shared library)
// and with clang for both byte orders, reads them through the compiler
// (which must pick mips64 by e_machine and class), and requires every
// argument to compile to what an independent decoding of its text says.
func TestCompilerOutput(t *testing.T) {
	inc := archtest.SDTHeaders(t)
	src := filepath.Join("..", "..", "testdata", "src")
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			if _, err := exec.LookPath(b.cc[0]); err != nil {
				t.Skipf("%s not found: %v", b.cc[0], err)
			}
			out := filepath.Join(t.TempDir(), "probes")
			args := append(append([]string{}, b.cc[1:]...), b.flags...)
			args = append(args, "-g0", "-I"+inc, "-o", out)
			for _, s := range b.srcs {
				args = append(args, filepath.Join(src, s))
			}
			if msg, err := exec.Command(b.cc[0], args...).CombinedOutput(); err != nil {
				t.Fatalf("%s %s: %v\n%s", b.cc[0], strings.Join(args, " "), err, msg)
			}
			f, err := compiler.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			if f.Arch == nil || f.Arch.Name != "mips64" || f.Machine != elf.EM_MIPS || f.ByteOrder != b.order {
				t.Fatalf("read as %v %v %v, want mips64 EM_MIPS %v", f.Arch, f.Machine, f.ByteOrder, b.order)
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
					if a.Operand != want {
						t.Errorf("%s:%s: %q compiled to %+v, want %+v", p.Provider, p.Name, a.Text, a.Operand, want)
					}
				}
			}
			t.Logf("%d call sites, %d arguments", len(f.CallSites), n)
		})
	}
}
