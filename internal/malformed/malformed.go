// Package malformed derives malformed ELF files from well-formed ones, for
// the tests that every reader of untrusted files must pass: whatever the
// bytes, an error or a result, in bounded time and memory, never a panic
// or a hang. The variants are deterministic (the same cases every run,
// so a failure reproduces): truncations at every header, section and
// note boundary, size and offset fields set to overflowing values,
// compressed note sections whose header lies about their size, bit
// flips; one of the base files has terminal control characters in its
// note strings.
package malformed

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

// Case is one input.
type Case struct {
	Name string
	Data []byte
}

// Bases are the well-formed files the variants derive from: ELF64
// little-endian amd64 and ELF32 big-endian s390 with a semaphore and
// .stapsdt.base, and an ELF64 whose .note.stapsdt is zlib-compressed
// (SHF_COMPRESSED).
func Bases() []Case {
	base := uint64(0x401800)
	note := func(class elf.Class, order binary.ByteOrder, args string) []byte {
		var b []byte
		b = elfbuild.AppendNote(b, class, order, elfbuild.Note{PC: 0x401010, Base: base, Semaphore: 0x404002, Provider: "prov", Name: "first", Arguments: args})
		b = elfbuild.AppendNote(b, class, order, elfbuild.Note{PC: 0x401020, Base: base, Provider: "prov", Name: "second", Arguments: ""})
		return elfbuild.AppendNote(b, class, order, elfbuild.Note{PC: 0x401030, Base: base, Provider: "p", Name: "third", Arguments: "8@%rax -4@8(%rbp,%rcx,4)"})
	}
	file := func(class elf.Class, order binary.ByteOrder, m elf.Machine, notes []byte) elfbuild.File {
		return elfbuild.File{Class: class, Order: order, Machine: m, Type: elf.ET_DYN,
			TextAddr: 0x401000, TextSize: 0x100, DataAddr: 0x404000, DataSize: 0x10, StapsdtBase: &base, Notes: notes}
	}
	le64 := file(elf.ELFCLASS64, binary.LittleEndian, elf.EM_X86_64, note(elf.ELFCLASS64, binary.LittleEndian, "-4@%edi 8@-8(%rbp) -2@sym(%rip) 4@$5"))
	be32 := file(elf.ELFCLASS32, binary.BigEndian, elf.EM_S390, note(elf.ELFCLASS32, binary.BigEndian, "-4@%r2 4@8(%r15) 1@0(%r3,%r4)"))
	notes := le64.Notes
	// Terminal controls in every string of a note: OSC (sets the window
	// title), erase display, CR, LF, 8-bit CSI (not UTF-8), a
	// right-to-left override, tab, DEL.
	var ctl []byte
	for _, c := range []string{"\x1b]0;owned\a", "\x1b[2J", "\r", "\n", "\x9b31m", "\u202e", "\t", "\x7f"} {
		ctl = elfbuild.AppendNote(ctl, elf.ELFCLASS64, binary.LittleEndian, elfbuild.Note{PC: 0x401010, Base: base,
			Provider: "p" + c, Name: "n" + c + "x", Arguments: "-4@%edi " + c + " 8@%rax" + c})
	}
	ctlFile := file(elf.ELFCLASS64, binary.LittleEndian, elf.EM_X86_64, ctl)
	return []Case{
		{"elf64-le-amd64", le64.Bytes()},
		{"elf32-be-s390", be32.Bytes()},
		{"elf64-compressed-notes", CompressedNotes(le64, uint64(len(notes)), notes)},
		{"elf64-control-chars", ctlFile.Bytes()},
	}
}

// CompressedNotes returns f with its .note.stapsdt replaced by an
// SHF_COMPRESSED section: a compression header claiming claim bytes,
// then the zlib stream of inflated (which need not be claim bytes).
func CompressedNotes(f elfbuild.File, claim uint64, inflated []byte) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(inflated)
	zw.Close()
	o := f.Order.(binary.AppendByteOrder)
	var payload []byte
	if f.Class == elf.ELFCLASS32 {
		payload = o.AppendUint32(payload, uint32(elf.COMPRESS_ZLIB))
		payload = o.AppendUint32(payload, uint32(claim))
		payload = o.AppendUint32(payload, 4)
	} else {
		payload = o.AppendUint32(payload, uint32(elf.COMPRESS_ZLIB))
		payload = o.AppendUint32(payload, 0)
		payload = o.AppendUint64(payload, claim)
		payload = o.AppendUint64(payload, 4)
	}
	f.Notes = append(payload, z.Bytes()...)
	data := f.Bytes()
	l := layoutOf(data)
	for _, s := range l.sections {
		if s.name == ".note.stapsdt" {
			l.put(data, s.hdr+8, l.word, uint64(elf.SHF_COMPRESSED))
		}
	}
	return data
}

