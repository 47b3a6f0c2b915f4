package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

func ptr[T any](v T) *T { return &v }

// build reads a synthetic file whose text segment is at 0x401000 (file
// offset 0xb0 in ELF64, 0x80 in ELF32) and data segment at 0x404000,
// 0x1000 bytes after the text in the file.
func build(t testing.TB, class elf.Class, order binary.ByteOrder, m elf.Machine, base *uint64, notes []byte) *File {
	t.Helper()
	fb := elfbuild.File{
		Class: class, Order: order, Machine: m, Type: elf.ET_EXEC,
		TextAddr: 0x401000, TextSize: 0x1000, DataAddr: 0x404000, DataSize: 0x100,
		StapsdtBase: base, Notes: notes,
	}
	f, err := Read(bytes.NewReader(fb.Bytes()))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f
}

var probeOpts = cmpopts.IgnoreFields(CallSite{}, "Arguments", "Err", "Code") // Code: site_test.go

func TestReadClassesAndByteOrders(t *testing.T) {
	for _, tc := range []struct {
		class   elf.Class
		order   binary.ByteOrder
		machine elf.Machine
		args    string
		want    []arch.Kind
		textOff uint64
	}{
		{elf.ELFCLASS64, binary.LittleEndian, elf.EM_X86_64, "-4@%edi 8@-8(%rbp) -2@(%rcx,%rdi,2) -4@$5", []arch.Kind{arch.Reg, arch.Deref, arch.SIB, arch.Const}, 0xb0},
		{elf.ELFCLASS64, binary.LittleEndian, elf.EM_AARCH64, "-4@x0 8@[sp, 16] -1@[x0, x1] -4@5", nil, 0xb0},
		{elf.ELFCLASS64, binary.BigEndian, elf.EM_S390, "-4@%r2 8@160(%r15) -4@224(%r1,%r15) -4@-9", nil, 0xb0},
		{elf.ELFCLASS32, binary.BigEndian, elf.EM_S390, "-4@%r2", nil, 0x80},
		{elf.ELFCLASS32, binary.LittleEndian, elf.EM_386, "-4@%eax", nil, 0x80},
	} {
		t.Run(tc.class.String()+"/"+tc.order.String()+"/"+tc.machine.String(), func(t *testing.T) {
			var notes []byte
			notes = elfbuild.AppendNote(notes, tc.class, tc.order, elfbuild.Note{PC: 0x401010, Base: 0x402000, Semaphore: 0x404002, Provider: "prov", Name: "first", Arguments: tc.args})
			notes = elfbuild.AppendNote(notes, tc.class, tc.order, elfbuild.Note{PC: 0x401020, Base: 0x402000, Provider: "prov", Name: "first", Arguments: ""})
			notes = elfbuild.AppendNote(notes, tc.class, tc.order, elfbuild.Note{PC: 0x401030, Base: 0x402000, Provider: "prov", Name: "zero", Arguments: ":"})
			f := build(t, tc.class, tc.order, tc.machine, ptr[uint64](0x402000), notes)
			want := []CallSite{
				{NoteIndex: 0, Provider: "prov", Name: "first", PC: 0x401010, FileOffset: tc.textOff + 0x10, Base: 0x402000, Semaphore: 0x404002, SemaphoreOffset: tc.textOff + 0x1000 + 2, Args: tc.args},
				{NoteIndex: 1, Provider: "prov", Name: "first", PC: 0x401020, FileOffset: tc.textOff + 0x20, Base: 0x402000, Args: ""},
				{NoteIndex: 2, Provider: "prov", Name: "zero", PC: 0x401030, FileOffset: tc.textOff + 0x30, Base: 0x402000, Args: ":"},
			}
			if diff := cmp.Diff(want, f.CallSites, probeOpts); diff != "" {
				t.Errorf("probes mismatch (-want +got):\n%s", diff)
			}
			if len(f.NoteErrors) != 0 {
				t.Errorf("note errors: %v", f.NoteErrors)
			}
			if f.Class != tc.class || f.ByteOrder != tc.order || f.Machine != tc.machine {
				t.Errorf("file header read as %v %v %v", f.Class, f.ByteOrder, f.Machine)
			}
			if len(f.CallSites[1].Arguments) != 0 || len(f.CallSites[2].Arguments) != 0 {
				t.Errorf("zero-argument notes got arguments: %+v %+v", f.CallSites[1].Arguments, f.CallSites[2].Arguments)
			}
			if f.Arch == nil {
				if !errors.Is(f.CallSites[0].Err, ErrUnsupportedArch) || !errors.Is(f.CallSites[0].Arguments[0].Err, ErrUnsupportedArch) {
					t.Errorf("unsupported machine: probe error %v, argument error %v", f.CallSites[0].Err, f.CallSites[0].Arguments[0].Err)
				}
				return
			}
			for i, a := range f.CallSites[0].Arguments {
				if a.Err != nil {
					t.Errorf("argument %d: %v", i, a.Err)
				}
			}
			if tc.want != nil {
				var kinds []arch.Kind
				for _, a := range f.CallSites[0].Arguments {
					kinds = append(kinds, a.Kind)
				}
				if diff := cmp.Diff(tc.want, kinds); diff != "" {
					t.Errorf("kinds (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPrelink(t *testing.T) {
	order := binary.LittleEndian
	var notes []byte
	// The note says .stapsdt.base was at 0x300000; the section is now
	// at 0x402000, so pc and semaphore move by 0x102000.
	notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x2ff010, Base: 0x300000, Semaphore: 0x302004, Provider: "p", Name: "moved"})
	// A zero base means "not recorded": no adjustment.
	notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401040, Base: 0, Provider: "p", Name: "nobase"})
	f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, ptr[uint64](0x402000), notes)
	want := []CallSite{
		{NoteIndex: 0, Provider: "p", Name: "moved", PC: 0x401010, FileOffset: 0xb0 + 0x10, Base: 0x300000, Semaphore: 0x404004, SemaphoreOffset: 0xb0 + 0x1000 + 4},
		{NoteIndex: 1, Provider: "p", Name: "nobase", PC: 0x401040, FileOffset: 0xb0 + 0x40},
	}
	if diff := cmp.Diff(want, f.CallSites, probeOpts); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}

	// Without .stapsdt.base nothing is adjusted, and that is fine.
	f = build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, elfbuild.AppendNote(nil, elf.ELFCLASS64, order,
		elfbuild.Note{PC: 0x401010, Base: 0x300000, Provider: "p", Name: "n"}))
	if got := f.CallSites[0]; got.PC != 0x401010 || got.FileOffset != 0xc0 || got.Err != nil {
		t.Errorf("no .stapsdt.base: %+v", got)
	}
}

