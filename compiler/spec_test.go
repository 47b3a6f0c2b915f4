package compiler

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
)

// unhex decodes hex written with any blanks and newlines.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zeroHex(n int) string { return strings.Repeat("00", n) }

// goldenArgs are the arguments of the v1.7 vectors:
//
//	-2@16(%rsi,%r8,4)  SIB, base 104, index 72, scale 4, disp 16
//	-4@$-9             CONST
//	8@-24(%rdi)        REG_DEREF, base 112
//	1@-1(%r15,idx,8)   SIB, base 120, index 4095 (every bit), scale 8
func goldenArgsV17() []Argument {
	return []Argument{
		{Arg: arch.Arg{Text: "-2@16(%rsi,%r8,4)", Size: 2, Signed: true, Operand: arch.Operand{
			Kind: arch.SIB, Base: arch.Register{Name: "rsi", Offset: 104}, Index: arch.Register{Name: "r8", Offset: 72},
			Scale: 4, Offset: 16}}},
		{Arg: arch.Arg{Text: "-4@$-9", Size: 4, Signed: true, Operand: arch.Operand{
			Kind: arch.Const, Value: 0xfffffffffffffff7}}},
		{Arg: arch.Arg{Text: "8@-24(%rdi)", Size: 8, Operand: arch.Operand{
			Kind: arch.Deref, Base: arch.Register{Name: "rdi", Offset: 112}, Offset: -24}}},
		{Arg: arch.Arg{Size: 1, Operand: arch.Operand{
			Kind: arch.SIB, Base: arch.Register{Offset: 120}, Index: arch.Register{Offset: 4095},
			Scale: 8, Offset: -1}}},
	}
}

// The vectors below were written by hand from the byte table of the
// survey (section 1.1), not produced by the encoder.
func TestEncodeGolden(t *testing.T) {
	tests := []struct {
		name   string
		layout Layout
		order  binary.ByteOrder
		args   []Argument
		cookie uint64
		want   string
	}{
		{
			name: "v1.7-LE", layout: LayoutV17, order: binary.LittleEndian,
			args: goldenArgsV17(), cookie: 0x0102030405060708,
			// val_off @0 | arg_type @8, hole, u16 @10 = idx | shift<<12,
			// __reserved @12, hole, reg_off @14 | arg_signed @16,
			// arg_bitshift @17, padding.
			want: `
				10 00 00 00 00 00 00 00  03 00 48 20 00 00 68 00  01 30 00 00 00 00 00 00
				f7 ff ff ff ff ff ff ff  00 00 00 00 00 00 00 00  01 20 00 00 00 00 00 00
				e8 ff ff ff ff ff ff ff  02 00 00 00 00 00 70 00  00 00 00 00 00 00 00 00
				ff ff ff ff ff ff ff ff  03 00 ff 3f 00 00 78 00  00 38 00 00 00 00 00 00
				` + zeroHex(8*24) + `
				08 07 06 05 04 03 02 01  04 00 00 00 00 00 00 00`,
		},
		{
			name: "v1.7-BE", layout: LayoutV17, order: binary.BigEndian,
			args: goldenArgsV17(), cookie: 0x0102030405060708,
			// val_off @0 | __reserved @8, hole, u16 @10 = idx<<4 | shift,
			// arg_type @12, hole, reg_off @14 | arg_signed @16,
			// arg_bitshift @17, padding.
			want: `
				00 00 00 00 00 00 00 10  00 00 04 82 03 00 00 68  01 30 00 00 00 00 00 00
				ff ff ff ff ff ff ff f7  00 00 00 00 00 00 00 00  01 20 00 00 00 00 00 00
				ff ff ff ff ff ff ff e8  00 00 00 00 02 00 00 70  00 00 00 00 00 00 00 00
				ff ff ff ff ff ff ff ff  00 00 ff f3 03 00 00 78  00 38 00 00 00 00 00 00
				` + zeroHex(8*24) + `
				01 02 03 04 05 06 07 08  00 04 00 00 00 00 00 00`,
		},
		{
			name: "v1.6-LE", layout: LayoutV16, order: binary.LittleEndian,
			args: []Argument{
				{Arg: arch.Arg{Text: "-4@%edi", Size: 4, Signed: true, Operand: arch.Operand{
					Kind: arch.Reg, Base: arch.Register{Name: "edi", Offset: 112}}}},
				{Arg: arch.Arg{Text: "-8@-24(%rbp)", Size: 8, Signed: true, Operand: arch.Operand{
					Kind: arch.Deref, Base: arch.Register{Name: "rbp", Offset: 32}, Offset: -24}}},
				{Arg: arch.Arg{Text: "1@$-56", Size: 1, Operand: arch.Operand{
					Kind: arch.Const, Value: 0xffffffffffffffc8}}},
			},
			cookie: 42,
			// val_off @0 | enum arg_type @8 (4 bytes), reg_off @12,
			// arg_signed @14, arg_bitshift @15.
			want: `
				00 00 00 00 00 00 00 00  01 00 00 00 70 00 01 20
				e8 ff ff ff ff ff ff ff  02 00 00 00 20 00 01 00
				c8 ff ff ff ff ff ff ff  00 00 00 00 00 00 00 38
				` + zeroHex(9*16) + `
				2a 00 00 00 00 00 00 00  03 00 00 00 00 00 00 00`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			if len(want) != tt.layout.SpecSize() {
				t.Fatalf("golden vector is %d bytes, SpecSize() = %d", len(want), tt.layout.SpecSize())
			}
			got, err := Encode(tt.layout, tt.order, tt.args, tt.cookie)
			if err != nil {
				t.Fatal(err)
			}
			if d := specDiff(want, got, tt.layout); d != "" {
				t.Errorf("Encode differs from the hand-written vector:\n%s", d)
			}
		})
	}
}

