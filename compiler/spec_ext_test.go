package compiler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
)

// extArgs are arguments that need LayoutUsdtspec, with the bytes of their
// little-endian 24-byte arg specs, written by hand: val_off @0, arg_type
// @8, idx_reg_off | scale_bitshift<<12 @10, reg_off @14, arg_signed @16,
// arg_bitshift @17.
var extArgs = []struct {
	name string
	arg  Argument
	want string
}{
	{
		name: "index", // -4@g_arr(,%rax,4), g_arr at 0x404140
		arg: Argument{Arg: arch.Arg{Text: "-4@g_arr(,%rax,4)", Size: 4, Signed: true, Operand: arch.Operand{
			Kind: arch.Index, Index: arch.Register{Name: "rax", Offset: 80}, Scale: 4, Offset: 0x404140}}},
		want: "4041400000000000 80 00 5020 0000 0000 01 20 000000000000",
	},
	{
		name: "tls", // -4@%fs:t_int@tpoff, tpoff -4
		arg: Argument{Arg: arch.Arg{Text: "-4@%fs:t_int@tpoff", Size: 4, Signed: true, Operand: arch.Operand{
			Kind: arch.TLS, Offset: -4}}},
		want: "fcffffffffffffff 81 00 0000 0000 0000 01 20 000000000000",
	},
	{
		name: "tls-deref", // 8@%fs:8(%rdi)
		arg: Argument{Arg: arch.Arg{Text: "8@%fs:8(%rdi)", Size: 8, Operand: arch.Operand{
			Kind: arch.TLS, Base: arch.Register{Name: "rdi", Offset: 112}, Offset: 8}}},
		want: "0800000000000000 82 00 0000 0000 7000 00 00 000000000000",
	},
	{
		name: "tls-sib", // -2@%fs:(%rdi,%rsi,2)
		arg: Argument{Arg: arch.Arg{Text: "-2@%fs:(%rdi,%rsi,2)", Size: 2, Signed: true, Operand: arch.Operand{
			Kind: arch.TLS, Base: arch.Register{Name: "rdi", Offset: 112}, Index: arch.Register{Name: "rsi", Offset: 104}, Scale: 2}}},
		want: "0000000000000000 83 00 6810 0000 7000 01 30 000000000000",
	},
	{
		name: "tls-index", // -4@%fs:t_arr@tpoff(,%rdi,4), tpoff -48
		arg: Argument{Arg: arch.Arg{Text: "-4@%fs:t_arr@tpoff(,%rdi,4)", Size: 4, Signed: true, Operand: arch.Operand{
			Kind: arch.TLS, Index: arch.Register{Name: "rdi", Offset: 112}, Scale: 4, Offset: -48}}},
		want: "d0ffffffffffffff 84 00 7020 0000 0000 01 20 000000000000",
	},
	{
		name: "failing", // an unknown register: its own error, type 0xff
		arg: Argument{Arg: arch.Arg{Text: "-4@%foo", Size: 4, Signed: true},
			Err: &ArgError{Index: 0, Operand: "-4@%foo", Err: fmt.Errorf("%w %q", arch.ErrUnknownRegister, "foo")}},
		want: "0000000000000000 ff 00 0000 0000 0000 01 20 000000000000",
	},
}

// okArg is a plain argument (8@%rdi) that every layout encodes alike.
var okArg = Argument{Arg: arch.Arg{Text: "8@%rdi", Size: 8, Operand: arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: "rdi", Offset: 112}}}}

const okArgHex = "0000000000000000 01 00 0000 0000 7000 00 00 000000000000"

func TestEncodeExtended(t *testing.T) {
	for _, tt := range extArgs {
		t.Run(tt.name, func(t *testing.T) {
			args := []Argument{okArg, tt.arg, okArg}
			got, err := Encode(LayoutUsdtspec, binary.LittleEndian, args, 7)
			if err != nil {
				t.Fatal(err)
			}
			want := unhex(t, okArgHex+tt.want+okArgHex+zeroHex(9*24)+"0700000000000000 0300 000000000000")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			if l := LayoutUsdtspec.For(args); l != LayoutUsdtspec {
				t.Errorf("For = %s, want %s", l.Name, LayoutUsdtspec.Name)
			}
			// Strict, as libbpf: the whole spec fails.
			for _, l := range []Layout{LayoutV17, LayoutV16, LayoutUsdtspec.Strict()} {
				if _, err := Encode(l, binary.LittleEndian, args, 7); !errors.Is(err, ErrArgument) && !errors.Is(err, ErrLayout) {
					t.Errorf("%s: error %v, want ErrArgument or ErrLayout", l.Name, err)
				}
			}
		})
	}
}

// TestEncodeExtendedIsLibbpf: a spec that needs no extension is byte for
// byte libbpf's, in either byte order.
func TestEncodeExtendedIsLibbpf(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		args := goldenArgsV17()
		got, err := Encode(LayoutUsdtspec, order, args, 42)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Encode(LayoutV17, order, args, 42)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: spec (-v1.7 +v1.7+usdtspec):\n%s", order, diff)
		}
		if l := LayoutUsdtspec.For(args); l != LayoutV17 {
			t.Errorf("For = %s, want v1.7", l.Name)
		}
	}
}

func TestLayoutNames(t *testing.T) {
	tests := []struct {
		name   string
		want   Layout
		strict Layout
	}{
		{"v1.7", LayoutV17, LayoutV17},
		{"v1.6", LayoutV16, LayoutV16},
		{"v1.7+usdtspec", LayoutUsdtspec, LayoutV17},
	}
	for _, tt := range tests {
		got, ok := LayoutByName(tt.name)
		if !ok {
			t.Fatalf("LayoutByName(%q) not found", tt.name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("LayoutByName(%q) (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.strict, got.Strict()); diff != "" {
			t.Errorf("%s.Strict() (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestEncodePair: a 32-bit program's 64-bit value in a register pair
// (i386 -8@%eax: eax low, edx high) has a type of its own in
// v1.7+usdtspec; libbpf would read eax alone, so strict layouts keep the
// failing argument such an operand always had, and the spec.
func TestEncodePair(t *testing.T) {
	pair := Argument{Arg: arch.Arg{Text: "-8@%eax", Size: 8, Signed: true, Operand: arch.Operand{
		Kind: arch.Pair, Base: arch.Register{Name: "eax", Offset: 80}, Index: arch.Register{Name: "edx", Offset: 96}, Scale: 1}}}
	args := []Argument{okArg, pair}
	for _, tt := range []struct {
		layout Layout
		arg    string
	}{
		{LayoutUsdtspec, "0000000000000000 85 00 6000 0000 5000 01 00 000000000000"},
		{LayoutV17, "0000000000000000 ff 00 0000 0000 0000 01 00 000000000000"},
	} {
		got, err := Encode(tt.layout, binary.LittleEndian, args, 7)
		if err != nil {
			t.Fatalf("%s: %v", tt.layout.Name, err)
		}
		want := unhex(t, okArgHex+tt.arg+zeroHex(10*24)+"0700000000000000 0200 000000000000")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: spec (-want +got):\n%s", tt.layout.Name, diff)
		}
	}
	if l := LayoutUsdtspec.For(args); l != LayoutUsdtspec {
		t.Errorf("For = %s, want %s", l.Name, LayoutUsdtspec.Name)
	}
}
