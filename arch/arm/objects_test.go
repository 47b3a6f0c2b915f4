package arm_test

import (
	"debug/elf"
	"errors"
	"fmt"
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
	a32   bool     // A32 code (-marm): every call site's pc is a multiple of 4
	sites int      // how many call sites the sources have at least
}

var builds = func() []build {
	// Debian's armhf gcc emits Thumb-2 unless told -marm; the 32-bit arm
	// kernel only probes A32 code (see testdata/conformance-cross.mk), so
	// both are built.
	gcc := []string{"arm-linux-gnueabihf-gcc"}
	// Freestanding: clang's own stdint.h and stdbool.h are all the
	// sources need, so no armhf sysroot is required.
	clang := []string{"clang", "--target=armv7a-linux-gnueabihf", "-ffreestanding"}
	exe := []string{"probes.c", "sema.c"}
	obj := []string{"probes.c"}
	return []build{
		{"gcc-arm-O0-pie", gcc, []string{"-marm", "-O0", "-fPIE", "-pie"}, exe, true, true, 16},
		{"gcc-arm-O2-pie", gcc, []string{"-marm", "-O2", "-fPIE", "-pie"}, exe, true, true, 16},
		{"gcc-arm-O3-nopie", gcc, []string{"-marm", "-O3", "-fno-pie", "-no-pie"}, exe, true, true, 16},
		{"gcc-arm-Os-static", gcc, []string{"-marm", "-Os", "-static"}, exe, true, true, 16},
		{"gcc-arm-O2-shared", gcc, []string{"-marm", "-O2", "-fPIC", "-shared"}, []string{"lib.c"}, true, true, 4},
		{"gcc-thumb-O0-pie", gcc, []string{"-mthumb", "-O0", "-fPIE", "-pie"}, exe, true, false, 16},
		{"gcc-thumb-O2-static", gcc, []string{"-mthumb", "-O2", "-static"}, exe, true, false, 16},
		{"clang-arm-O0", clang, []string{"-marm", "-O0", "-c"}, obj, false, false, 16},
		{"clang-arm-O2", clang, []string{"-marm", "-O2", "-c"}, obj, false, false, 16},
		{"clang-thumb-O2", clang, []string{"-mthumb", "-O2", "-c"}, obj, false, false, 16},
	}
}()

// The operand shapes the compilers print, decoded here independently of
// the grammar: registers r0-r12 and the named sb, sl, fp, ip, sp, lr;
// "#N" immediates; "[R]", "[R, #N]" and "[R, R]", "[R, R, lsl #N]"
// memory; and a symbol's address as a constant: clang's bare "counter"
// for &counter, gcc's "#.LANCHOR0+40" in non-PIE code.
const regPat = `r[0-9]|r1[0-2]|sb|sl|fp|ip|sp|lr`

var (
	regRE   = regexp.MustCompile(`^(` + regPat + `)$`)
	immRE   = regexp.MustCompile(`^#(-?[0-9]+)$`)
	memRE   = regexp.MustCompile(`^\[(` + regPat + `)(?:, #(-?[0-9]+))?\]$`)
	sibRE   = regexp.MustCompile(`^\[(` + regPat + `), (` + regPat + `)(?:, lsl #([0-3]))?\]$`)
	symRE   = regexp.MustCompile(`^#?([A-Za-z_.][A-Za-z0-9_.]*)(?:\+([0-9]+))?$`)
	namedGP = map[string]uint16{"sb": 36, "sl": 40, "fp": 44, "ip": 48, "sp": 52, "lr": 56}
)

// reg is the register at its pt_regs slot: uregs[N] at 4*N.
func reg(name string) arch.Register {
	if off, ok := namedGP[name]; ok {
		return arch.Register{Name: name, Offset: off}
	}
	n, _ := strconv.Atoi(name[1:])
	return arch.Register{Name: name, Offset: uint16(4 * n)}
}

// shape is what an operand must compile to.
type shape int

const (
	unknown  shape = iota
	operand        // want
	symbolic       // an address constant: an error, or a Const naming the symbol
)

// decode returns what the operand op must compile to.
func decode(op string) (arch.Operand, shape) {
	if m := regRE.FindStringSubmatch(op); m != nil {
		return arch.Operand{Kind: arch.Reg, Base: reg(m[1])}, operand
	}
	if m := immRE.FindStringSubmatch(op); m != nil {
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return arch.Operand{}, unknown
		}
		return arch.Operand{Kind: arch.Const, Value: uint64(v)}, operand
	}
	if m := memRE.FindStringSubmatch(op); m != nil {
		var off int64
		if m[2] != "" {
			var err error
			if off, err = strconv.ParseInt(m[2], 10, 64); err != nil {
				return arch.Operand{}, unknown
			}
		}
		return arch.Operand{Kind: arch.Deref, Base: reg(m[1]), Offset: off}, operand
	}
	if m := sibRE.FindStringSubmatch(op); m != nil {
		scale := uint8(1)
		if m[3] != "" {
			scale = 1 << (m[3][0] - '0')
		}
		return arch.Operand{Kind: arch.SIB, Base: reg(m[1]), Index: reg(m[2]), Scale: scale}, operand
	}
	if m := symRE.FindStringSubmatch(op); m != nil && !regRE.MatchString(m[1]) {
		var off uint64
		if m[2] != "" {
			var err error
			if off, err = strconv.ParseUint(m[2], 10, 64); err != nil {
				return arch.Operand{}, unknown
			}
		}
		return arch.Operand{Kind: arch.Const, Symbol: m[1], Value: off}, symbolic
	}
	return arch.Operand{}, unknown
}