func TestLayoutSizes(t *testing.T) {
	for _, tt := range []struct {
		l                           Layout
		argSize, specSize, cookieAt int
	}{
		{LayoutV17, 24, 304, 288},
		{LayoutV16, 16, 208, 192},
	} {
		if tt.l.ArgSize != tt.argSize || tt.l.SpecSize() != tt.specSize || tt.l.cookieOffset() != tt.cookieAt {
			t.Errorf("%s: ArgSize %d, SpecSize %d, cookie @%d; want %d, %d, @%d", tt.l.Name,
				tt.l.ArgSize, tt.l.SpecSize(), tt.l.cookieOffset(), tt.argSize, tt.specSize, tt.cookieAt)
		}
		got, ok := LayoutByName(tt.l.Name)
		if !ok || got != tt.l {
			t.Errorf("LayoutByName(%q) = %+v, %v", tt.l.Name, got, ok)
		}
	}
	if l, ok := LayoutByName("v1.5"); ok {
		t.Errorf("LayoutByName(v1.5) = %+v, true", l)
	}
	if Layouts[0] != LayoutV17 {
		t.Errorf("Layouts[0] = %s, want the newest (v1.7)", Layouts[0].Name)
	}
}

func TestEncodeErrors(t *testing.T) {
	reg := Argument{Arg: arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Reg}}}
	sib := func(index uint16, scale uint8) Argument {
		return Argument{Arg: arch.Arg{Text: "x", Size: 4, Operand: arch.Operand{
			Kind: arch.SIB, Index: arch.Register{Offset: index}, Scale: scale}}}
	}
	bad := errors.New("bad operand")
	tests := []struct {
		name   string
		layout Layout
		args   []Argument
		want   error
		index  int // of the *ArgError, -1 for none
	}{
		{"13 args", LayoutV17, make([]Argument, MaxArgs+1), ErrTooManyArgs, -1},
		{"sib in v1.6", LayoutV16, []Argument{reg, sib(8, 2)}, ErrLayout, 1},
		{"index offset 4096", LayoutV17, []Argument{sib(4096, 1)}, ErrLayout, 0},
		{"scale 3", LayoutV17, []Argument{reg, reg, sib(8, 3)}, ErrLayout, 2},
		{"scale 0", LayoutV17, []Argument{sib(8, 0)}, ErrLayout, 0},
		{"failed argument", LayoutV17, []Argument{reg, {Err: bad}}, ErrArgument, -1},
	}
	for _, tt := range tests {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			prefix := []byte("prefix")
			b, err := AppendSpec(prefix, tt.layout, order, tt.args, 0)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s (%s): err = %v, want %v", tt.name, order, err, tt.want)
				continue
			}
			if !bytes.Equal(b, []byte("prefix")) {
				t.Errorf("%s (%s): buffer %q after the error, want the prefix alone", tt.name, order, b)
			}
			var ae *ArgError
			if tt.index >= 0 && (!errors.As(err, &ae) || ae.Index != tt.index) {
				t.Errorf("%s (%s): err = %v, want *ArgError for argument #%d", tt.name, order, err, tt.index)
			}
			if tt.want == ErrArgument && !errors.Is(err, bad) {
				t.Errorf("%s (%s): err = %v does not wrap the argument's error", tt.name, order, err)
			}
		}
	}
}