// Variants returns the malformed variants of base, a file that
// debug/elf reads.
func Variants(base Case) []Case {
	l := layoutOf(base.Data)
	var out []Case
	add := func(name string, data []byte) {
		out = append(out, Case{base.Name + "/" + name, data})
	}
	mutate := func(name string, f func(b []byte)) {
		b := bytes.Clone(base.Data)
		f(b)
		add(name, b)
	}

	// Truncations: at every boundary, and a byte either side.
	for _, at := range l.boundaries() {
		for _, n := range []int{at - 1, at, at + 1} {
			if n >= 0 && n < len(base.Data) {
				add(fmt.Sprintf("truncated-at-%#x", n), bytes.Clone(base.Data[:n]))
			}
		}
	}

	// Size, count and offset fields set to values that overflow.
	big := []uint64{0, 1, uint64(len(base.Data)), uint64(len(base.Data)) + 1, 0x7fffffff, 0xffffffff, 1 << 40, 1<<63 - 1, 1<<64 - 1}
	for _, f := range l.fields() {
		for _, v := range big {
			mutate(fmt.Sprintf("%s=%#x", f.name, v), func(b []byte) { l.put(b, f.off, f.width, v) })
		}
	}

	// A note section marked compressed without being so, or compressed
	// with a header that claims too much or too little.
	for _, s := range l.sections {
		if s.name == ".note.stapsdt" {
			mutate("notes-marked-compressed", func(b []byte) { l.put(b, s.hdr+8, l.word, uint64(elf.SHF_COMPRESSED)) })
		}
	}

	// Bit flips and overwritten bytes, from a fixed seed.
	rng := rand.New(rand.NewPCG(uint64(len(base.Data)), 0x5eed))
	for i := range 200 {
		bit := rng.IntN(8 * len(base.Data))
		mutate(fmt.Sprintf("flip-%d-bit-%d", i, bit), func(b []byte) { b[bit/8] ^= 1 << (bit % 8) })
	}
	for i := range 60 {
		at, n := rng.IntN(len(base.Data)), 1+rng.IntN(16)
		mutate(fmt.Sprintf("overwrite-%d-at-%#x", i, at), func(b []byte) {
			for j := at; j < min(at+n, len(b)); j++ {
				b[j] = byte(rng.Uint32())
			}
		})
	}

	return out
}

// layout is where a file's headers and sections are.
type layout struct {
	order    binary.ByteOrder
	is64     bool
	word     int // 8 or 4
	size     int
	ehsize   int
	phoff    uint64
	phnum    int
	phent    int
	shoff    uint64
	sections []sectionAt
	notes    []int // offsets in the file of each note header in .note.stapsdt
}

type sectionAt struct {
	name       string
	hdr        uint64 // file offset of its section header
	off, size  uint64
	compressed bool
}

type field struct {
	name  string
	off   uint64
	width int
}

func layoutOf(data []byte) *layout {
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		panic(fmt.Sprintf("malformed: base file does not parse: %v", err))
	}
	l := &layout{order: ef.ByteOrder, is64: ef.Class == elf.ELFCLASS64, size: len(data)}
	l.word, l.ehsize = 4, 52
	if l.is64 {
		l.word, l.ehsize = 8, 64
	}
	l.phoff = l.get(data, l.at(28, 32), l.word)
	l.shoff = l.get(data, l.at(32, 40), l.word)
	l.phent = int(l.get(data, l.at(42, 54), 2))
	l.phnum = int(l.get(data, l.at(44, 56), 2))
	shent := l.get(data, l.at(46, 58), 2)
	for i, s := range ef.Sections {
		sa := sectionAt{name: s.Name, hdr: l.shoff + uint64(i)*shent, off: s.Offset, size: s.FileSize,
			compressed: s.Flags&elf.SHF_COMPRESSED != 0}
		l.sections = append(l.sections, sa)
		if s.Name == ".note.stapsdt" && !sa.compressed {
			for off := uint64(0); off+12 <= s.FileSize; {
				l.notes = append(l.notes, int(s.Offset+off))
				namesz := uint64(l.order.Uint32(data[s.Offset+off:]))
				descsz := uint64(l.order.Uint32(data[s.Offset+off+4:]))
				off += 12 + (namesz+3)&^3 + (descsz+3)&^3
			}
		}
	}
	return l
}

