package compiler

// Golden test of Encode against C compilers: the expected bytes of each
// struct __bpf_usdt_spec are whatever gcc and clang lay out for libbpf's
// own struct declarations (copied verbatim from usdt.bpf.h), initialised
// with the same field values that the Go encoder is given. Nothing in the
// expected bytes comes from the Go encoder.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
)

// cSpecCase is one spec: up to 12 arguments and a cookie.
type cSpecCase struct {
	name   string
	args   []arch.Arg
	cookie uint64
}

func (c cSpecCase) hasSIB() bool {
	for _, a := range c.args {
		if a.Kind == arch.SIB {
			return true
		}
	}
	return false
}

func cConst(size int, signed bool, v uint64) arch.Arg {
	return arch.Arg{Size: size, Signed: signed, Operand: arch.Operand{Kind: arch.Const, Value: v}}
}

func cReg(size int, signed bool, reg uint16) arch.Arg {
	return arch.Arg{Size: size, Signed: signed, Operand: arch.Operand{Kind: arch.Reg, Base: arch.Register{Offset: reg}}}
}

func cDeref(size int, signed bool, reg uint16, off int64) arch.Arg {
	return arch.Arg{Size: size, Signed: signed, Operand: arch.Operand{Kind: arch.Deref, Base: arch.Register{Offset: reg}, Offset: off}}
}

func cSIB(size int, signed bool, base, index uint16, scale uint8, off int64) arch.Arg {
	return arch.Arg{Size: size, Signed: signed, Operand: arch.Operand{
		Kind: arch.SIB, Base: arch.Register{Offset: base}, Index: arch.Register{Offset: index},
		Scale: scale, Offset: off,
	}}
}

// cSpecCases covers every kind, size and signedness, negative and extreme
// values, every SIB scale with index offsets up to 4095, and full specs.
func cSpecCases() []cSpecCase {
	cases := []cSpecCase{
		{name: "empty"},
		{name: "empty_cookie", cookie: 0xdeadbeefcafef00d},
		{name: "const_sizes", args: []arch.Arg{
			cConst(1, false, 200), cConst(1, true, uint64(1<<64-56)),
			cConst(2, false, 65535), cConst(2, true, uint64(1<<64-32768)),
			cConst(4, false, math.MaxUint32), cConst(4, true, uint64(1<<64-9)),
			cConst(8, false, math.MaxUint64), cConst(8, true, 1<<63),
			cConst(8, true, math.MaxInt64), cConst(8, false, 0x123456789abcdef0),
			cConst(4, true, 0), cConst(4, true, 1),
		}, cookie: 1},
		{name: "const_negative", args: []arch.Arg{
			cConst(8, true, uint64(1<<64-1)), cConst(8, true, uint64(1<<64-2)),
			cConst(4, true, uint64(1<<64-1<<31)),
		}, cookie: math.MaxUint64},
		{name: "reg_sizes", args: []arch.Arg{
			cReg(1, false, 112), cReg(1, true, 104),
			cReg(2, false, 96), cReg(2, true, 88),
			cReg(4, false, 80), cReg(4, true, 72),
			cReg(8, false, 64), cReg(8, true, 0),
			cReg(8, true, 152), cReg(4, true, 248), cReg(8, false, 4095), cReg(8, false, 0x7fff),
		}, cookie: 0x0102030405060708},
		{name: "reg_off_wraps", args: []arch.Arg{cReg(8, false, 0xffff), cReg(4, true, 0x8000)}},
		{name: "deref", args: []arch.Arg{
			cDeref(4, true, 112, 0), cDeref(8, true, 112, 8), cDeref(1, false, 112, 16),
			cDeref(2, true, 112, 18), cDeref(8, false, 32, -24), cDeref(4, true, 32, -4),
			cDeref(8, true, 152, -4096), cDeref(2, false, 152, 4096),
			cDeref(4, true, 248, math.MinInt32), cDeref(8, true, 248, math.MaxInt32),
			cDeref(8, false, 8, math.MinInt64), cDeref(1, true, 8, math.MaxInt64),
		}, cookie: 7},
	}
	idx := []uint16{0, 1, 112, 0x800, 4095}
	offs := []int64{0, -40, 16, 7, -1}
	for _, scale := range []uint8{1, 2, 4, 8} {
		c := cSpecCase{name: fmt.Sprintf("sib_scale%d", scale), cookie: uint64(scale) << 56}
		for i, ix := range idx {
			for _, size := range []int{1, 2, 4, 8} {
				if len(c.args) == MaxArgs {
					break
				}
				c.args = append(c.args, cSIB(size, (i+size)%2 == 0, uint16(8*i), ix, scale, offs[(i+size)%len(offs)]))
			}
		}
		cases = append(cases, c)
	}
	cases = append(cases,
		cSpecCase{name: "sib_extremes", args: []arch.Arg{
			cSIB(8, true, 0xffff, 4095, 8, math.MinInt64),
			cSIB(8, false, 0, 4095, 1, math.MaxInt64),
			cSIB(1, true, 0x7fff, 0, 8, -1),
			cSIB(2, false, 1, 4094, 2, 0),
		}, cookie: 0xfedcba9876543210},
		cSpecCase{name: "twelve_mixed", args: []arch.Arg{
			cReg(4, true, 112), cReg(8, true, 104), cReg(2, true, 96), cReg(1, false, 88),
			cReg(8, false, 72), cReg(4, false, 64),
			cDeref(8, true, 152, 8), cDeref(4, true, 152, 16), cDeref(1, true, 152, 24),
			cConst(8, false, math.MaxUint64), cConst(2, true, uint64(1<<64-32768)), cConst(8, true, 1<<63),
		}, cookie: math.MaxUint64},
		cSpecCase{name: "twelve_sib", args: []arch.Arg{
			cSIB(2, true, 112, 72, 2, 0), cSIB(4, true, 104, 72, 4, 16), cSIB(8, true, 96, 72, 8, 0),
			cSIB(1, false, 88, 72, 1, 0), cSIB(1, false, 88, 72, 1, 7), cSIB(4, true, 152, 96, 4, -40),
			cReg(8, false, 80), cDeref(8, true, 112, -24), cConst(4, true, uint64(1<<64-9)),
			cSIB(8, false, 4095, 4095, 8, -4096), cReg(1, true, 4095), cConst(1, false, 0xff),
		}, cookie: 12},
	)
	return cases
}

