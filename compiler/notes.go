package compiler

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrMalformedNote is wrapped by every [NoteError].
var ErrMalformedNote = errors.New("malformed stapsdt note")

// ErrLimit is wrapped by the errors of input over one of the limits
// below (a [NoteError], or the file's error for a note section too large
// to read). The limits bound the time and memory one file can take; each
// is far above what sys/sdt.h produces, so that only a crafted or broken
// file meets them.
var ErrLimit = errors.New("over a limit of usdtspec")

// Limits on what one file may make usdtspec read or hold; see [ErrLimit]
// and docs/dump.md.
const (
	// MaxNoteSectionSize bounds .note.stapsdt, compressed
	// (SHF_COMPRESSED) sections once inflated: 128 MiB, one and a half
	// times the section of the million-call-site file of the dump
	// benchmark (82 MB). Real files hold kilobytes (a note is about
	// 80 bytes; the largest Debian file of the corpus has a few thousand
	// call sites). Without it a 1 MB zlib stream inflates to 1 GB.
	MaxNoteSectionSize = 128 << 20
	// MaxCallSites bounds the notes read from one file: twice the
	// benchmark's million. Each call site costs about 150 bytes, so this
	// caps that part of a file's memory near 300 MB.
	MaxCallSites = 1 << 21
	// MaxNoteString bounds a note's provider, name and argument
	// strings, each: an identifier, and 12 operands of a few dozen
	// characters, are far below it. It also bounds what dump prints of
	// one call site.
	MaxNoteString = 4096
	// MaxNoteArgs bounds a note's arguments. sys/sdt.h writes at most
	// 12, and libbpf's spec holds 12 ([MaxArgs]); notes of 13 to 32 are
	// still compiled, for their own per-argument errors and the spec's
	// [ErrTooManyArgs].
	MaxNoteArgs = 32
)

// maxArgumentRecords bounds the Arguments held for one file: each
// distinct argument string's compiled arguments, and the per-call-site
// copies of symbolic ones. An Argument is 160 bytes, so 1M of them is
// 160 MB; real files have a few hundred distinct strings.
var maxArgumentRecords = 1 << 20

// maxCallSites is MaxCallSites, lowered by the tests, which cannot
// afford two million notes.
var maxCallSites = MaxCallSites

// maxNoteErrors bounds the NoteErrors kept for one file (a 128 MiB
// section could hold six million malformed 20-byte notes); the ones
// after it are counted in one last NoteError.
var maxNoteErrors = 1000

// noteErrors collects a file's NoteErrors, the first maxNoteErrors of
// them, and counts the rest.
type noteErrors struct {
	errs    []error
	dropped int
	first   *NoteError // the first one not kept
}

func (l *noteErrors) add(e *NoteError) {
	if len(l.errs) < maxNoteErrors {
		l.errs = append(l.errs, e)
		return
	}
	if l.dropped == 0 {
		l.first = e
	}
	l.dropped++
}

// list is the errors kept, and one for those that were not.
func (l *noteErrors) list() []error {
	if l.dropped == 0 {
		return l.errs
	}
	return append(l.errs, &NoteError{Index: l.first.Index, Offset: l.first.Offset, Err: ErrLimit,
		Reason: fmt.Sprintf("this and %d more notes could not be read either; only the first %d such errors are listed", l.dropped-1, maxNoteErrors)})
}

// NoteError says which note of .note.stapsdt could not be read.
type NoteError struct {
	Index  int   // 0-based position of the note in the section
	Offset int64 // byte offset of the note's header within the section
	Reason string
	// Err is a sentinel besides ErrMalformedNote, or nil: ErrLimit for a
	// note over one of the limits.
	Err error
}

func (e *NoteError) Error() string {
	return fmt.Sprintf("note #%d at section offset %#x: %s", e.Index, e.Offset, e.Reason)
}

// Unwrap gives ErrMalformedNote, and Err when set.
func (e *NoteError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrMalformedNote, e.Err}
	}
	return []error{ErrMalformedNote}
}

// ntStapsdt is the note type of SystemTap SDT version 3 notes.
const ntStapsdt = 3

// rawNote is one stapsdt note as stored: link-time addresses, not yet
// adjusted for prelink or translated to file offsets.
type rawNote struct {
	Index     int
	Offset    int64
	PC        uint64
	Base      uint64
	Semaphore uint64
	Provider  string
	Name      string
	Args      string
}

