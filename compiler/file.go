package compiler

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/usdtspec/usdtspec/arch"
)

// Sentinel errors for call sites; test with errors.Is.
var (
	// ErrNotELF: the input is not a readable ELF file.
	ErrNotELF = errors.New("not a readable ELF file")
	// ErrUnsupportedArch: the file's e_machine has no grammar in arch/.
	ErrUnsupportedArch = errors.New("unsupported architecture")
	// ErrNoSegment: an address lies in no suitable PT_LOAD segment.
	ErrNoSegment = errors.New("address in no suitable PT_LOAD segment")
	// ErrSiteUnreadable: the bytes at a call site are not in the file.
	ErrSiteUnreadable = errors.New("call site bytes not readable")
)

// File is the probes of one ELF file.
type File struct {
	Path      string
	Machine   elf.Machine
	Arch      *arch.Arch // nil when the machine is not supported
	Class     elf.Class
	ByteOrder binary.ByteOrder
	Type      elf.Type
	CallSites []CallSite
	// NoteErrors are the notes that could not be read (*NoteError);
	// the other notes are in CallSites.
	NoteErrors []error
	// DebugFile is the separate debug file whose symbol table resolved
	// the operands' symbols, for a stripped file (see [Options]); ""
	// when none was needed or found.
	DebugFile string
}

// CallSite is one call site.
type CallSite struct {
	NoteIndex       int // position of its note in .note.stapsdt
	Provider        string
	Name            string
	PC              uint64 // link-time address of the probe, after prelink adjustment
	FileOffset      uint64 // uprobe offset: PC through its executable PT_LOAD
	Base            uint64 // the note's .stapsdt.base address
	Semaphore       uint64 // after prelink adjustment; 0 if none
	SemaphoreOffset uint64 // file offset of the semaphore (uprobe ref_ctr_offset)
	Args            string // the raw argument string
	// Arguments are shared by the call sites with the same Args: treat
	// them as read-only.
	Arguments []Argument
	// Err is set when the call site cannot be attached: a pc or semaphore
	// outside its segments, or an unsupported architecture.
	Err error
	// Code is the instruction at the call site, for architectures with
	// a decoder (arch.Arch.DecodeSite); its Err, wrapping
	// ErrSiteUnreadable or arch.ErrInstruction, does not stop the call
	// site. Empty (never nil) when there is no decoder or the pc is in no
	// executable segment (see Err). Call sites with the same code share
	// one Code, so a file of a million call sites holds a few: read-only.
	Code *arch.Code
}

// Argument is one compiled argument, or the reason it did not compile.
type Argument struct {
	arch.Arg
	// SymbolAddress is the resolved address of Arg.Symbol (or of its GOT
	// slot); Offset already includes it.
	SymbolAddress uint64
	Err           error // *ArgError
}

// ArgError names the argument that did not compile.
type ArgError struct {
	Index   int    // 0-based
	Operand string // the whole argument text, "-4@%edi"
	Err     error
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("argument #%d %q: %v", e.Index, e.Operand, e.Err)
}

func (e *ArgError) Unwrap() error { return e.Err }

// Open reads the probes of the ELF file at path, with default [Options].
func Open(path string) (*File, error) { return OpenWithOptions(path, nil) }