// Field values as libbpf's parse_usdt_arg / parse_usdt_spec set them,
// written as C expressions.

func cArgType(k arch.Kind) string {
	switch k {
	case arch.Const:
		return "BPF_USDT_ARG_CONST"
	case arch.Reg:
		return "BPF_USDT_ARG_REG"
	case arch.Deref:
		return "BPF_USDT_ARG_REG_DEREF"
	case arch.SIB:
		return "BPF_USDT_ARG_SIB"
	}
	panic(fmt.Sprintf("kind %v", k))
}

// cValOff is val_off: the constant (as the u64 libbpf stores), or the
// signed displacement (libbpf stores a long).
func cValOff(a arch.Arg) string {
	if a.Kind == arch.Const {
		return fmt.Sprintf("0x%xULL", a.Value)
	}
	if a.Offset == math.MinInt64 {
		return "(__u64)(-9223372036854775807LL - 1)"
	}
	return fmt.Sprintf("(__u64)(%dLL)", a.Offset)
}

func cScaleBitshift(scale uint8) int {
	switch scale {
	case 1:
		return 0
	case 2:
		return 1
	case 4:
		return 2
	case 8:
		return 3
	}
	panic(fmt.Sprintf("scale %d", scale))
}

const cTypesPrologue = `#include <stdbool.h>
#include <stddef.h>

typedef unsigned long long __u64;
typedef unsigned int __u32;
typedef unsigned short __u16;
typedef unsigned char __u8;
`

