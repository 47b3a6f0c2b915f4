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

// NoteError says which note of .note.stapsdt could not be read.
type NoteError struct {
	Index  int   // 0-based position of the note in the section
	Offset int64 // byte offset of the note's header within the section
	Reason string
}

func (e *NoteError) Error() string {
	return fmt.Sprintf("note #%d at section offset %#x: %s", e.Index, e.Offset, e.Reason)
}

func (e *NoteError) Unwrap() error { return ErrMalformedNote }

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
// is reported and the walk goes on.
func parseNotes(data []byte, order binary.ByteOrder, class elf.Class, align int, yield func(rawNote) bool) []error {
	var errs []error
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
			errs = append(errs, &NoteError{Index: index, Offset: int64(off), Reason: fmt.Sprintf(format, args...)})
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
		} else {
			n.Index, n.Offset = index, int64(off)
			if !yield(n) {
				return errs
			}
		}
		off = next
	}
	return errs
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
