package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

// siteFile is a synthetic ELF file (text at 0x401000..0x402000, file
// offset textOff) with code bytes written at some addresses and one call
// site at each pc.
func siteFile(class elf.Class, m elf.Machine, code map[uint64][]byte, pcs ...uint64) []byte {
	var notes []byte
	for i, pc := range pcs {
		notes = elfbuild.AppendNote(notes, class, binary.LittleEndian, elfbuild.Note{PC: pc, Provider: "p", Name: fmt.Sprint(i)})
	}
	fb := elfbuild.File{Class: class, Order: binary.LittleEndian, Machine: m, Type: elf.ET_EXEC,
		TextAddr: 0x401000, TextSize: 0x1000, DataAddr: 0x404000, DataSize: 0x100, Notes: notes}
	b := fb.Bytes()
	textOff := uint64(0xb0)
	if class == elf.ELFCLASS32 {
		textOff = 0x80
	}
	for pc, c := range code {
		copy(b[textOff+pc-0x401000:], c)
	}
	return b
}

var (
	nop5Combo  = []byte{0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00}
	nop10Combo = []byte{0x90, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}
)

func sitesOf(f *File) []arch.Code {
	var out []arch.Code
	for _, p := range f.CallSites {
		out = append(out, *p.Code)
	}
	return out
}

// TestSites: the compiler hands the bytes at each call site to the
// architecture's decoder, in any order of the notes, up to the end of the
// segment.
func TestSites(t *testing.T) {
	code := map[uint64][]byte{
		0x401010: {0x90, 0xc3},
		0x401f00: nop5Combo,
		0x401020: nop10Combo,
		0x401ffe: {0x90, 0x90}, // the last bytes of the segment
		0x401030: {0x48, 0x89, 0xf8},
	}
	// 0x401f00 first: the window moves forward, then back.
	f, err := Read(bytes.NewReader(siteFile(elf.ELFCLASS64, elf.EM_X86_64, code, 0x401f00, 0x401010, 0x401020, 0x401fff, 0x401030)))
	if err != nil {
		t.Fatal(err)
	}
	want := []arch.Code{
		{Insn: "nop", Bytes: nop5Combo, Combo: "nop+nop5", Shift: 1},
		{Insn: "nop", Bytes: []byte{0x90}},
		{Insn: "nop", Bytes: nop10Combo, Combo: "nop+nop10", Shift: 1},
		{Insn: "nop", Bytes: []byte{0x90}},
		{Insn: "mov %rdi,%rax", Bytes: []byte{0x48, 0x89, 0xf8}},
	}
	if diff := cmp.Diff(want, sitesOf(f)); diff != "" {
		t.Errorf("sites (-want +got):\n%s", diff)
	}

	// i386 code decodes as 32-bit: 0x48 is dec %eax.
	f, err = Read(bytes.NewReader(siteFile(elf.ELFCLASS32, elf.EM_386, code, 0x401030, 0x401020)))
	if err != nil {
		t.Fatal(err)
	}
	want = []arch.Code{{Insn: "dec %eax", Bytes: []byte{0x48}}, {Insn: "nop", Bytes: nop10Combo, Combo: "nop+nop10", Shift: 1}}
	if diff := cmp.Diff(want, sitesOf(f)); diff != "" {
		t.Errorf("i386 sites (-want +got):\n%s", diff)
	}

	// No decoder for arm64: no site. A pc outside the text: no site, and
	// the probe's Err says why.
	f, err = Read(bytes.NewReader(siteFile(elf.ELFCLASS64, elf.EM_AARCH64, code, 0x401010)))
	if err != nil {
		t.Fatal(err)
	}
	f2, err := Read(bytes.NewReader(siteFile(elf.ELFCLASS64, elf.EM_X86_64, code, 0x900000)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]arch.Code{{}, {}}, append(sitesOf(f), sitesOf(f2)...), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sites without a decoder or segment (-want +got):\n%s", diff)
	}
	if !errors.Is(f2.CallSites[0].Err, ErrNoSegment) {
		t.Errorf("pc outside the text: Err %v, want ErrNoSegment", f2.CallSites[0].Err)
	}
}

// failingReader fails every read that touches [from, to).
type failingReader struct {
	r        *bytes.Reader
	from, to int64
}

var errDisk = errors.New("disk on fire")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		n := 0
		if off < f.from {
			n, _ = f.r.ReadAt(p[:f.from-off], off)
		}
		return n, errDisk
	}
	return f.r.ReadAt(p, off)
}

// TestSiteErrors: bytes that are not in the file, that cannot be read, or
// that do not decode fail their own call site only.
func TestSiteErrors(t *testing.T) {
	code := map[uint64][]byte{0x401010: {0x90}, 0x401900: {0x90}, 0x401020: {0x0f, 0x0b}, 0x401030: {0x06}} // push %es: not in 64-bit mode

	// The segment has 0x800 bytes in the file, 0x1000 in memory.
	b := siteFile(elf.ELFCLASS64, elf.EM_X86_64, code, 0x401010, 0x401900)
	binary.LittleEndian.PutUint64(b[64+32:], 0x800) // p_filesz of the text
	f, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.CallSites[0].Code; got.Insn != "nop" || got.Err != nil {
		t.Errorf("site in the file: %+v", got)
	}
	if got := f.CallSites[1].Code; !errors.Is(got.Err, ErrSiteUnreadable) || got.Insn != "" {
		t.Errorf("site past p_filesz: %+v, want an error wrapping ErrSiteUnreadable", got)
	}

	// A read error (the file under it changed, an I/O error) in the
	// second half of the text; the first half still reads.
	b = siteFile(elf.ELFCLASS64, elf.EM_X86_64, code, 0x401010, 0x401900, 0x401020)
	f, err = Read(failingReader{bytes.NewReader(b), 0xb0 + 0x800, 0xb0 + 0x1000})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.CallSites[1].Code; !errors.Is(got.Err, ErrSiteUnreadable) || got.Insn != "" {
		t.Errorf("unreadable site: %+v, want an error wrapping ErrSiteUnreadable", got)
	}
	if got := f.CallSites[2].Code; got.Insn != "ud2" || got.Err != nil {
		t.Errorf("site after an unreadable one: %+v, want ud2", got)
	}
	for _, p := range f.CallSites {
		if p.Err != nil {
			t.Errorf("%s: probe error %v: a site's bytes do not stop the call site", p.Name, p.Err)
		}
	}

	// Bytes that are no instruction.
	f, err = Read(bytes.NewReader(siteFile(elf.ELFCLASS64, elf.EM_X86_64, code, 0x401030)))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.CallSites[0].Code; !errors.Is(got.Err, arch.ErrInstruction) {
		t.Errorf("push %%es in 64-bit code: %+v, want an error wrapping arch.ErrInstruction", got)
	}
}