// Verbatim from libbpf v1.7 src/usdt.bpf.h.
const cStructV17 = `enum __bpf_usdt_arg_type {
	BPF_USDT_ARG_CONST,
	BPF_USDT_ARG_REG,
	BPF_USDT_ARG_REG_DEREF,
	BPF_USDT_ARG_SIB,
};

struct __bpf_usdt_arg_spec {
	__u64 val_off;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	enum __bpf_usdt_arg_type arg_type: 8;
	__u16 idx_reg_off: 12;
	__u16 scale_bitshift: 4;
	__u8 __reserved: 8;
#else
	__u8 __reserved: 8;
	__u16 idx_reg_off: 12;
	__u16 scale_bitshift: 4;
	enum __bpf_usdt_arg_type arg_type: 8;
#endif
	short reg_off;
	bool arg_signed;
	char arg_bitshift;
};

#define BPF_USDT_MAX_ARG_CNT 12
struct __bpf_usdt_spec {
	struct __bpf_usdt_arg_spec args[BPF_USDT_MAX_ARG_CNT];
	__u64 usdt_cookie;
	short arg_cnt;
};

_Static_assert(sizeof(struct __bpf_usdt_arg_spec) == 24, "v1.7 arg spec is 24 bytes");
_Static_assert(sizeof(struct __bpf_usdt_spec) == 304, "v1.7 spec is 304 bytes");
_Static_assert(offsetof(struct __bpf_usdt_arg_spec, reg_off) == 14, "v1.7 reg_off @14");
_Static_assert(offsetof(struct __bpf_usdt_arg_spec, arg_signed) == 16, "v1.7 arg_signed @16");
_Static_assert(offsetof(struct __bpf_usdt_arg_spec, arg_bitshift) == 17, "v1.7 arg_bitshift @17");
_Static_assert(offsetof(struct __bpf_usdt_spec, usdt_cookie) == 288, "v1.7 cookie @288");
_Static_assert(offsetof(struct __bpf_usdt_spec, arg_cnt) == 296, "v1.7 arg_cnt @296");
`

// Verbatim from libbpf v1.6 src/usdt.bpf.h (v0.8 to v1.6).
const cStructV16 = `enum __bpf_usdt_arg_type {
	BPF_USDT_ARG_CONST,
	BPF_USDT_ARG_REG,
	BPF_USDT_ARG_REG_DEREF,
};

struct __bpf_usdt_arg_spec {
	/* u64 scalar interpreted depending on arg_type, see below */
	__u64 val_off;
	/* arg location case, see bpf_udst_arg() for details */
	enum __bpf_usdt_arg_type arg_type;
	/* offset of referenced register within struct pt_regs */
	short reg_off;
	/* whether arg should be interpreted as signed value */
	bool arg_signed;
	/* number of bits that need to be cleared and, optionally,
	 * sign-extended to cast arguments that are 1, 2, or 4 bytes
	 * long into final 8-byte u64/s64 value returned to user
	 */
	char arg_bitshift;
};

#define BPF_USDT_MAX_ARG_CNT 12
struct __bpf_usdt_spec {
	struct __bpf_usdt_arg_spec args[BPF_USDT_MAX_ARG_CNT];
	__u64 usdt_cookie;
	short arg_cnt;
};

_Static_assert(sizeof(struct __bpf_usdt_arg_spec) == 16, "v1.6 arg spec is 16 bytes");
_Static_assert(sizeof(struct __bpf_usdt_spec) == 208, "v1.6 spec is 208 bytes");
_Static_assert(offsetof(struct __bpf_usdt_arg_spec, reg_off) == 12, "v1.6 reg_off @12");
_Static_assert(offsetof(struct __bpf_usdt_spec, usdt_cookie) == 192, "v1.6 cookie @192");
_Static_assert(offsetof(struct __bpf_usdt_spec, arg_cnt) == 200, "v1.6 arg_cnt @200");
`

func cSymbol(l Layout, i int) string {
	return fmt.Sprintf("spec_%s_%d", strings.ReplaceAll(strings.TrimPrefix(l.Name, "v"), ".", ""), i)
}

// cSource is a translation unit with one initialised spec per case that
// the layout can hold.
func cSource(l Layout, cases []cSpecCase) string {
	var b strings.Builder
	b.WriteString(cTypesPrologue)
	b.WriteString("\n")
	if l.HasSIB {
		b.WriteString(cStructV17)
	} else {
		b.WriteString(cStructV16)
	}
	for i, c := range cases {
		if c.hasSIB() && !l.HasSIB {
			continue
		}
		fmt.Fprintf(&b, "\n/* %s */\nconst struct __bpf_usdt_spec %s = {\n\t.args = {\n", c.name, cSymbol(l, i))
		for j, a := range c.args {
			fmt.Fprintf(&b, "\t\t[%d] = {\n\t\t\t.val_off = %s,\n\t\t\t.arg_type = %s,\n", j, cValOff(a), cArgType(a.Kind))
			if a.Kind == arch.SIB {
				fmt.Fprintf(&b, "\t\t\t.idx_reg_off = %d,\n\t\t\t.scale_bitshift = %d,\n", a.Index.Offset, cScaleBitshift(a.Scale))
			}
			fmt.Fprintf(&b, "\t\t\t.reg_off = (short)%d,\n\t\t\t.arg_signed = %t,\n\t\t\t.arg_bitshift = %d,\n\t\t},\n",
				a.Base.Offset, a.Signed, 64-8*a.Size)
		}
		fmt.Fprintf(&b, "\t},\n\t.usdt_cookie = 0x%xULL,\n\t.arg_cnt = %d,\n};\n", c.cookie, len(c.args))
	}
	return b.String()
}

