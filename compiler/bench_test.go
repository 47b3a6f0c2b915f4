package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

func syntheticFile(n int) []byte {
	order := binary.LittleEndian
	args := []string{"-4@%edi 8@-8(%rbp)", "-2@(%rcx,%rdi,2) -4@$5 8@%rax", ""}
	var notes []byte
	for i := range n {
		notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401000 + uint64(i%0x100),
			Provider: "bench", Name: fmt.Sprintf("p%d", i%100), Arguments: args[i%len(args)]})
	}
	f := elfbuild.File{Class: elf.ELFCLASS64, Order: order, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x100, DataAddr: 0x404000, DataSize: 0x10, Notes: notes}
	return f.Bytes()
}

// BenchmarkRead100k reads and compiles 100,000 call sites; bytes/op vs
// the file size shows memory stays O(file size).
func BenchmarkRead100k(b *testing.B) {
	data := syntheticFile(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Read(bytes.NewReader(data))
		if err != nil || len(f.CallSites) != 100_000 {
			b.Fatal(err, len(f.CallSites))
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	f, err := Read(bytes.NewReader(syntheticFile(3)))
	if err != nil {
		b.Fatal(err)
	}
	args := f.CallSites[1].Arguments
	buf := make([]byte, 0, LayoutV17.SpecSize())
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendSpec(buf[:0], LayoutV17, binary.LittleEndian, args, 0)
	}
}