// parseNotes walks the contents of a .note.stapsdt section, read in
// order from s. Notes of other owners or types are skipped. A note whose
// sizes run past the section ends the walk, because the next note cannot
// be found; any other malformed note is reported in errs and the walk
// goes on. The notes' strings are interned in strs. The error is the
// section's read error.
func parseNotes(s *sectionStream, order binary.ByteOrder, class elf.Class, align int, strs *interner, errs *noteErrors, yield func(rawNote) bool) error {
	word := 8
	if class == elf.ELFCLASS32 {
		word = 4
	}
	if align != 8 {
		align = 4
	}
	size := uint64(s.size)
	for index, off := 0, uint64(0); off < size; index++ {
		fail := func(format string, args ...any) {
			errs.add(&NoteError{Index: index, Offset: int64(off), Reason: fmt.Sprintf(format, args...)})
		}
		if size-off < 12 {
			fail("truncated header: %d bytes left, need 12", size-off)
			break
		}
		hdr, err := s.take(12)
		if err != nil {
			return err
		}
		namesz := uint64(order.Uint32(hdr))
		descsz := uint64(order.Uint32(hdr[4:]))
		typ := order.Uint32(hdr[8:])
		nameOff := off + 12
		descOff := alignUp(nameOff+namesz, align)
		end := alignUp(descOff+descsz, align)
		if descOff+descsz > size {
			fail("name size %d and desc size %d run past the section end (%d bytes)", namesz, descsz, size)
			break
		}
		next := min(end, size)
		// The note's name, desc and padding, in the stream's buffer
		// (copied only when a note is larger than it: a crafted one).
		body, err := s.take(int(next - nameOff))
		if err != nil {
			return err
		}
		if typ != ntStapsdt || !bytes.Equal(body[:namesz], []byte("stapsdt\x00")) {
			off = next
			continue
		}
		desc := body[descOff-nameOff : descOff-nameOff+descsz]
		n, texts, reason := decodeDesc(desc, order, word)
		if reason != "" {
			fail("%s", reason)
		} else if long := longString(texts); long != "" {
			errs.add(&NoteError{Index: index, Offset: int64(off), Err: ErrLimit,
				Reason: fmt.Sprintf("%s, longer than %d bytes (compiler.MaxNoteString)", long, MaxNoteString)})
		} else {
			n.Index, n.Offset = index, int64(off)
			n.Provider, n.Name, n.Args = strs.get(0, texts[0]), strs.get(1, texts[1]), strs.get(2, texts[2])
			if !yield(n) {
				return nil
			}
		}
		off = next
	}
	return nil
}

// decodeDesc reads pc, base, semaphore and the three strings of a desc
// (provider, name, arguments; not in the rawNote: they are interned
// once checked).
func decodeDesc(desc []byte, order binary.ByteOrder, word int) (rawNote, [3][]byte, string) {
	var n rawNote
	var strs [3][]byte
	if len(desc) < 3*word+3 {
		return n, strs, fmt.Sprintf("desc is %d bytes, shorter than three %d-byte addresses and three strings", len(desc), word)
	}
	read := func(i int) uint64 {
		if word == 4 {
			return uint64(order.Uint32(desc[i*4:]))
		}
		return order.Uint64(desc[i*8:])
	}
	n.PC, n.Base, n.Semaphore = read(0), read(1), read(2)
	rest := desc[3*word:]
	for i, what := range [3]string{"provider", "name", "arguments"} {
		nul := bytes.IndexByte(rest, 0)
		if nul < 0 {
			return n, strs, fmt.Sprintf("%s string has no terminating NUL", what)
		}
		strs[i] = rest[:nul]
		rest = rest[nul+1:]
	}
	if len(strs[1]) == 0 {
		return n, strs, "empty probe name"
	}
	return n, strs, ""
}

// longString names the first of a note's strings (provider, name,
// arguments) over MaxNoteString.
func longString(strs [3][]byte) string {
	for i, what := range [...]string{"provider", "name", "argument string"} {
		if len(strs[i]) > MaxNoteString {
			return fmt.Sprintf("%s of %d bytes", what, len(strs[i]))
		}
	}
	return ""
}

