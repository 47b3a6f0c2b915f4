package compiler

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
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
	// ErrNotRegular: the path names a FIFO, device, directory or socket,
	// not a regular file; it is not read (a FIFO or /dev/zero would
	// never end).
	ErrNotRegular = errors.New("not a regular file")
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
	// DebugFileErrors are the candidate debug files that were found but
	// not used, each naming the file and why (wrapping
	// [ErrDebugFileRejected]): a FIFO or device, a file writable by
	// others, another build's. Empty when no debug file was looked for.
	DebugFileErrors []error
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

// OpenWithOptions reads the probes of the ELF file at path, which must
// be a regular file (or a symlink to one): anything else fails with
// [ErrNotRegular] without blocking.
func OpenWithOptions(path string, opts *Options) (*File, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := read(f, path, fi, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	file.Path = path
	return file, nil
}

// Stream is an ELF file opened to read its call sites one at a time
// ([Stream.Walk]) rather than all at once: memory does not grow with the
// number of call sites, where [Open] holds about 150 bytes for each.
// For a tool that prints them (usdtspec dump of a file of a million).
// A Stream is not safe for concurrent use.
type Stream struct {
	// File is the file's header fields; its CallSites stay nil, and its
	// NoteErrors, DebugFile and DebugFileErrors are those of the last
	// Walk that went to the end.
	File *File
	o    *opener
	fd   *os.File
}

// OpenStream opens the ELF file at path as [OpenWithOptions] does, and
// reads its header; its call sites are read by [Stream.Walk]. Close it.
func OpenStream(path string, opts *Options) (*Stream, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	o, err := newOpener(f, path, fi, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	o.f.Path = path
	return &Stream{File: o.f, o: o, fd: f}, nil
}

// Walk reads the call sites, in note order, and calls fn with each
// until it returns false. Each Walk reads the file again, and gives the
// call sites that [OpenWithOptions] would (for a file that does not
// change meanwhile): a tool may count them in one pass and print them in
// the next. The CallSite is reused from one call to the next: fn must
// copy what it keeps (its Arguments and Code are shared anyway). The
// error, wrapping [ErrNotELF], is a note section that could not be read
// (after the call sites before the failure were handed out).
func (s *Stream) Walk(fn func(p *CallSite) bool) error {
	if s.o.sec == nil {
		return nil
	}
	if err := s.o.walk(fn); err != nil {
		return fmt.Errorf("%s: %w", s.File.Path, err)
	}
	return nil
}

// Close closes the file.
func (s *Stream) Close() error { return s.fd.Close() }

// openRegular opens path for reading if it is a regular file. It opens
// first, non-blocking, and asks the open file what it is: a stat before
// the open could be answered by another file than the one opened (the
// path replaced in between), and a blocking open of a FIFO waits for a
// writer before anything could be checked.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, fi, err := openNonblocking(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fileKind(fi.Mode()))
	} else if cerr := clearNonblock(f); cerr != nil {
		err = fmt.Errorf("%s: clearing O_NONBLOCK: %w", path, cerr)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// openNonblocking opens path read-only without waiting for a FIFO's
// writer, and fstats what it opened. The file stays non-blocking.
func openNonblocking(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, fi, nil
}

// fileKind names what a non-regular file is, for error messages.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "file type " + m.Type().String()
}

// Read reads the probes of an ELF file, with default [Options]. The
// error is non-nil only when r is not a readable ELF file (wrapping
// [ErrNotELF]); problems with single notes, call sites or arguments are
// recorded in the File.
func Read(r io.ReaderAt) (*File, error) { return read(r, "", nil, nil) }

// ReadWithOptions is [Read] with options. Without a path, a
// .gnu_debuglink is looked for only in opts.DebugDirs.
func ReadWithOptions(r io.ReaderAt, opts *Options) (*File, error) { return read(r, "", nil, opts) }

// read reads the probes of r; path and fi describe the file when it has
// one (fi is nil otherwise), for its separate debug file.
func read(r io.ReaderAt, path string, fi os.FileInfo, opts *Options) (*File, error) {
	o, err := newOpener(r, path, fi, opts)
	if err != nil {
		return nil, err
	}
	if o.sec == nil {
		return o.f, nil
	}
	// A pass over the note headers sizes CallSites once: appending a
	// million 144-byte call sites would copy them over and over and leave
	// up to a quarter of the slice unused.
	n, err := o.countNotes()
	if err != nil {
		return nil, err
	}
	// Headers of other notes count too, so the count is only a hint: at
	// most MaxCallSites, whatever the section claims.
	o.f.CallSites = make([]CallSite, 0, min(n, maxCallSites))
	err = o.walk(func(p *CallSite) bool {
		o.f.CallSites = append(o.f.CallSites, *p)
		return true
	})
	if err != nil {
		return nil, err
	}
	return o.f, nil
}

// opener is an ELF file being read: its header, segments and symbols,
// read once, and what its passes over .note.stapsdt share.
type opener struct {
	r        io.ReaderAt
	ef       *elf.File
	f        *File
	sec      *elf.Section // .note.stapsdt; nil when there is none
	baseAddr uint64       // .stapsdt.base's address, when haveBase
	haveBase bool
	loads    []segment
	code     *codeReader
	syms     *symbols
	// strs interns the notes' strings: a file repeats its providers,
	// names and argument strings over and over, and each call site
	// then holds a reference, not a copy (nor the whole section).
	strs interner
	site CallSite // the one walk hands out, reused
}

// newOpener reads r's ELF header and what every pass over its notes
// needs.
func newOpener(r io.ReaderAt, path string, fi os.FileInfo, opts *Options) (*opener, error) {
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotELF, err)
	}
	o := &opener{r: r, ef: ef, f: &File{
		Machine:   ef.Machine,
		Arch:      ArchFor(ef.Machine, ef.Class),
		Class:     ef.Class,
		ByteOrder: ef.ByteOrder,
		Type:      ef.Type,
	}}
	sec := ef.Section(".note.stapsdt")
	if sec == nil || sec.Type != elf.SHT_NOTE {
		return o, nil
	}
	if sec.Size > MaxNoteSectionSize {
		return nil, fmt.Errorf("%w: .note.stapsdt holds %d bytes%s, more than the %d MiB a note section may (compiler.MaxNoteSectionSize)",
			ErrLimit, sec.Size, compressedNote(sec), MaxNoteSectionSize>>20)
	}
	o.sec = sec
	if s := ef.Section(".stapsdt.base"); s != nil {
		o.baseAddr, o.haveBase = s.Addr, true
	}
	o.loads = loadSegments(ef)
	o.code = &codeReader{r: r}
	o.syms = &symbols{ef: ef, path: path, self: fi, dirs: opts.debugDirs()}
	return o, nil
}

