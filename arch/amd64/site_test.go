package amd64

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/usdtspec/usdtspec/arch"
)

// TestDecodeSite: the code at call sites as sys/sdt.h (a one-byte nop),
// libbpf 1.7's usdt.h (nop; nop5) and later usdt.h (nop; nop10) emit it,
// with whatever follows the site, and code that is not a probe site.
func TestDecodeSite(t *testing.T) {
	nop5 := []byte{0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00}
	nop10 := []byte{0x90, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}
	cat := func(b ...[]byte) []byte {
		var out []byte
		for _, x := range b {
			out = append(out, x...)
		}
		return out
	}
	ret := []byte{0xc3}
	tests := []struct {
		name string
		mode int
		code []byte
		want arch.Code
	}{
		{"sdt.h nop, then ret", 64, cat([]byte{0x90}, ret), arch.Code{Insn: "nop", Bytes: []byte{0x90}}},
		{"nop+nop5", 64, cat(nop5, ret), arch.Code{Insn: "nop", Bytes: nop5, Combo: "nop+nop5", Shift: 1}},
		{"nop+nop10", 64, cat(nop10, ret, ret, ret, ret, ret), arch.Code{Insn: "nop", Bytes: nop10, Combo: "nop+nop10", Shift: 1}},
		// Exactly the combo, at the end of the segment.
		{"nop+nop10 alone", 64, nop10, arch.Code{Insn: "nop", Bytes: nop10, Combo: "nop+nop10", Shift: 1}},
		// A plain sdt.h nop followed by another probe's nop5 is not a
		// combo: the long nop must start right after this site's nop.
		{"nop, nop, nop5", 64, cat([]byte{0x90}, nop5), arch.Code{Insn: "nop", Bytes: []byte{0x90}}},
		// Other 5-byte nops are not libbpf's nop5 (0f 1f 44 00 00).
		{"nop, nopl 0x1(%rax,%rax,1)", 64, []byte{0x90, 0x0f, 0x1f, 0x44, 0x00, 0x01}, arch.Code{Insn: "nop", Bytes: []byte{0x90}}},
		// Cut short: the long nop is not all there.
		{"nop, half a nop5", 64, nop5[:4], arch.Code{Insn: "nop", Bytes: []byte{0x90}}},
		{"nop5 without its nop", 64, nop5[1:], arch.Code{Insn: "nopl (%rax,%rax)", Bytes: nop5[1:]}},
		{"a breakpoint left in the file", 64, []byte{0xcc, 0x90}, arch.Code{Insn: "int3", Bytes: []byte{0xcc}}},
		{"mov", 64, []byte{0x48, 0x89, 0xf8}, arch.Code{Insn: "mov %rdi,%rax", Bytes: []byte{0x48, 0x89, 0xf8}}},
		// The same bytes as 32-bit code: 0x48 is dec %eax there.
		{"i386 dec", 32, []byte{0x48, 0x89, 0xf8}, arch.Code{Insn: "dec %eax", Bytes: []byte{0x48}}},
		{"i386 nop+nop5", 32, cat(nop5, ret), arch.Code{Insn: "nop", Bytes: nop5, Combo: "nop+nop5", Shift: 1}},
		{"i386 nop+nop10", 32, nop10, arch.Code{Insn: "nop", Bytes: nop10, Combo: "nop+nop10", Shift: 1}},
	}
	for _, tt := range tests {
		got := SiteDecoder(tt.mode)(tt.code)
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: % x: (-want +got)\n%s", tt.name, tt.code, diff)
		}
	}
}

func TestDecodeSiteErrors(t *testing.T) {
	tests := []struct {
		name string
		code []byte
	}{
		{"empty", nil},
		{"truncated mov", []byte{0x48, 0x89}},
		{"truncated nopl", []byte{0x0f, 0x1f, 0x44}},
		{"lone prefix", []byte{0xf0}},
		{"truncated ud0", []byte{0x0f, 0xff}},
		{"push %es, not in 64-bit mode", []byte{0x06, 0x90}},
	}
	for _, tt := range tests {
		got := Arch.DecodeSite(tt.code)
		if !errors.Is(got.Err, arch.ErrInstruction) {
			t.Errorf("%s: % x: error %v, want one wrapping arch.ErrInstruction", tt.name, tt.code, got.Err)
		}
		if got.Insn != "" || got.Bytes != nil || got.Combo != "" || got.Shift != 0 {
			t.Errorf("%s: % x: %+v alongside the error", tt.name, tt.code, got)
		}
	}
}

// TestDecodeSiteKeepsNoReference: the compiler reuses its read buffer, so
// a Site must not share it.
func TestDecodeSiteKeepsNoReference(t *testing.T) {
	buf := []byte{0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00}
	s := Arch.DecodeSite(buf)
	buf[0], buf[1] = 0xcc, 0xcc
	if s.Bytes[0] != 0x90 || s.Bytes[1] != 0x0f {
		t.Errorf("Site.Bytes changed with the caller's buffer: % x", s.Bytes)
	}
}

// TestDecodeSiteConcurrent: the site cache is shared by every file read
// at once (go test -race checks it).
func TestDecodeSiteConcurrent(t *testing.T) {
	codes := [][]byte{{0x90}, {0x48, 0x89, 0xf8}, {0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00}, {0xcc}, {0x0f, 0x0b}}
	want := []string{"nop", "mov %rdi,%rax", "nop", "int3", "ud2"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 200 {
				c := codes[i%len(codes)]
				if got := Arch.DecodeSite(c); got.Insn != want[i%len(codes)] {
					t.Errorf("% x: %q, want %q", c, got.Insn, want[i%len(codes)])
				}
			}
		})
	}
	wg.Wait()
}