func TestLocationErrors(t *testing.T) {
	order := binary.LittleEndian
	var notes []byte
	notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x404010, Provider: "p", Name: "pc_in_data", Arguments: "-4@%edi"})
	notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401010, Semaphore: 0x401020, Provider: "p", Name: "sema_in_text"})
	notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x900000, Semaphore: 0x900000, Provider: "p", Name: "nowhere"})
	f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, notes)
	if len(f.CallSites) != 3 {
		t.Fatalf("got %d probes, want 3", len(f.CallSites))
	}
	for _, p := range f.CallSites {
		if !errors.Is(p.Err, ErrNoSegment) {
			t.Errorf("%s: error %v, want ErrNoSegment", p.Name, p.Err)
		}
	}
	if msg := f.CallSites[2].Err.Error(); !strings.Contains(msg, "pc 0x900000") || !strings.Contains(msg, "semaphore 0x900000") {
		t.Errorf("error should name both addresses: %s", msg)
	}
	// The argument still compiles: a location error is not an argument error.
	if a := f.CallSites[0].Arguments; len(a) != 1 || a[0].Err != nil {
		t.Errorf("arguments: %+v", a)
	}
}

func TestMalformedNotes(t *testing.T) {
	order := binary.LittleEndian
	good := func(name string) []byte {
		return elfbuild.AppendNote(nil, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401010, Provider: "p", Name: name, Arguments: "-4@%edi"})
	}
	raw := func(namesz, descsz, typ uint32, name string, desc []byte) []byte {
		b := order.AppendUint32(nil, namesz)
		b = order.AppendUint32(b, descsz)
		b = order.AppendUint32(b, typ)
		b = append(b, name...)
		b = append(b, desc...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	words := make([]byte, 24)
	order.PutUint64(words, 0x401010)
	tests := []struct {
		name      string
		notes     []byte
		wantNames []string
		wantErr   []string // substrings, one per note error
	}{
		{"short desc",
			concat(good("a"), raw(8, 20, 3, "stapsdt\x00", make([]byte, 20)), good("b")),
			[]string{"a", "b"}, []string{"note #1 at section offset 0x38: desc is 20 bytes"}},
		{"missing NUL",
			concat(good("a"), raw(8, 28, 3, "stapsdt\x00", append(append([]byte{}, words...), 'p', 0, 'n', 0)), good("b")),
			[]string{"a", "b"}, []string{"note #1", "arguments string has no terminating NUL"}},
		{"empty name",
			concat(raw(8, 28, 3, "stapsdt\x00", append(append([]byte{}, words...), 'p', 0, 0, 0)), good("b")),
			[]string{"b"}, []string{"note #0 at section offset 0x0: empty probe name"}},
		{"desc past section",
			concat(good("a"), raw(8, 4000, 3, "stapsdt\x00", words)),
			[]string{"a"}, []string{"note #1", "run past the section end"}},
		{"name past section",
			concat(good("a"), raw(4000, 0, 3, "", nil)),
			[]string{"a"}, []string{"note #1", "run past the section end"}},
		{"truncated header",
			concat(good("a"), []byte{1, 2, 3, 4}),
			[]string{"a"}, []string{"note #1", "truncated header"}},
		{"other owner and type skipped",
			concat(raw(4, 4, 1, "GNU\x00", []byte{1, 2, 3, 4}), raw(8, 4, 1, "stapsdt\x00", []byte{1, 2, 3, 4}), good("a")),
			[]string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, tt.notes)
			var names []string
			for _, p := range f.CallSites {
				names = append(names, p.Name)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("probes read (-want +got):\n%s", diff)
			}
			if len(f.NoteErrors) != min(len(tt.wantErr), 1) {
				t.Fatalf("note errors %v, want %d", f.NoteErrors, min(len(tt.wantErr), 1))
			}
			for _, e := range f.NoteErrors {
				if !errors.Is(e, ErrMalformedNote) {
					t.Errorf("%v does not wrap ErrMalformedNote", e)
				}
				for _, sub := range tt.wantErr {
					if !strings.Contains(e.Error(), sub) {
						t.Errorf("error %q lacks %q", e, sub)
					}
				}
			}
		})
	}
}