// OpenWithOptions reads the probes of the ELF file at path.
func OpenWithOptions(path string, opts *Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := read(f, path, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	file.Path = path
	return file, nil
}

// Read reads the probes of an ELF file, with default [Options]. The
// error is non-nil only when r is not a readable ELF file (wrapping
// [ErrNotELF]); problems with single notes, call sites or arguments are
// recorded in the File.
func Read(r io.ReaderAt) (*File, error) { return read(r, "", nil) }

// ReadWithOptions is [Read] with options. Without a path, a
// .gnu_debuglink is looked for only in opts.DebugDirs.
func ReadWithOptions(r io.ReaderAt, opts *Options) (*File, error) { return read(r, "", opts) }

func read(r io.ReaderAt, path string, opts *Options) (*File, error) {
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotELF, err)
	}
	defer ef.Close()
	f := &File{
		Machine:   ef.Machine,
		Arch:      ArchFor(ef.Machine, ef.Class),
		Class:     ef.Class,
		ByteOrder: ef.ByteOrder,
		Type:      ef.Type,
	}
	sec := ef.Section(".note.stapsdt")
	if sec == nil || sec.Type != elf.SHT_NOTE {
		return f, nil
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("%w: reading .note.stapsdt: %v", ErrNotELF, err)
	}
	var baseAddr uint64
	haveBase := false
	if s := ef.Section(".stapsdt.base"); s != nil {
		baseAddr, haveBase = s.Addr, true
	}
	loads := loadSegments(ef)
	code := &codeReader{r: r}
	// Call sites repeat argument strings (inlined probes, one probe
	// per function): each distinct string is compiled once and its
	// arguments shared, read-only, by every call site that has it.
	compiled := map[string][]Argument{}
	syms := &symbols{ef: ef, path: path, dirs: opts.debugDirs()}
	f.CallSites = make([]CallSite, 0, countNotes(data, ef.ByteOrder, int(sec.Addralign)))
	f.NoteErrors = parseNotes(data, ef.ByteOrder, ef.Class, int(sec.Addralign), func(n rawNote) bool {
		p := CallSite{
			NoteIndex: n.Index,
			Provider:  n.Provider,
			Name:      n.Name,
			PC:        n.PC,
			Base:      n.Base,
			Semaphore: n.Semaphore,
			Args:      n.Args,
		}
		// Prelink moves the loaded sections but not the non-allocated
		// note, so shift by how far .stapsdt.base moved.
		if haveBase && n.Base != 0 {
			delta := baseAddr - n.Base
			p.PC += delta
			if p.Semaphore != 0 {
				p.Semaphore += delta
			}
		}
		p.Err = f.locate(&p, loads)
		if p.Err == nil && f.Arch != nil && f.Arch.CheckSite != nil {
			p.Err = f.Arch.CheckSite(p.PC, syms.code())
		}
		p.Code = &noSite
		if f.Arch != nil && f.Arch.DecodeSite != nil {
			p.Code = code.site(f.Arch, loads, p.PC)
		}
		args, ok := compiled[n.Args]
		if !ok {
			args = f.compile(n.Args)
			compiled[n.Args] = args
		}
		p.Arguments = f.resolveSymbols(args, p.PC, syms)
		f.CallSites = append(f.CallSites, p)
		return true
	})
	f.DebugFile = syms.debugPath
	return f, nil
}

type segment struct {
	vaddr, memsz, offset, filesz uint64
	exec                         bool
}

func loadSegments(ef *elf.File) []segment {
	var segs []segment
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			segs = append(segs, segment{p.Vaddr, p.Memsz, p.Off, p.Filesz, p.Flags&elf.PF_X != 0})
		}
	}
	return segs
}

// codeReader reads the bytes at call sites through a window of the file:
// notes mostly come in address order and sites cluster, so one read
// serves many sites.
type codeReader struct {
	r      io.ReaderAt
	window []byte
	start  uint64 // file offset of window[0]
	// shared holds one Site per distinct decoded instruction: the
	// decoder returns values, and call sites repeat the same few.
	shared map[siteKey]*arch.Code
}

// siteKey identifies a decoded Site by its bytes' backing array, not
// their content: amd64's decoder hands out the same Bytes for the same
// instruction, so this costs no copy per call site; a decoder that does
// not would only share less.
type siteKey struct {
	insn, combo string
	bytes       *byte
	n           int
	shift       uint64
}

// noSite is the Site of call sites without a decoded instruction.
var noSite arch.Code

const codeWindow = 4096

// site decodes the code at pc with a's decoder: arch.MaxSiteBytes, or
// what is left of the pc's executable segment in the file.
func (c *codeReader) site(a *arch.Arch, segs []segment, pc uint64) *arch.Code {
	s := c.decode(a, segs, pc)
	if s.Err != nil {
		failed := new(arch.Code)
		*failed = s
		return failed
	}
	k := siteKey{s.Insn, s.Combo, unsafe.SliceData(s.Bytes), len(s.Bytes), s.Shift}
	if shared, ok := c.shared[k]; ok {
		return shared
	}
	if c.shared == nil {
		c.shared = map[siteKey]*arch.Code{}
	}
	shared := new(arch.Code)
	*shared = s
	c.shared[k] = shared
	return shared
}

