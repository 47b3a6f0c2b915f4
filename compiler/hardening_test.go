package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/usdtspec/usdtspec/internal/elfbuild"
	"github.com/usdtspec/usdtspec/internal/malformed"
)

// within runs f, failing the test when it takes longer than d: a read
// that blocks (a FIFO) or never ends (/dev/zero) must not take the test
// run down with it. The goroutine of a hung f is left behind.
func within[T any](t *testing.T, d time.Duration, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
		panic("unreachable")
	}
}

type openResult struct {
	f   *File
	err error
}

// TestOpenNotRegular: a FIFO (whose open would wait for a writer
// forever), a directory, a character device and a symlink to a FIFO are
// refused at once with ErrNotRegular, naming the file and what it is.
func TestOpenNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, kind string }{
		{fifo, "a FIFO"}, {link, "a FIFO"}, {dir, "a directory"}, {"/dev/null", "a character device"},
	} {
		r := within(t, 5*time.Second, "OpenWithOptions("+tc.path+")", func() openResult {
			f, err := OpenWithOptions(tc.path, &Options{DebugDirs: []string{}})
			return openResult{f, err}
		})
		if !errors.Is(r.err, ErrNotRegular) || !strings.Contains(r.err.Error(), tc.path+": not a regular file ("+tc.kind+")") {
			t.Errorf("%s: err = %v, want ErrNotRegular naming the file and %s", tc.path, r.err, tc.kind)
		}
	}
}

func le64File(notes []byte) elfbuild.File {
	base := uint64(0x401800)
	return elfbuild.File{Class: elf.ELFCLASS64, Order: binary.LittleEndian, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x100, DataAddr: 0x404000, DataSize: 0x10, StapsdtBase: &base, Notes: notes}
}

// allocated is how many bytes f allocates (on the heap, by any
// goroutine while it runs). runtime/metrics, not ReadMemStats: that
// stops the world, and the malformed corpus asks thousands of times.
func allocated(f func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	f()
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}

// TestCompressedNotes: an SHF_COMPRESSED .note.stapsdt is read when its
// inflated size is sane; one that claims more than MaxNoteSectionSize
// fails with ErrLimit before inflating anything, and one whose stream
// inflates past what its header claims stops there.
func TestCompressedNotes(t *testing.T) {
	notes := elfbuild.AppendNote(nil, elf.ELFCLASS64, binary.LittleEndian, elfbuild.Note{PC: 0x401010, Base: 0x401800, Provider: "p", Name: "n", Arguments: "-4@%edi"})
	f, err := Read(bytes.NewReader(malformed.CompressedNotes(le64File(nil), uint64(len(notes)), notes)))
	if err != nil || len(f.CallSites) != 1 || f.CallSites[0].Name != "n" {
		t.Fatalf("compressed notes: %v, %+v; want the one call site", err, f)
	}

	zeros := make([]byte, 16<<20) // zlib makes 16 KiB of it
	for _, tc := range []struct {
		name  string
		claim uint64
		want  string
		isErr error
	}{
		{"claims 1 GiB", 1 << 30, ".note.stapsdt holds 1073741824 bytes once inflated (SHF_COMPRESSED), more than the 128 MiB", ErrLimit},
		{"claims 1 KiB, inflates to 16 MiB", 1 << 10, "section .note.stapsdt: 1025 bytes read, its header says 1024", ErrNotELF},
	} {
		data := malformed.CompressedNotes(le64File(nil), tc.claim, zeros)
		var err error
		n := allocated(func() { _, err = Read(bytes.NewReader(data)) })
		if !errors.Is(err, tc.isErr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %v with %q", tc.name, err, tc.isErr, tc.want)
		}
		if n > 8<<20 {
			t.Errorf("%s: %d bytes allocated, want under 8 MiB", tc.name, n)
		}
	}

	// Through Open, the error names the file and the section.
	p := filepath.Join(t.TempDir(), "bomb")
	if err := os.WriteFile(p, malformed.CompressedNotes(le64File(nil), 1<<30, zeros[:1<<20]), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); !errors.Is(err, ErrLimit) || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), ".note.stapsdt") {
		t.Errorf("Open: %v, want ErrLimit naming %s and .note.stapsdt", err, p)
	}
}

