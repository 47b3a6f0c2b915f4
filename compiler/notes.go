package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
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

// parseNotes walks the contents of a .note.stapsdt section. Notes of other
// owners or types are skipped. A note whose sizes run past the section ends
// the walk, because the next note cannot be found; any other malformed note
// is reported in errs and the walk goes on.
func parseNotes(data []byte, order binary.ByteOrder, class elf.Class, align int, errs *noteErrors, yield func(rawNote) bool) {
	word := 8
	if class == elf.ELFCLASS32 {
		word = 4
	}
	if align != 8 {
		align = 4
	}
	// One copy of the section as a string: every provider, name and
	// argument string is a substring of it, so the strings of a million
	// notes cost the section's size, not a million allocations.
	text := string(data)
	for index, off := 0, 0; off < len(data); index++ {
		fail := func(format string, args ...any) {
			errs.add(&NoteError{Index: index, Offset: int64(off), Reason: fmt.Sprintf(format, args...)})
		}
		if len(data)-off < 12 {
			fail("truncated header: %d bytes left, need 12", len(data)-off)
			break
		}
		namesz := uint64(order.Uint32(data[off:]))
		descsz := uint64(order.Uint32(data[off+4:]))
		typ := order.Uint32(data[off+8:])
		nameOff := uint64(off) + 12
		descOff := alignUp(nameOff+namesz, align)
		end := alignUp(descOff+descsz, align)
		if descOff+descsz > uint64(len(data)) {
			fail("name size %d and desc size %d run past the section end (%d bytes)", namesz, descsz, len(data))
			break
		}
		next := int(min(end, uint64(len(data))))
		name := data[nameOff : nameOff+namesz]
		if typ != ntStapsdt || !bytes.Equal(name, []byte("stapsdt\x00")) {
			off = next
			continue
		}
		desc := data[descOff : descOff+descsz]
		n, reason := decodeDesc(desc, text[descOff:descOff+descsz], order, word)
		if reason != "" {
			fail("%s", reason)
		} else if long := longString(n); long != "" {
			errs.add(&NoteError{Index: index, Offset: int64(off), Err: ErrLimit,
				Reason: fmt.Sprintf("%s, longer than %d bytes (compiler.MaxNoteString)", long, MaxNoteString)})
		} else {
			n.Index, n.Offset = index, int64(off)
			if !yield(n) {
				return
			}
		}
		off = next
	}
}

// decodeDesc reads pc, base, semaphore and the three strings of a desc.
// descText is desc as a string, for substrings.
func decodeDesc(desc []byte, descText string, order binary.ByteOrder, word int) (rawNote, string) {
	var n rawNote
	if len(desc) < 3*word+3 {
		return n, fmt.Sprintf("desc is %d bytes, shorter than three %d-byte addresses and three strings", len(desc), word)
	}
	read := func(i int) uint64 {
		if word == 4 {
			return uint64(order.Uint32(desc[i*4:]))
		}
		return order.Uint64(desc[i*8:])
	}
	n.PC, n.Base, n.Semaphore = read(0), read(1), read(2)
	rest := descText[3*word:]
	var strs [3]string
	for i, what := range [3]string{"provider", "name", "arguments"} {
		nul := strings.IndexByte(rest, 0)
		if nul < 0 {
			return n, fmt.Sprintf("%s string has no terminating NUL", what)
		}
		strs[i] = rest[:nul]
		rest = rest[nul+1:]
	}
	n.Provider, n.Name, n.Args = strs[0], strs[1], strs[2]
	if n.Name == "" {
		return n, "empty probe name"
	}
	return n, ""
}

// longString names the first of a note's strings over MaxNoteString.
func longString(n rawNote) string {
	for _, s := range [...]struct{ what, s string }{{"provider", n.Provider}, {"name", n.Name}, {"argument string", n.Args}} {
		if len(s.s) > MaxNoteString {
			return fmt.Sprintf("%s of %d bytes", s.what, len(s.s))
		}
	}
	return ""
}

func alignUp(v uint64, a int) uint64 {
	return (v + uint64(a) - 1) &^ (uint64(a) - 1)
}

// countNotes counts the note headers of a section without decoding them,
// so that the caller can size its slices once.
func countNotes(data []byte, order binary.ByteOrder, align int) int {
	if align != 8 {
		align = 4
	}
	n := 0
	for off := uint64(0); off+12 <= uint64(len(data)); n++ {
		namesz := uint64(order.Uint32(data[off:]))
		descsz := uint64(order.Uint32(data[off+4:]))
		off = alignUp(alignUp(off+12+namesz, align)+descsz, align)
	}
	return n
}