func concat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestArgumentErrorsDoNotSpread(t *testing.T) {
	order := binary.LittleEndian
	notes := elfbuild.AppendNote(nil, elf.ELFCLASS64, order, elfbuild.Note{PC: 0x401010, Provider: "p", Name: "n",
		Arguments: "-4@%edi -4@gi(%rip) 8@%xmm0 16@%rax -8@-8(%rbp)"})
	f := build(t, elf.ELFCLASS64, order, elf.EM_X86_64, nil, notes)
	args := f.CallSites[0].Arguments
	want := []error{nil, arch.ErrSymbolic, arch.ErrFloatRegister, arch.ErrSize, nil}
	if len(args) != len(want) {
		t.Fatalf("%d arguments, want %d", len(args), len(want))
	}
	for i, w := range want {
		if w == nil {
			if args[i].Err != nil {
				t.Errorf("argument %d: %v", i, args[i].Err)
			}
			continue
		}
		var ae *ArgError
		if !errors.As(args[i].Err, &ae) || ae.Index != i || ae.Operand != args[i].Text || !errors.Is(ae, w) {
			t.Errorf("argument %d: error %v, want ArgError #%d wrapping %v", i, args[i].Err, i, w)
		}
	}
	if _, err := Encode(LayoutV17, order, args, 0); !errors.Is(err, ErrArgument) || !errors.Is(err, arch.ErrSymbolic) {
		t.Errorf("Encode with a failed argument: %v", err)
	}
}

func TestNotELF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte("\x7fELF\x02\x01\x01")} {
		if _, err := Read(bytes.NewReader(in)); !errors.Is(err, ErrNotELF) {
			t.Errorf("Read(%q) = %v, want ErrNotELF", in, err)
		}
	}
}