// TestNoteLimits: each bound on a note fails that note alone, with
// ErrLimit and ErrMalformedNote, and the other notes are still read.
func TestNoteLimits(t *testing.T) {
	order := binary.LittleEndian
	note := func(provider, name, args string) []byte {
		return elfbuild.AppendNote(nil, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401010, Provider: provider, Name: name, Arguments: args})
	}
	long := strings.Repeat("x", MaxNoteString+1)
	args := func(n int) string { return strings.TrimSpace(strings.Repeat("-4@%edi ", n)) }
	for _, tc := range []struct {
		name    string
		notes   []byte
		want    []string // names read
		wantErr string
	}{
		{"long provider", concat(note("a", "a", ""), note(long, "b", ""), note("c", "c", "")), []string{"a", "c"}, "note #1 at section offset 0x34: provider of 4097 bytes, longer than 4096 bytes"},
		{"long name", concat(note("a", long, ""), note("c", "c", "")), []string{"c"}, "name of 4097 bytes"},
		{"long arguments", concat(note("a", "a", long), note("c", "c", "")), []string{"c"}, "argument string of 4097 bytes"},
		{"33 arguments", concat(note("a", "a", args(33)), note("c", "c", args(13))), []string{"c"}, "note #0 at section offset 0x0: 33 arguments, more than 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, tc.notes)
			var names []string
			for _, p := range f.CallSites {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("call sites %q, want %q", names, tc.want)
			}
			if len(f.NoteErrors) != 1 || !errors.Is(f.NoteErrors[0], ErrLimit) || !errors.Is(f.NoteErrors[0], ErrMalformedNote) ||
				!strings.Contains(f.NoteErrors[0].Error(), tc.wantErr) {
				t.Fatalf("note errors %v, want one ErrLimit with %q", f.NoteErrors, tc.wantErr)
			}
		})
	}
	// 13 arguments are still compiled, one by one: the spec says
	// ErrTooManyArgs.
	f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, note("a", "a", args(13)))
	if len(f.CallSites) != 1 || len(f.CallSites[0].Arguments) != 13 {
		t.Fatalf("13 arguments: %+v", f.CallSites)
	}
}

// TestFileLimits: the bounds over a whole file, lowered so that the test
// need not make millions of notes: call sites, compiled arguments, and
// note errors kept.
func TestFileLimits(t *testing.T) {
	order := binary.LittleEndian
	note := func(name, args string) []byte {
		return elfbuild.AppendNote(nil, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401010, Provider: "p", Name: name, Arguments: args})
	}
	lower := func(p *int, v int) {
		old := *p
		*p = v
		t.Cleanup(func() { *p = old })
	}

	t.Run("call sites", func(t *testing.T) {
		lower(&maxCallSites, 3)
		f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, concat(note("a", ""), note("b", ""), note("c", ""), note("d", ""), note("e", "")))
		if len(f.CallSites) != 3 || len(f.NoteErrors) != 1 || !errors.Is(f.NoteErrors[0], ErrLimit) ||
			!strings.Contains(f.NoteErrors[0].Error(), "note #3 at section offset 0x9c: more than 3 call sites") {
			t.Errorf("%d call sites, errors %v; want 3 and one ErrLimit at note #3", len(f.CallSites), f.NoteErrors)
		}
	})
	t.Run("arguments", func(t *testing.T) {
		lower(&maxArgumentRecords, 5)
		// Two distinct strings of two arguments fit; the third does not,
		// the fourth shares the first's.
		f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil,
			concat(note("a", "1@%al 2@%ax"), note("b", "4@%eax 8@%rax"), note("c", "1@%bl 2@%bx"), note("d", "1@%al 2@%ax")))
		var names []string
		for _, p := range f.CallSites {
			names = append(names, p.Name)
		}
		if strings.Join(names, ",") != "a,b,d" || len(f.NoteErrors) != 1 || !errors.Is(f.NoteErrors[0], ErrLimit) ||
			!strings.Contains(f.NoteErrors[0].Error(), "note #2") {
			t.Errorf("call sites %v, errors %v; want a,b,d and ErrLimit for note #2", names, f.NoteErrors)
		}
	})
	t.Run("note errors", func(t *testing.T) {
		lower(&maxNoteErrors, 2)
		var notes []byte
		for range 5 {
			notes = concat(notes, note("", ""))
		}
		f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, concat(notes, note("ok", "")))
		if len(f.CallSites) != 1 || len(f.NoteErrors) != 3 || !strings.Contains(f.NoteErrors[2].Error(), "note #2 at section offset 0x60: this and 2 more notes could not be read either") {
			t.Errorf("call sites %d, errors %v; want 1 and 2 errors and a summary at note #2", len(f.CallSites), f.NoteErrors)
		}
	})
}