// at picks the ELF32 or the ELF64 offset of a field.
func (l *layout) at(off32, off64 uint64) uint64 {
	if l.is64 {
		return off64
	}
	return off32
}

func (l *layout) get(b []byte, off uint64, width int) uint64 {
	switch width {
	case 2:
		return uint64(l.order.Uint16(b[off:]))
	case 4:
		return uint64(l.order.Uint32(b[off:]))
	}
	return l.order.Uint64(b[off:])
}

// put writes v, cut to width bytes, at off.
func (l *layout) put(b []byte, off uint64, width int, v uint64) {
	switch width {
	case 2:
		l.order.PutUint16(b[off:], uint16(v))
	case 4:
		l.order.PutUint32(b[off:], uint32(v))
	default:
		l.order.PutUint64(b[off:], v)
	}
}

// boundaries are the offsets where a header, a section or a note (its
// header, name and desc) begins or ends.
func (l *layout) boundaries() []int {
	var b []int
	for i := 0; i <= l.ehsize; i += 2 {
		b = append(b, i)
	}
	for i := range l.phnum + 1 {
		b = append(b, int(l.phoff)+i*l.phent)
	}
	for _, s := range l.sections {
		b = append(b, int(s.hdr), int(s.off), int(s.off+s.size))
	}
	b = append(b, int(l.sections[len(l.sections)-1].hdr)+int(l.at(40, 64)))
	for _, n := range l.notes {
		b = append(b, n, n+4, n+8, n+12, n+20, n+20+l.word, n+20+2*l.word, n+20+3*l.word)
	}
	var out []int
	for _, v := range b {
		if v >= 0 && v <= l.size {
			out = append(out, v)
		}
	}
	return out
}

// fields are the size, count, offset and link fields of the headers
// and of the notes.
func (l *layout) fields() []field {
	w := l.word
	fs := []field{
		{"e_phoff", l.at(28, 32), w}, {"e_shoff", l.at(32, 40), w},
		{"e_phentsize", l.at(42, 54), 2}, {"e_phnum", l.at(44, 56), 2},
		{"e_shentsize", l.at(46, 58), 2}, {"e_shnum", l.at(48, 60), 2}, {"e_shstrndx", l.at(50, 62), 2},
	}
	for i := range l.phnum {
		p := l.phoff + uint64(i*l.phent)
		fs = append(fs,
			field{fmt.Sprintf("phdr%d.p_offset", i), p + l.at(4, 8), w},
			field{fmt.Sprintf("phdr%d.p_vaddr", i), p + l.at(8, 16), w},
			field{fmt.Sprintf("phdr%d.p_filesz", i), p + l.at(16, 32), w},
			field{fmt.Sprintf("phdr%d.p_memsz", i), p + l.at(20, 40), w})
	}
	for i, s := range l.sections {
		fs = append(fs,
			field{fmt.Sprintf("shdr%d(%s).sh_name", i, s.name), s.hdr, 4},
			field{fmt.Sprintf("shdr%d(%s).sh_offset", i, s.name), s.hdr + l.at(16, 24), w},
			field{fmt.Sprintf("shdr%d(%s).sh_size", i, s.name), s.hdr + l.at(20, 32), w},
			field{fmt.Sprintf("shdr%d(%s).sh_link", i, s.name), s.hdr + l.at(24, 40), 4},
			field{fmt.Sprintf("shdr%d(%s).sh_addralign", i, s.name), s.hdr + l.at(32, 48), w})
		if s.compressed {
			// The compression header's ch_size.
			fs = append(fs, field{fmt.Sprintf("shdr%d(%s).ch_size", i, s.name), s.off + l.at(4, 8), w})
		}
	}
	for i, n := range l.notes {
		fs = append(fs,
			field{fmt.Sprintf("note%d.namesz", i), uint64(n), 4},
			field{fmt.Sprintf("note%d.descsz", i), uint64(n + 4), 4},
			field{fmt.Sprintf("note%d.pc", i), uint64(n + 20), w})
	}
	return fs
}