func alignUp(v uint64, a int) uint64 {
	return (v + uint64(a) - 1) &^ (uint64(a) - 1)
}

// countNotes counts the note headers of a section without decoding them,
// so that the caller can size its slices once.
func countNotes(s *sectionStream, order binary.ByteOrder, align int) (int, error) {
	if align != 8 {
		align = 4
	}
	size := uint64(s.size)
	n := 0
	for off := uint64(0); off+12 <= size; n++ {
		hdr, err := s.take(12)
		if err != nil {
			return n, err
		}
		namesz := uint64(order.Uint32(hdr))
		descsz := uint64(order.Uint32(hdr[4:]))
		next := alignUp(alignUp(off+12+namesz, align)+descsz, align)
		if err := s.skip(int64(min(next, size) - off - 12)); err != nil {
			return n, err
		}
		off = next
	}
	return n, nil
}

// noteBuffer is how much of the note section is read at a time: a
// section of a million notes is 82 MB, and none of it needs to be
// held at once.
const noteBuffer = 64 << 10

// sectionStream reads a section's contents in order through a buffer,
// never holding the whole section. It counts what it reads so that end
// can check the size: a compressed section's header may claim any size,
// and zlib inflates 1 MB to 1 GB.
type sectionStream struct {
	name    string
	size    int64 // what the section header says
	r       *countingReader
	br      *bufio.Reader
	pending int    // bytes peeked by the last take, consumed by the next
	scratch []byte // a note larger than the buffer
}

func newSectionStream(name string, r io.Reader, size int64) *sectionStream {
	cr := &countingReader{r: io.LimitReader(r, size+1)}
	return &sectionStream{name: name, size: size, r: cr, br: bufio.NewReaderSize(cr, noteBuffer)}
}

// take returns the next n bytes, valid until the next call.
func (s *sectionStream) take(n int) ([]byte, error) {
	if _, err := s.br.Discard(s.pending); err != nil {
		return nil, s.short(err)
	}
	s.pending = 0
	if n <= s.br.Size() {
		b, err := s.br.Peek(n)
		if err != nil {
			return nil, s.short(err)
		}
		s.pending = n
		return b, nil
	}
	if cap(s.scratch) < n {
		s.scratch = make([]byte, n)
	}
	if _, err := io.ReadFull(s.br, s.scratch[:n]); err != nil {
		return nil, s.short(err)
	}
	return s.scratch[:n], nil
}

// skip passes over n bytes (at most the section's size, which
// MaxNoteSectionSize bounds).
func (s *sectionStream) skip(n int64) error {
	n += int64(s.pending)
	s.pending = 0
	if _, err := s.br.Discard(int(n)); err != nil {
		return s.short(err)
	}
	return nil
}

// end reads what is left of the section and checks its size.
func (s *sectionStream) end() error {
	s.pending = 0
	if _, err := io.Copy(io.Discard, s.br); err != nil {
		return fmt.Errorf("section %s: %w", s.name, err)
	}
	if s.r.n != s.size {
		return fmt.Errorf("section %s: %d bytes read, its header says %d", s.name, s.r.n, s.size)
	}
	return nil
}

// short is the error of a read that the section's header says should
// have succeeded: the stream ended early, or failed.
func (s *sectionStream) short(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("section %s: %d bytes read, its header says %d", s.name, s.r.n, s.size)
	}
	return fmt.Errorf("section %s: %w", s.name, err)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// maxInterned bounds the distinct strings an interner keeps. Real files
// have a few hundred; past the bound (a crafted file of distinct
// strings) each note gets its own copy, as without interning.
const maxInterned = 1 << 16

// interner hands out one string per distinct content.
type interner struct {
	m map[string]string
	// last is the string last handed out for each of a note's three
	// fields: notes in a row often repeat their provider, or more, and
	// a comparison is cheaper than a map lookup.
	last [3]string
}

// get interns b, a note's field (0 provider, 1 name, 2 arguments).
func (in *interner) get(field int, b []byte) string {
	if string(b) == in.last[field] { // no allocation for the comparison
		return in.last[field]
	}
	s, ok := in.m[string(b)] // nor for the lookup
	if !ok {
		s = string(b)
		if in.m == nil {
			in.m = map[string]string{}
		}
		if len(in.m) < maxInterned {
			in.m[s] = s
		}
	}
	in.last[field] = s
	return s
}