// notes opens the note section for one pass. Its end checks that the
// section held as many bytes as its header says, no more (a compressed
// one's stream may inflate to any size) and no fewer.
func (o *opener) notes() *sectionStream {
	if o.sec.Type == elf.SHT_NOBITS {
		return newSectionStream(o.sec.Name, strings.NewReader(""), 0)
	}
	return newSectionStream(o.sec.Name, o.sec.Open(), int64(o.sec.Size))
}

// countNotes counts the note headers, reading the whole section: a
// section that cannot be read fails here, before any call site.
func (o *opener) countNotes() (int, error) {
	s := o.notes()
	n, err := countNotes(s, o.ef.ByteOrder, int(o.sec.Addralign))
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return 0, fmt.Errorf("%w: reading .note.stapsdt: %w", ErrNotELF, err)
	}
	return n, nil
}

// walk reads the notes and hands each call site to fn, until fn returns
// false. The call site is reused: fn must copy what it keeps. Each pass
// starts afresh (compiled arguments, budget, note errors), so that every
// pass gives the same call sites; at its end, unless fn stopped it, the
// File's NoteErrors and debug file fields are those of this pass.
func (o *opener) walk(fn func(p *CallSite) bool) error {
	f, syms := o.f, o.syms
	// Call sites repeat argument strings (inlined probes, one probe
	// per function): each distinct string is compiled once and its
	// arguments shared, read-only, by every call site that has it.
	compiled := map[string][]Argument{}
	// budget is what is left of maxArgumentRecords: every argument
	// compiled, and every per-call-site copy made to resolve a symbol,
	// takes one. Real files share a few argument strings among all
	// their call sites; a crafted one could make every note distinct.
	budget := maxArgumentRecords
	var errs noteErrors
	sites := 0
	stopped := false // by fn: the rest of the section is not read
	s := o.notes()
	err := parseNotes(s, o.ef.ByteOrder, o.ef.Class, int(o.sec.Addralign), &o.strs, &errs, func(n rawNote) bool {
		if sites == maxCallSites {
			errs.add(&NoteError{Index: n.Index, Offset: n.Offset, Err: ErrLimit,
				Reason: fmt.Sprintf("more than %d call sites (compiler.MaxCallSites); this note and the ones after it are not read", maxCallSites)})
			return false
		}
		o.site = CallSite{
			NoteIndex: n.Index,
			Provider:  n.Provider,
			Name:      n.Name,
			PC:        n.PC,
			Base:      n.Base,
			Semaphore: n.Semaphore,
			Args:      n.Args,
		}
		p := &o.site
		// Prelink moves the loaded sections but not the non-allocated
		// note, so shift by how far .stapsdt.base moved.
		if o.haveBase && n.Base != 0 {
			delta := o.baseAddr - n.Base
			p.PC += delta
			if p.Semaphore != 0 {
				p.Semaphore += delta
			}
		}
		p.Err = f.locate(p, o.loads)
		if p.Err == nil && f.Arch != nil && f.Arch.CheckSite != nil {
			p.Err = f.Arch.CheckSite(p.PC, syms.code())
		}
		p.Code = &noSite
		if f.Arch != nil && f.Arch.DecodeSite != nil {
			p.Code = o.code.site(f.Arch, o.loads, p.PC)
		}
		args, ok := compiled[n.Args]
		if !ok {
			ops := arch.Split(n.Args)
			if len(ops) > MaxNoteArgs {
				errs.add(&NoteError{Index: n.Index, Offset: n.Offset, Err: ErrLimit,
					Reason: fmt.Sprintf("%d arguments, more than %d (compiler.MaxNoteArgs; sys/sdt.h writes at most 12)", len(ops), MaxNoteArgs)})
				return true
			}
			if budget < len(ops) {
				errs.add(budgetError(n))
				return true
			}
			args = f.compile(ops)
			compiled[n.Args] = args
			budget -= len(args)
		}
		if symbolic(args) {
			if budget < len(args) {
				errs.add(budgetError(n))
				return true
			}
			budget -= len(args)
		}
		p.Arguments = f.resolveSymbols(args, p.PC, syms)
		sites++
		stopped = !fn(p)
		return !stopped
	})
	if err == nil && !stopped {
		err = s.end()
	}
	if err != nil {
		return fmt.Errorf("%w: reading .note.stapsdt: %w", ErrNotELF, err)
	}
	if !stopped {
		f.NoteErrors = errs.list()
		f.DebugFileErrors = syms.rejected
		f.DebugFile = syms.debugPath
	}
	return nil
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

// symbolic reports whether any argument names a symbol: those are
// resolved into a copy per call site.
func symbolic(args []Argument) bool {
	for i := range args {
		if args[i].Err == nil && args[i].Symbol != "" {
			return true
		}
	}
	return false
}

func budgetError(n rawNote) *NoteError {
	return &NoteError{Index: n.Index, Offset: n.Offset, Err: ErrLimit,
		Reason: fmt.Sprintf("more than %d arguments compiled in this file (distinct argument strings, and symbolic arguments per call site); not compiled", maxArgumentRecords)}
}

// compressedNote says that a section is compressed, for error messages.
func compressedNote(sec *elf.Section) string {
	if sec.Flags&elf.SHF_COMPRESSED != 0 {
		return " once inflated (SHF_COMPRESSED)"
	}
	return ""
}

// readSection reads a section's contents, inflated when it is
// compressed, failing rather than returning more than limit bytes: a
// compressed section's header may claim any size, and zlib inflates
// 1 MB to 1 GB.
func readSection(sec *elf.Section, limit uint64) ([]byte, error) {
	if sec.Size > limit {
		return nil, fmt.Errorf("%w: section %s holds %d bytes%s, more than %d", ErrLimit, sec.Name, sec.Size, compressedNote(sec), limit)
	}
	if sec.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(sec.Open(), int64(sec.Size)+1))
	if err != nil {
		return nil, fmt.Errorf("section %s: %w", sec.Name, err)
	}
	if uint64(len(data)) != sec.Size {
		return nil, fmt.Errorf("section %s: %d bytes read, its header says %d", sec.Name, len(data), sec.Size)
	}
	return data, nil
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

// compile parses every argument of a call site (arch.Split's operands)
// with the file's grammar.
// Each argument fails or succeeds on its own.
func (f *File) compile(ops []string) []Argument {
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