// TestCompilerOutput builds the probe test sources with Debian's armhf
// cross gcc, as A32 and as Thumb-2 code (executables, PIE and not,
// static, a shared library), and with clang (objects), reads them through
// the compiler (which must pick arm by e_machine and class), and requires
// every argument to compile to what an independent decoding of its text
// says: a value of 8 bytes in one register rN is the pair rN:rN+1, and a
// symbol's address must not compile to anything but a constant naming it
// (with the symbol's address added) or an error.
func TestCompilerOutput(t *testing.T) {
	inc := archtest.SDTHeaders(t)
	src := filepath.Join("..", "..", "testdata", "src")
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			if _, err := exec.LookPath(b.cc[0]); err != nil {
				t.Skipf("%s not found (Debian: gcc-arm-linux-gnueabihf, clang): %v", b.cc[0], err)
			}
			out := filepath.Join(t.TempDir(), "probes")
			args := append(append([]string{}, b.cc[1:]...), b.flags...)
			args = append(args, "-w", "-g0", "-I"+inc, "-o", out)
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
			if f.Arch == nil || f.Arch.Name != "arm" || f.Machine != elf.EM_ARM {
				t.Fatalf("read as %v %v, want arm EM_ARM", f.Arch, f.Machine)
			}
			for _, ne := range f.NoteErrors {
				t.Error(ne)
			}
			if len(f.CallSites) < b.sites {
				t.Fatalf("%d call sites, want at least %d", len(f.CallSites), b.sites)
			}
			n, partial, unaligned := 0, 0, 0
			for _, p := range f.CallSites {
				if p.PC%4 != 0 {
					unaligned++
					if b.a32 {
						t.Errorf("%s:%s: pc %#x of A32 code is not a multiple of 4", p.Provider, p.Name, p.PC)
					}
				}
				switch {
				case b.link && b.a32 && p.Err != nil:
					t.Errorf("%s:%s: %v", p.Provider, p.Name, p.Err)
				case b.link && !b.a32 && !errors.Is(p.Err, arch.ErrSiteUnprobeable):
					// The kernel cannot probe Thumb code: the compiler
					// must say so, from the mapping symbols.
					t.Errorf("%s:%s at %#x in Thumb code: %v, want %v", p.Provider, p.Name, p.PC, p.Err, arch.ErrSiteUnprobeable)
				}
				for _, a := range p.Arguments {
					n++
					_, op, _ := strings.Cut(a.Text, "@")
					want, sh := decode(op)
					switch {
					case sh == unknown:
						t.Errorf("%s:%s: %q: a shape the test's decoder does not know", p.Provider, p.Name, a.Text)
					case sh == symbolic:
						if a.Err == nil && (a.Kind != arch.Const || a.Symbol != want.Symbol || a.Value != want.Value+a.SymbolAddress) {
							t.Errorf("%s:%s: %q (an address constant) compiled to %+v", p.Provider, p.Name, a.Text, a.Operand)
						}
					case want.Kind == arch.Reg && a.Size > 4:
						// A register pair: rN and rN+1, up to r11:r12.
						partial++
						wantPair := want
						wantPair.Kind, wantPair.Scale = arch.Pair, 1
						wantPair.Index = arch.Register{Name: fmt.Sprintf("r%d", want.Base.Offset/4+1), Offset: want.Base.Offset + 4}
						switch {
						case want.Base.Offset >= 48:
							if !errors.Is(a.Err, arch.ErrPartialRegister) {
								t.Errorf("%s:%s: %q: got %v, want %v", p.Provider, p.Name, a.Text, a.Err, arch.ErrPartialRegister)
							}
						case a.Err != nil || a.Operand != wantPair:
							t.Errorf("%s:%s: %q compiled to %+v (%v), want the pair %+v", p.Provider, p.Name, a.Text, a.Operand, a.Err, wantPair)
						}
					case a.Err != nil:
						t.Errorf("%s:%s: %v", p.Provider, p.Name, a.Err)
					case a.Operand != want:
						t.Errorf("%s:%s: %q compiled to %+v, want %+v", p.Provider, p.Name, a.Text, a.Operand, want)
					}
				}
			}
			t.Logf("%d call sites (%d with a pc not a multiple of 4), %d arguments (%d 8-byte values in one register)",
				len(f.CallSites), unaligned, n, partial)
		})
	}
}