func TestEncodeAppendSpec(t *testing.T) {
	for _, l := range Layouts {
		args := goldenArgsV17()
		if !l.HasSIB {
			args = args[1:3] // no SIB
		}
		want, err := Encode(l, binary.BigEndian, args, 99)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendSpec([]byte{0xaa, 0xbb}, l, binary.BigEndian, args, 99)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:2], []byte{0xaa, 0xbb}) || !bytes.Equal(got[2:], want) {
			t.Errorf("%s: AppendSpec = % x, want aa bb + % x", l.Name, got, want)
		}
	}
}

func TestEncodeNoArgs(t *testing.T) {
	for _, l := range Layouts {
		b, err := Encode(l, binary.LittleEndian, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != l.SpecSize() || !bytes.Equal(b, make([]byte, l.SpecSize())) {
			t.Errorf("%s: empty spec = % x, want %d zero bytes", l.Name, b, l.SpecSize())
		}
	}
}

// TestEncodeNativeEndian: any little-endian ByteOrder value gets the
// little-endian bit-field placement, not only binary.LittleEndian.
func TestEncodeNativeEndian(t *testing.T) {
	args := []Argument{{Arg: arch.Arg{Text: "-2@(%rcx,%rdi,2)", Size: 2, Signed: true, Operand: arch.Operand{
		Kind: arch.SIB, Base: arch.Register{Name: "rcx", Offset: 88}, Index: arch.Register{Name: "rdi", Offset: 112}, Scale: 2}}}}
	want, err := Encode(LayoutV17, binary.LittleEndian, args, 0)
	if err != nil {
		t.Fatal(err)
	}
	var le littleEndianWrapper
	got, err := Encode(LayoutV17, le, args, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("a wrapped little-endian order encodes differently:\n got %x\nwant %x", got[:24], want[:24])
	}
}

type littleEndianWrapper struct{ binary.ByteOrder }

func (littleEndianWrapper) PutUint16(b []byte, v uint16) { binary.LittleEndian.PutUint16(b, v) }
func (littleEndianWrapper) PutUint32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
func (littleEndianWrapper) PutUint64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

// TestEncodeUnreadable: an FP-register or wide argument gets arg_type 0xff
// (which decoders reject) and keeps the others; a not-understood one fails
// the spec.
func TestEncodeUnreadable(t *testing.T) {
	reg := Argument{Arg: arch.Arg{Text: "-4@%edi", Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: "edi", Offset: 112}}}}
	fp := Argument{Arg: arch.Arg{Text: "8f@%xmm0", Size: 8, Float: true}, Err: &ArgError{Index: 1, Operand: "8f@%xmm0", Err: arch.ErrFloatRegister}}
	wide := Argument{Arg: arch.Arg{Text: "-16@%rax", Size: 16, Signed: true}, Err: &ArgError{Index: 2, Operand: "-16@%rax", Err: arch.ErrSize}}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b, err := Encode(LayoutV17, order, []Argument{reg, fp, wide}, 0)
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		typeAt := 8
		if order == binary.ByteOrder(binary.BigEndian) {
			typeAt = 12
		}
		for i, want := range []byte{1, 0xff, 0xff} {
			if got := b[i*24+typeAt]; got != want {
				t.Errorf("%v: arg %d arg_type %#x, want %#x", order, i, got, want)
			}
		}
		if b[2*24+16] != 1 || b[2*24+17] != 0 {
			t.Errorf("%v: wide arg signed/bitshift = %d/%d, want 1/0", order, b[2*24+16], b[2*24+17])
		}
	}
	bad := Argument{Arg: arch.Arg{Text: "4@foo"}, Err: &ArgError{Err: arch.ErrSyntax}}
	if _, err := Encode(LayoutV17, binary.LittleEndian, []Argument{reg, bad}, 0); !errors.Is(err, ErrArgument) {
		t.Errorf("syntax error: %v, want ErrArgument", err)
	}
	small := Argument{Arg: arch.Arg{Text: "3@%eax", Size: 3}, Err: &ArgError{Err: arch.ErrSize}}
	if _, err := Encode(LayoutV17, binary.LittleEndian, []Argument{small}, 0); !errors.Is(err, ErrArgument) {
		t.Errorf("3-byte argument: %v, want ErrArgument (not a width limit)", err)
	}
}