// cCompiler is a C compiler for one target.
type cCompiler struct {
	name string
	argv []string
	// order is the byte order the target must have, nil for "the host's"
	// (clang -target bpf); the object's ELF header is what is used.
	order binary.ByteOrder
}

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

var cCompilers = []cCompiler{
	{"gcc-x86_64", []string{"gcc"}, le},
	{"gcc-aarch64", []string{"aarch64-linux-gnu-gcc"}, le},
	{"gcc-s390x", []string{"s390x-linux-gnu-gcc"}, be},
	{"gcc-powerpc64le", []string{"powerpc64le-linux-gnu-gcc"}, le},
	{"gcc-powerpc64", []string{"powerpc64-linux-gnu-gcc"}, be},
	{"gcc-riscv64", []string{"riscv64-linux-gnu-gcc"}, le},
	{"clang-bpf", []string{"clang", "-target", "bpf"}, nil},
	{"clang-bpfel", []string{"clang", "-target", "bpfel"}, le},
	{"clang-bpfeb", []string{"clang", "-target", "bpfeb"}, be},
	{"clang-x86_64", []string{"clang", "--target=x86_64-linux-gnu"}, le},
	{"clang-aarch64", []string{"clang", "--target=aarch64-linux-gnu"}, le},
	{"clang-s390x", []string{"clang", "--target=s390x-linux-gnu"}, be},
	{"clang-powerpc64", []string{"clang", "--target=powerpc64-linux-gnu"}, be},
}

// compileSpecs compiles src with cc and returns the object file path.
// It skips the test when the compiler or its target is not installed.
func compileSpecs(t *testing.T, cc cCompiler, dir, name, src string) string {
	t.Helper()
	cfile := filepath.Join(dir, name+".c")
	obj := filepath.Join(dir, name+".o")
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(cc.argv[1:len(cc.argv):len(cc.argv)], "-std=gnu11", "-O2", "-g0", "-Wall", "-c", "-o", obj, cfile)
	out, err := exec.Command(cc.argv[0], args...).CombinedOutput()
	if err != nil {
		s := string(out)
		if strings.Contains(s, "No available targets") || strings.Contains(s, "unknown target triple") {
			t.Skipf("%s: target not supported by this build: %s", cc.name, strings.TrimSpace(s))
		}
		t.Fatalf("%s %s: %v\n%s\nsource %s:\n%s", cc.argv[0], strings.Join(args, " "), err, out, cfile, numberLines(src))
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Logf("%s warnings:\n%s", cc.name, out)
	}
	return obj
}

func numberLines(s string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}

// objectSymbols reads the bytes of every defined, sized data symbol of a
// relocatable object (st_value is the offset in its section).
func objectSymbols(t *testing.T, path string) (map[string][]byte, binary.ByteOrder) {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Type != elf.ET_REL {
		t.Fatalf("%s: type %v, want ET_REL", path, ef.Type)
	}
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := make(map[string][]byte)
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_OBJECT || s.Section == elf.SHN_UNDEF || s.Section >= elf.SHN_LORESERVE {
			continue
		}
		sec := ef.Sections[s.Section]
		if sec.Type != elf.SHT_PROGBITS {
			t.Fatalf("%s: %s is in %s (%v), want initialised data", path, s.Name, sec.Name, sec.Type)
		}
		data, err := sec.Data()
		if err != nil {
			t.Fatalf("%s: section %s: %v", path, sec.Name, err)
		}
		if s.Value+s.Size > uint64(len(data)) {
			t.Fatalf("%s: %s [%#x, +%d) outside %s (%d bytes)", path, s.Name, s.Value, s.Size, sec.Name, len(data))
		}
		out[s.Name] = data[s.Value : s.Value+s.Size]
	}
	return out, ef.ByteOrder
}