func (c *codeReader) decode(a *arch.Arch, segs []segment, pc uint64) arch.Code {
	var seg *segment
	for i := range segs {
		if s := &segs[i]; s.exec && pc >= s.vaddr && pc-s.vaddr < s.memsz {
			seg = s
			break
		}
	}
	if seg == nil {
		return arch.Code{} // the probe's Err says so
	}
	rel := pc - seg.vaddr
	if rel >= seg.filesz {
		return arch.Code{Err: fmt.Errorf("%w: pc %#x is past the file bytes of its PT_LOAD", ErrSiteUnreadable, pc)}
	}
	off := seg.offset + rel
	n := min(arch.MaxSiteBytes, seg.filesz-rel)
	if off < c.start || off+n > c.start+uint64(len(c.window)) {
		if c.window == nil {
			c.window = make([]byte, codeWindow)
		}
		c.window = c.window[:min(codeWindow, seg.filesz-rel)]
		got, err := c.r.ReadAt(c.window, int64(off))
		c.window, c.start = c.window[:got], off
		if uint64(got) < n {
			c.window = c.window[:0]
			return arch.Code{Err: fmt.Errorf("%w: %d of %d bytes at file offset %#x: %v", ErrSiteUnreadable, got, n, off, err)}
		}
	}
	return a.DecodeSite(c.window[off-c.start : off-c.start+n])
}

// fileOffset translates a virtual address through the PT_LOAD that holds
// it, which must be executable (exec) or not.
func fileOffset(segs []segment, addr uint64, exec bool) (uint64, bool) {
	for _, s := range segs {
		if s.exec == exec && addr >= s.vaddr && addr-s.vaddr < s.memsz {
			return addr - s.vaddr + s.offset, true
		}
	}
	return 0, false
}

func (f *File) locate(p *CallSite, segs []segment) error {
	var errs []error
	if f.Arch == nil {
		errs = append(errs, fmt.Errorf("%w: %v %v", ErrUnsupportedArch, f.Machine, f.Class))
	}
	off, ok := fileOffset(segs, p.PC, true)
	if !ok {
		errs = append(errs, fmt.Errorf("%w: pc %#x is in no executable PT_LOAD", ErrNoSegment, p.PC))
	}
	p.FileOffset = off
	if p.Semaphore != 0 {
		off, ok := fileOffset(segs, p.Semaphore, false)
		if !ok {
			errs = append(errs, fmt.Errorf("%w: semaphore %#x is in no non-executable PT_LOAD", ErrNoSegment, p.Semaphore))
		}
		p.SemaphoreOffset = off
	}
	return errors.Join(errs...)
}

// resolveSymbols returns args with their symbols resolved for the call
// site at pc: a copy when any argument is symbolic (PC-relative ones
// differ per call site), args itself otherwise.
func (f *File) resolveSymbols(args []Argument, pc uint64, syms *symbols) []Argument {
	var out []Argument
	for i := range args {
		if args[i].Err != nil || args[i].Symbol == "" {
			continue
		}
		if out == nil {
			out = append([]Argument(nil), args...)
		}
		a := &out[i]
		addr, err := syms.resolve(&a.Arg, pc, f.Type)
		if err != nil {
			a.Err = &ArgError{Index: i, Operand: a.Text, Err: err}
			continue
		}
		a.SymbolAddress = addr
	}
	if out == nil {
		return args
	}
	return out
}

// compile parses every argument of a call site with the file's grammar.
// Each argument fails or succeeds on its own.
func (f *File) compile(args string) []Argument {
	ops := arch.Split(args)
	if len(ops) == 0 {
		return nil
	}
	out := make([]Argument, len(ops))
	for i, op := range ops {
		out[i].Text = op
		if f.Arch == nil {
			out[i].Err = &ArgError{Index: i, Operand: op, Err: ErrUnsupportedArch}
			continue
		}
		a, err := arch.ParseArg(f.Arch, op)
		out[i].Arg = a
		if err != nil {
			out[i].Err = &ArgError{Index: i, Operand: op, Err: err}
		}
	}
	return out
}
