package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// DefaultDebugDirs is where distributions install separate debug files
// (Debian's -dbg and -dbgsym packages, Fedora's debuginfo): the
// directories searched when [Options].DebugDirs is nil.
var DefaultDebugDirs = []string{"/usr/lib/debug"}

// Options says how to read a file.
type Options struct {
	// DebugDirs are searched, in order, for the separate debug file of a
	// file whose .symtab was stripped, when an operand names a symbol that
	// .dynsym does not hold (glibc's "mp_" and "perturb_byte" are
	// local). As gdb does: first by the file's GNU build-id,
	// DIR/.build-id/NN/NNNN….debug; then by its .gnu_debuglink name, next
	// to the file, in its .debug folder, and under each DIR (by the
	// file's own directory, then bare). A debug file counts only when its
	// build-id (or the debuglink's CRC32) matches: symbols of another
	// build would be a guess. nil means [DefaultDebugDirs]; an empty,
	// non-nil slice means none.
	DebugDirs []string
}

func (o *Options) debugDirs() []string {
	if o == nil || o.DebugDirs == nil {
		return DefaultDebugDirs
	}
	return o.DebugDirs
}

// buildID returns the GNU build-id note's bytes, or nil.
func buildID(ef *elf.File) []byte {
	for _, sec := range ef.Sections {
		if sec.Type != elf.SHT_NOTE || sec.Size > 1<<16 {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for off := 0; off+12 <= len(data); {
			namesz := int(ef.ByteOrder.Uint32(data[off:]))
			descsz := int(ef.ByteOrder.Uint32(data[off+4:]))
			typ := ef.ByteOrder.Uint32(data[off+8:])
			name := off + 12
			desc := name + (namesz+3)&^3
			next := desc + (descsz+3)&^3
			if namesz < 0 || descsz < 0 || desc+descsz > len(data) || desc < name {
				break
			}
			// NT_GNU_BUILD_ID is 3 in the "GNU" namespace.
			if typ == 3 && namesz == 4 && string(data[name:name+4]) == "GNU\x00" && descsz > 0 {
				return data[desc : desc+descsz]
			}
			off = next
		}
	}
	return nil
}

// debugLink returns the .gnu_debuglink section's file name and CRC32.
func debugLink(ef *elf.File) (string, uint32, bool) {
	sec := ef.Section(".gnu_debuglink")
	if sec == nil {
		return "", 0, false
	}
	data, err := sec.Data()
	if err != nil {
		return "", 0, false
	}
	end := bytes.IndexByte(data, 0)
	if end <= 0 {
		return "", 0, false
	}
	crcAt := (end + 1 + 3) &^ 3
	if crcAt+4 > len(data) {
		return "", 0, false
	}
	name := string(data[:end])
	if filepath.Base(name) != name {
		return "", 0, false // a name, never a path
	}
	return name, ef.ByteOrder.Uint32(data[crcAt:]), true
}

// openDebugFile finds and opens the separate debug file of ef (at path,
// "" when unknown) in dirs, or returns nil. The debug file must be of
// the same machine and class, and carry the same build-id, or match the
// debuglink's CRC32.
func openDebugFile(ef *elf.File, path string, dirs []string) (*elf.File, string) {
	id := buildID(ef)
	same := func(d *elf.File) bool { return d.Machine == ef.Machine && d.Class == ef.Class }
	if len(id) >= 2 {
		hexID := hex.EncodeToString(id)
		for _, dir := range dirs {
			p := filepath.Join(dir, ".build-id", hexID[:2], hexID[2:]+".debug")
			d, err := elf.Open(p)
			if err != nil {
				continue
			}
			if same(d) && bytes.Equal(buildID(d), id) {
				return d, p
			}
			d.Close()
		}
	}
	name, crc, ok := debugLink(ef)
	if !ok {
		return nil, ""
	}
	var candidates []string
	if path != "" {
		abs, err := filepath.Abs(path)
		if err == nil {
			dir := filepath.Dir(abs)
			candidates = append(candidates, filepath.Join(dir, name), filepath.Join(dir, ".debug", name))
			for _, d := range dirs {
				candidates = append(candidates, filepath.Join(d, dir, name))
			}
		}
	}
	for _, d := range dirs {
		candidates = append(candidates, filepath.Join(d, name))
	}
	for _, p := range candidates {
		if path != "" && sameFile(p, path) {
			continue // the stripped file itself, found through its own folder
		}
		if sum, ok := fileCRC32(p); !ok || sum != crc {
			continue
		}
		d, err := elf.Open(p)
		if err != nil {
			continue
		}
		if same(d) && (len(id) == 0 || bytes.Equal(buildID(d), id)) {
			return d, p
		}
		d.Close()
	}
	return nil, ""
}

// fileCRC32 is the CRC32 (IEEE) of a file's bytes, read as a stream: a
// debug file can be hundreds of megabytes.
func fileCRC32(path string) (uint32, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, f); err != nil {
		return 0, false
	}
	return h.Sum32(), true
}

func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
