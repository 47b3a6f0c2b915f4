package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

// benchFile writes the dump benchmark's synthetic file (internal/bench:
// x86-64, every operand kind, four argument strings, a thousand probe
// names, .stapsdt.base) with n call sites, and returns its path.
func benchFile(b *testing.B, n int) string {
	order := binary.LittleEndian
	args := []string{"-4@%edi 8@-8(%rbp)", "-2@(%rcx,%rdi,2) -4@$5 8@%rax", "8@16(%rsp) -1@%cl 4@%r8d -8@$-9", ""}
	notes := make([]byte, 0, n*84)
	base := uint64(0x402000)
	for i := range n {
		notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{
			PC: 0x401000 + uint64(i%0x1000), Base: base, Provider: "bench",
			Name: fmt.Sprintf("probe_%d", i%1000), Arguments: args[i%len(args)],
		})
	}
	f := elfbuild.File{Class: elf.ELFCLASS64, Order: order, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x1000, DataAddr: 0x404000, DataSize: 0x100, StapsdtBase: &base, Notes: notes}
	path := filepath.Join(b.TempDir(), "synthetic.elf")
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkOpen opens the dump benchmark's file of a million call sites.
// B/op is what one Open allocates; heapB/site is what the File it
// returns holds, measured after a GC with the File alive (issue 17: at
// most 300).
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			path := benchFile(b, n)
			b.ReportAllocs()
			var held uint64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				f, err := Open(path)
				if err != nil || len(f.CallSites) != n {
					b.Fatal(err, len(f.CallSites))
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				held = max(held, after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))
				runtime.KeepAlive(f)
			}
			b.ReportMetric(float64(held)/float64(n), "heapB/site")
		})
	}
}

// BenchmarkStream is BenchmarkOpen through OpenStream and one Walk, as
// usdtspec dump reads a file: heapB/site is what is held at the last
// call site, after a GC.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			path := benchFile(b, n)
			b.ReportAllocs()
			var held uint64
			for b.Loop() {
				var before, during runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s, err := OpenStream(path, nil)
				if err != nil {
					b.Fatal(err)
				}
				seen := 0
				err = s.Walk(func(*CallSite) bool {
					if seen++; seen == n {
						runtime.GC()
						runtime.ReadMemStats(&during)
					}
					return true
				})
				s.Close()
				if err != nil || seen != n {
					b.Fatal(err, seen)
				}
				held = max(held, during.HeapAlloc-min(during.HeapAlloc, before.HeapAlloc))
			}
			b.ReportMetric(float64(held)/float64(n), "heapB/site")
		})
	}
}
