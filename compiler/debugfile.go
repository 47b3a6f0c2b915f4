package compiler

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
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
	// non-nil slice means none. A candidate that is not a regular file,
	// is writable by group or others, or belongs to someone else is
	// skipped unread, and said in [File].DebugFileErrors (see
	// openDebugCandidate).
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
	// A file name and a CRC32: a section beyond PATH_MAX is not one.
	data, err := readSection(sec, 4096+8)
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

// ErrDebugFileRejected is wrapped by the errors of [File].DebugFileErrors:
// a candidate separate debug file that exists but was not used.
var ErrDebugFileRejected = errors.New("debug file not used")

// MaxDebugFileSize bounds a candidate debug file, which is read whole
// for the CRC32 of a .gnu_debuglink: 8 GiB, above the largest debug
// files distributions ship (a browser's, 2 to 4 GB) and a few seconds
// of CRC32, where a sparse file of a terabyte would take an hour.
const MaxDebugFileSize = 8 << 30

// debugFile is an open separate debug file.
type debugFile struct {
	*elf.File
	f *os.File
}

func (d *debugFile) Close() error {
	d.File.Close()
	return d.f.Close()
}

// openDebugFile finds and opens the separate debug file of ef (at path,
// "" when unknown; self its FileInfo, nil when unknown) in dirs, or
// returns nil. The debug file must be of the same machine and class, and
// carry the same build-id, or match the debuglink's CRC32. The
// candidates that exist but were not used come back in rejected, each
// saying why.
func openDebugFile(ef *elf.File, path string, self os.FileInfo, dirs []string) (dbg *debugFile, dbgPath string, rejected []error) {
	id := buildID(ef)
	same := func(d *elf.File) bool { return d.Machine == ef.Machine && d.Class == ef.Class }
	reject := func(p, format string, a ...any) {
		rejected = append(rejected, fmt.Errorf("%s: %w: %s", p, ErrDebugFileRejected, fmt.Sprintf(format, a...)))
	}
	// try opens a candidate and checks it; crc, when non-nil, is the
	// debuglink's CRC32 the whole file must have.
	try := func(p string, crc *uint32) *debugFile {
		f, fi, err := openDebugCandidate(p, self)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				rejected = append(rejected, err)
			}
			return nil
		}
		if self != nil && os.SameFile(fi, self) {
			f.Close()
			return nil // the stripped file itself, found through its own folder
		}
		if crc != nil {
			h := crc32.NewIEEE()
			// CopyN: a file growing while it is read is read to the
			// size checked, no further.
			if _, err := io.CopyN(h, f, fi.Size()); err != nil {
				f.Close()
				reject(p, "reading it for its CRC32: %v", err)
				return nil
			}
			if sum := h.Sum32(); sum != *crc {
				f.Close()
				reject(p, "CRC32 %08x, the .gnu_debuglink says %08x (another build)", sum, *crc)
				return nil
			}
		}
		d, err := elf.NewFile(f)
		switch {
		case err != nil:
			reject(p, "not a readable ELF file: %v", err)
		case !same(d):
			reject(p, "%v %v, the file is %v %v", d.Machine, d.Class, ef.Machine, ef.Class)
		case crc == nil && !bytes.Equal(buildID(d), id), crc != nil && len(id) > 0 && !bytes.Equal(buildID(d), id):
			reject(p, "build-id %x, the file's is %x", buildID(d), id)
		default:
			return &debugFile{d, f}
		}
		if d != nil {
			d.Close()
		}
		f.Close()
		return nil
	}
	if len(id) >= 2 {
		hexID := hex.EncodeToString(id)
		for _, dir := range dirs {
			p := filepath.Join(dir, ".build-id", hexID[:2], hexID[2:]+".debug")
			if d := try(p, nil); d != nil {
				return d, p, rejected
			}
		}
	}
	name, crc, ok := debugLink(ef)
	if !ok {
		return nil, "", rejected
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
		if d := try(p, &crc); d != nil {
			return d, p, rejected
		}
	}
	return nil, "", rejected
}

// openDebugCandidate opens a candidate debug file if it may be read.
//
// gdb follows symlinks to debug files, and trusts whatever file has the
// right CRC32 or build-id: it checks neither the kind of file nor who
// may write it. A symlink named by an untrusted binary's .gnu_debuglink,
// next to that binary, could then make a root tracer read /dev/zero
// forever, block on a FIFO, or read a file only root may read. Symlinks
// are still followed here (Fedora's .build-id entries are symlinks into
// /usr/lib/debug), but the file they lead to, checked on the open
// descriptor so that it cannot be swapped after the check, must be:
//   - a regular file of at most MaxDebugFileSize bytes;
//   - owned by root, by the binary's owner or by the user running
//     usdtspec, and writable by neither group nor others, so that no
//     one else can change the symbols it gives;
//   - readable by the binary's owner when that owner is not root: a
//     root tracer reads nothing for a user's binary that the user could
//     not read.
func openDebugCandidate(p string, self os.FileInfo) (*os.File, os.FileInfo, error) {
	f, fi, err := openNonblocking(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once, first
		}
		return nil, nil, fmt.Errorf("%s: %w: %w", p, ErrDebugFileRejected, err)
	}
	why := ""
	if !fi.Mode().IsRegular() {
		why = "not a regular file (" + fileKind(fi.Mode()) + ")"
	} else if why = debugFilePolicy(fi, self); why == "" {
		if err := clearNonblock(f); err != nil {
			why = "clearing O_NONBLOCK: " + err.Error()
		}
	}
	if why != "" {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w: %s", p, ErrDebugFileRejected, why)
	}
	return f, fi, nil
}

// debugFilePolicy says why a debug file must not be read, or "".
func debugFilePolicy(fi, self os.FileInfo) string {
	if fi.Size() > MaxDebugFileSize {
		return fmt.Sprintf("%d bytes, more than %d GiB (compiler.MaxDebugFileSize)", fi.Size(), MaxDebugFileSize>>30)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return fmt.Sprintf("mode %v: writable by group or others", perm)
	}
	uid, ok := fileOwner(fi)
	if !ok {
		return "" // no owners to check (not Unix)
	}
	euid := uint32(os.Geteuid())
	binOwner, known := uint32(0), false
	if self != nil {
		binOwner, known = fileOwner(self)
	}
	if uid != 0 && uid != euid && (!known || uid != binOwner) {
		if known {
			return fmt.Sprintf("owned by uid %d: neither root, nor the binary's owner (uid %d), nor this user (uid %d)", uid, binOwner, euid)
		}
		return fmt.Sprintf("owned by uid %d: neither root nor this user (uid %d)", uid, euid)
	}
	if known && binOwner != 0 && uid != binOwner && perm&0o004 == 0 {
		return fmt.Sprintf("owned by uid %d, mode %v: the binary's owner (uid %d) could not read it", uid, perm, binOwner)
	}
	return ""
}