// specDiff describes where two encodings of a spec differ, one block
// per differing argument (or the cookie and count), with a caret under
// each differing byte. It returns "" when they are equal.
func specDiff(c, goBytes []byte, l Layout) string {
	if bytes.Equal(c, goBytes) {
		return ""
	}
	if len(c) != len(goBytes) {
		return fmt.Sprintf("length: C %d bytes, Go %d bytes", len(c), len(goBytes))
	}
	var b strings.Builder
	for i := 0; i < len(c); i += l.ArgSize {
		end := min(i+l.ArgSize, len(c))
		if bytes.Equal(c[i:end], goBytes[i:end]) {
			continue
		}
		label := fmt.Sprintf("args[%d]", i/l.ArgSize)
		if i >= MaxArgs*l.ArgSize {
			label = "usdt_cookie, arg_cnt"
		}
		var carets strings.Builder
		for j := i; j < end; j++ {
			if c[j] != goBytes[j] {
				carets.WriteString("^^ ")
			} else {
				carets.WriteString("   ")
			}
		}
		fmt.Fprintf(&b, "%s, bytes %d to %d:\n\tC : % x\n\tGo: % x\n\t    %s\n",
			label, i, end-1, c[i:end], goBytes[i:end], strings.TrimRight(carets.String(), " "))
	}
	return b.String()
}

func orderName(o binary.ByteOrder) string {
	if o == nil {
		return "host"
	}
	return o.String()
}

func TestSpecMatchesCLayout(t *testing.T) {
	cases := cSpecCases()
	srcs := map[string]string{}
	for _, l := range Layouts {
		srcs[l.Name] = cSource(l, cases)
	}
	for _, cc := range cCompilers {
		t.Run(cc.name, func(t *testing.T) {
			if _, err := exec.LookPath(cc.argv[0]); err != nil {
				t.Skipf("%s not installed: %v", cc.argv[0], err)
			}
			t.Parallel()
			dir := t.TempDir()
			for _, l := range Layouts {
				obj := compileSpecs(t, cc, dir, "spec_"+strings.ReplaceAll(l.Name, ".", ""), srcs[l.Name])
				syms, order := objectSymbols(t, obj)
				if cc.order != nil && order != cc.order {
					t.Fatalf("%s object is %s, want %s", cc.name, orderName(order), orderName(cc.order))
				}
				checked := 0
				for i, c := range cases {
					if c.hasSIB() && !l.HasSIB {
						continue
					}
					sym := cSymbol(l, i)
					want, ok := syms[sym]
					if !ok {
						t.Errorf("%s, layout %s: symbol %s (case %s) not in the object", cc.name, l.Name, sym, c.name)
						continue
					}
					if len(want) != l.SpecSize() {
						t.Errorf("%s, layout %s: sizeof(struct __bpf_usdt_spec) = %d in C, SpecSize() = %d",
							cc.name, l.Name, len(want), l.SpecSize())
					}
					got, err := Encode(l, order, cArguments(c.args), c.cookie)
					if err != nil {
						t.Errorf("case %s, layout %s: Encode: %v", c.name, l.Name, err)
						continue
					}
					if d := specDiff(want, got, l); d != "" {
						t.Errorf("case %s, layout %s, compiler %s (%s): Encode differs from the C layout:\n%s",
							c.name, l.Name, cc.name, orderName(order), d)
					}
					checked++
				}
				if checked == 0 {
					t.Errorf("%s, layout %s: no case checked", cc.name, l.Name)
				}
			}
		})
	}
}

func cArguments(args []arch.Arg) []Argument {
	out := make([]Argument, len(args))
	for i, a := range args {
		out[i] = Argument{Arg: a}
	}
	return out
}

// TestEncodeLayoutV16RejectsSIB: the cases that the v1.6 translation unit
// leaves out must fail with ErrLayout, naming the SIB argument.
func TestEncodeLayoutV16RejectsSIB(t *testing.T) {
	n := 0
	for _, c := range cSpecCases() {
		if !c.hasSIB() {
			continue
		}
		n++
		first := -1
		for i, a := range c.args {
			if a.Kind == arch.SIB {
				first = i
				break
			}
		}
		for _, order := range []binary.ByteOrder{le, be} {
			b, err := Encode(LayoutV16, order, cArguments(c.args), c.cookie)
			if !errors.Is(err, ErrLayout) {
				t.Errorf("case %s, v1.6 %s: err = %v, want ErrLayout", c.name, order, err)
				continue
			}
			var ae *ArgError
			if !errors.As(err, &ae) || ae.Index != first {
				t.Errorf("case %s, v1.6 %s: err = %v, want *ArgError for argument #%d", c.name, order, err, first)
			}
			if len(b) != 0 {
				t.Errorf("case %s, v1.6 %s: %d bytes returned with the error", c.name, order, len(b))
			}
		}
	}
	if n == 0 {
		t.Fatal("no SIB case")
	}
}
