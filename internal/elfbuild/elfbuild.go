// Package elfbuild writes small synthetic ELF files with .note.stapsdt
// notes, for tests, fuzz seeds and benchmarks: any class, byte order and
// machine, with or without .stapsdt.base, and with notes that may be
// deliberately malformed.
package elfbuild

import (
	"debug/elf"
	"encoding/binary"
)

// Note is the content of one stapsdt note.
type Note struct {
	PC, Base, Semaphore       uint64
	Provider, Name, Arguments string
}

// AppendNote appends a well-formed stapsdt note (4-byte aligned, as
// sys/sdt.h emits it) to buf.
func AppendNote(buf []byte, class elf.Class, order binary.ByteOrder, n Note) []byte {
	word := 8
	if class == elf.ELFCLASS32 {
		word = 4
	}
	o := order.(binary.AppendByteOrder)
	descsz := 3*word + len(n.Provider) + len(n.Name) + len(n.Arguments) + 3
	buf = o.AppendUint32(buf, 8)
	buf = o.AppendUint32(buf, uint32(descsz))
	buf = o.AppendUint32(buf, 3)
	buf = append(buf, "stapsdt\x00"...)
	for _, v := range []uint64{n.PC, n.Base, n.Semaphore} {
		if word == 4 {
			buf = o.AppendUint32(buf, uint32(v))
		} else {
			buf = o.AppendUint64(buf, v)
		}
	}
	buf = append(buf, n.Provider...)
	buf = append(buf, 0)
	buf = append(buf, n.Name...)
	buf = append(buf, 0)
	buf = append(buf, n.Arguments...)
	buf = append(buf, 0)
	for len(buf)%4 != 0 {
		buf = append(buf, 0)
	}
	return buf
}

// File describes the ELF file to write. Text is an executable PT_LOAD at
// TextAddr, Data a writable one at DataAddr (holding .probes).
type File struct {
	Class   elf.Class
	Order   binary.ByteOrder
	Machine elf.Machine
	Type    elf.Type

	TextAddr, TextSize uint64
	DataAddr, DataSize uint64
	// StapsdtBase, when non-nil, adds a .stapsdt.base section at that
	// address.
	StapsdtBase *uint64
	// Notes is the raw content of .note.stapsdt (see AppendNote); nil
	// leaves the section out.
	Notes []byte
}

type section struct {
	name            string
	typ             elf.SectionType
	flags           elf.SectionFlag
	addr, off, size uint64
	align           uint64
	data            []byte
	nameOff         uint32
}

// Bytes lays the file out: header, program headers, text, data, notes,
// section names, section headers.
func (f *File) Bytes() []byte {
	is64 := f.Class != elf.ELFCLASS32
	ehsize, phentsize, shentsize := uint64(52), uint64(32), uint64(40)
	if is64 {
		ehsize, phentsize, shentsize = 64, 56, 64
	}
	const phnum = 2
	align := func(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }
	textOff := align(ehsize+phnum*phentsize, 16)
	dataOff := align(textOff+f.TextSize, 16)
	noteOff := align(dataOff+f.DataSize, 8)

	secs := []section{{}}
	secs = append(secs, section{name: ".text", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR,
		addr: f.TextAddr, off: textOff, size: f.TextSize, align: 16})
	if f.StapsdtBase != nil {
		secs = append(secs, section{name: ".stapsdt.base", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC,
			addr: *f.StapsdtBase, off: textOff, size: 1, align: 1})
	}
	secs = append(secs, section{name: ".probes", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC | elf.SHF_WRITE,
		addr: f.DataAddr, off: dataOff, size: f.DataSize, align: 2})
	next := noteOff
	if f.Notes != nil {
		secs = append(secs, section{name: ".note.stapsdt", typ: elf.SHT_NOTE, off: noteOff,
			size: uint64(len(f.Notes)), align: 4, data: f.Notes})
		next = noteOff + uint64(len(f.Notes))
	}
	var shstr []byte
	shstr = append(shstr, 0)
	for i := 1; i < len(secs); i++ {
		secs[i].nameOff = uint32(len(shstr))
		shstr = append(shstr, secs[i].name...)
		shstr = append(shstr, 0)
	}
	secs = append(secs, section{name: ".shstrtab", typ: elf.SHT_STRTAB, off: next, align: 1})
	secs[len(secs)-1].nameOff = uint32(len(shstr))
	shstr = append(shstr, ".shstrtab\x00"...)
	secs[len(secs)-1].data = shstr
	shoff := align(next+uint64(len(shstr)), 8)

	out := make([]byte, shoff+uint64(len(secs))*shentsize)
	o := f.Order
	// ELF header.
	copy(out, elf.ELFMAG)
	out[elf.EI_CLASS] = byte(f.Class)
	out[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	if o == binary.ByteOrder(binary.BigEndian) {
		out[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	}
	out[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	o.PutUint16(out[16:], uint16(f.Type))
	o.PutUint16(out[18:], uint16(f.Machine))
	o.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	w := &writer{o: o, b: out, is64: is64}
	if is64 {
		w.at(24).addr(f.TextAddr).addr(ehsize).addr(shoff)
		w.at(48)
	} else {
		w.at(24).addr(f.TextAddr).addr(ehsize).addr(shoff)
		w.at(36)
	}
	w.u32(0).u16(uint16(ehsize)).u16(uint16(phentsize)).u16(phnum).u16(uint16(shentsize)).
		u16(uint16(len(secs))).u16(uint16(len(secs) - 1))
	// Program headers: text (R+X), data (R+W).
	phdr := func(at, off, vaddr, size uint64, flags elf.ProgFlag) {
		w.at(at)
		if is64 {
			w.u32(uint32(elf.PT_LOAD)).u32(uint32(flags)).addr(off).addr(vaddr).addr(vaddr).addr(size).addr(size).addr(0x1000)
		} else {
			w.u32(uint32(elf.PT_LOAD)).addr(off).addr(vaddr).addr(vaddr).addr(size).addr(size).u32(uint32(flags)).addr(0x1000)
		}
	}
	phdr(ehsize, textOff, f.TextAddr, f.TextSize, elf.PF_R|elf.PF_X)
	phdr(ehsize+phentsize, dataOff, f.DataAddr, f.DataSize, elf.PF_R|elf.PF_W)
	// Section contents and headers.
	for i, s := range secs {
		copy(out[s.off:], s.data)
		w.at(shoff + uint64(i)*shentsize)
		w.u32(s.nameOff).u32(uint32(s.typ))
		if is64 {
			w.addr(uint64(s.flags))
		} else {
			w.u32(uint32(s.flags))
		}
		size := s.size
		if s.data != nil {
			size = uint64(len(s.data))
		}
		w.addr(s.addr).addr(s.off).addr(size).u32(0).u32(0).addr(s.align).addr(0)
	}
	return out
}

type writer struct {
	o    binary.ByteOrder
	b    []byte
	pos  uint64
	is64 bool
}

func (w *writer) at(p uint64) *writer { w.pos = p; return w }
func (w *writer) u16(v uint16) *writer {
	w.o.PutUint16(w.b[w.pos:], v)
	w.pos += 2
	return w
}
func (w *writer) u32(v uint32) *writer {
	w.o.PutUint32(w.b[w.pos:], v)
	w.pos += 4
	return w
}

// addr writes an address-sized field: 8 bytes in ELF64, 4 in ELF32.
func (w *writer) addr(v uint64) *writer {
	if w.is64 {
		w.o.PutUint64(w.b[w.pos:], v)
		w.pos += 8
		return w
	}
	return w.u32(uint32(v))
}
