package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/usdtspec/usdtspec/internal/elfbuild"
	"github.com/usdtspec/usdtspec/internal/malformed"
)

// FuzzParseNotes feeds arbitrary section contents to the note walker: it
// must not panic, and every probe it yields must lie inside the data.
func FuzzParseNotes(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(elfbuild.AppendNote(nil, elf.ELFCLASS64, le, elfbuild.Note{PC: 1, Provider: "p", Name: "n", Arguments: "-4@%edi"}), false, false)
	f.Add(elfbuild.AppendNote(nil, elf.ELFCLASS32, be, elfbuild.Note{PC: 1, Provider: "p", Name: "n", Arguments: "-4@%r2"}), true, true)
	f.Add([]byte{8, 0, 0, 0, 255, 255, 255, 255, 3, 0, 0, 0}, false, false)
	f.Fuzz(func(t *testing.T, data []byte, class32, bigEndian bool) {
		class, order := elf.ELFCLASS64, binary.ByteOrder(le)
		if class32 {
			class = elf.ELFCLASS32
		}
		if bigEndian {
			order = be
		}
		parseNotes(newSectionStream(".note.stapsdt", bytes.NewReader(data), int64(len(data))), order, class, 4, &interner{}, &noteErrors{}, func(n rawNote) bool {
			if n.Offset < 0 || n.Offset >= int64(len(data)) || n.Name == "" {
				t.Fatalf("bad note %+v", n)
			}
			return true
		})
	})
}

// FuzzRead feeds whole files to Read: errors are fine, panics are not.
func FuzzRead(f *testing.F) {
	base := uint64(0x402000)
	for _, m := range []elf.Machine{elf.EM_X86_64, elf.EM_AARCH64, elf.EM_S390} {
		fb := elfbuild.File{Class: elf.ELFCLASS64, Order: binary.LittleEndian, Machine: m, Type: elf.ET_DYN,
			TextAddr: 0x401000, TextSize: 0x100, DataAddr: 0x404000, DataSize: 0x10, StapsdtBase: &base,
			Notes: elfbuild.AppendNote(nil, elf.ELFCLASS64, binary.LittleEndian, elfbuild.Note{PC: 0x401010, Base: base, Semaphore: 0x404002, Provider: "p", Name: "n", Arguments: "-4@%edi 8@[sp, 8] -4@0(%r2,%r4) -4@g(%rip)"})}
		f.Add(fb.Bytes())
	}
	// A compressed note section, and notes full of control characters:
	// the fuzzer's mutations of a zlib stream reach the inflation bound.
	for _, c := range malformed.Bases() {
		f.Add(c.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// No debug folders: the file's own build-id and debuglink are
		// still parsed, for the error text, but no host file is read.
		file, err := ReadWithOptions(bytes.NewReader(data), &Options{DebugDirs: []string{}})
		if err != nil {
			return
		}
		for _, p := range file.CallSites {
			Encode(LayoutV17, file.ByteOrder, p.Arguments, 0)
			Encode(LayoutV16, file.ByteOrder, p.Arguments, 0)
		}
	})
}
