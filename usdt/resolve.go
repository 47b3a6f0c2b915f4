package usdt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usdtspec/usdtspec/compiler"
)

// ErrNotFound: a short library or program name resolves to no file.
var ErrNotFound = errors.New("no such library or program")

// ldCachePath is the dynamic loader's cache of library paths.
var ldCachePath = "/etc/ld.so.cache"

// libraryDirs are the loader's own default directories, searched after
// its cache.
var libraryDirs = []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// Resolve turns a short name into the path of the file it names, as a
// user means it: a path (with a '/') is returned as it is; with pid > 0,
// a file the process has mapped whose name is name, or name plus a
// version or ".so" suffix ("libc" and "libc.so" find libc.so.6), is
// found first, opened through /proc/PID/root; then a file of that name
// in the working directory; then a library name
// resolves as the dynamic loader would, through /etc/ld.so.cache and
// its default directories, keeping only files of the host's
// architecture; a name without ".so" is last looked up in $PATH, as a
// program. It fails with [ErrNotFound], saying where it looked.
func Resolve(name string, pid int) (string, error) {
	if name == "" {
		return "", fmt.Errorf("usdt: %w: empty name", ErrNotFound)
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	var looked []string
	if pid > 0 {
		files, err := ProcessFiles(pid)
		if err != nil {
			return "", err
		}
		for _, f := range files {
			if nameMatches(filepath.Base(f.Path), name) {
				return f.Open, nil
			}
		}
		looked = append(looked, fmt.Sprintf("the %d files process %d maps", len(files), pid))
	}
	if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
		return name, nil // a file in the working directory
	}
	looked = append(looked, "the working directory")
	if p, ok := loaderPath(name); ok {
		return p, nil
	}
	looked = append(looked, ldCachePath, strings.Join(libraryDirs, ", "))
	if !strings.Contains(name, ".so") {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		looked = append(looked, "$PATH")
	}
	return "", fmt.Errorf("usdt: %w: %q (looked in %s)", ErrNotFound, name, strings.Join(looked, "; "))
}

// LookupLibrary finds a library as the dynamic loader does after the
// object's own search paths: through /etc/ld.so.cache, then the loader's
// default directories, keeping only files of the host's architecture.
// name may also be short, as for [Resolve] ("libc" finds libc.so.6).
func LookupLibrary(name string) (string, error) {
	if p, ok := loaderPath(name); ok {
		return p, nil
	}
	return "", fmt.Errorf("usdt: %w: %q (looked in %s; %s)", ErrNotFound, name, ldCachePath, strings.Join(libraryDirs, ", "))
}

func loaderPath(name string) (string, bool) {
	if p, ok := fromLoaderCache(name); ok {
		return p, true
	}
	for _, dir := range libraryDirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if p := filepath.Join(dir, e.Name()); nameMatches(e.Name(), name) && hostELF(p) {
				return p, true
			}
		}
	}
	return "", false
}

// nameMatches reports whether a file name is what a user means by name:
// the name itself, or the name followed by ".so" or a version suffix
// ("libc" → "libc.so.6", "libc.so" → "libc.so.6").
func nameMatches(file, name string) bool {
	if file == name {
		return true
	}
	rest, ok := strings.CutPrefix(file, name)
	if !ok {
		return false
	}
	return strings.HasPrefix(rest, ".so") || strings.HasSuffix(name, ".so") && strings.HasPrefix(rest, ".")
}

// hostELF reports whether the file at path is an ELF file of the host's
// architecture, one the running kernel can trace.
func hostELF(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	a := compiler.ArchFor(f.Machine, f.Class)
	return a != nil && slices.Contains(a.GOARCH, hostArch())
}

// fromLoaderCache looks name up in the loader's cache: the first entry
// that name matches and that is a file of the host's architecture (the
// cache of a multiarch system lists the libraries of every installed
// architecture).
func fromLoaderCache(name string) (string, bool) {
	data, err := os.ReadFile(ldCachePath)
	if err != nil {
		return "", false
	}
	entries, err := parseLoaderCache(data)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if nameMatches(e.name, name) && hostELF(e.path) {
			return e.path, true
		}
	}
	return "", false
}

type loaderCacheEntry struct{ name, path string }

// The loader's cache format (glibc's elf/cache.c, "new format" since
// glibc 2.2, the only one written since 2.32): a 48-byte header, the
// magic "glibc-ld.so.cache1.1" then the entry count, then 24-byte
// entries {flags int32, key, value uint32, osversion uint32, hwcap
// uint64}, key and value being offsets of NUL-terminated strings from
// the start of the new-format part. Older caches put it after an
// old-format part ("ld.so-1.7.0", 12-byte entries), aligned to 8 bytes.
const (
	ldCacheMagic     = "glibc-ld.so.cache1.1"
	ldCacheOldMagic  = "ld.so-1.7.0"
	ldCacheHeader    = 48
	ldCacheEntrySize = 24
)

func parseLoaderCache(data []byte) ([]loaderCacheEntry, error) {
	if bytes.HasPrefix(data, []byte(ldCacheOldMagic)) {
		if len(data) < 16 {
			return nil, errors.New("ld.so.cache: truncated old-format header")
		}
		n := binary.NativeEndian.Uint32(data[12:])
		off := uint64(16) + uint64(n)*12
		off = (off + 7) &^ 7
		if off > uint64(len(data)) {
			return nil, errors.New("ld.so.cache: old-format entries beyond the file")
		}
		data = data[off:]
	}
	if !bytes.HasPrefix(data, []byte(ldCacheMagic)) || len(data) < ldCacheHeader {
		return nil, errors.New("ld.so.cache: no glibc-ld.so.cache1.1 header")
	}
	n := uint64(binary.NativeEndian.Uint32(data[20:]))
	if ldCacheHeader+n*ldCacheEntrySize > uint64(len(data)) {
		return nil, fmt.Errorf("ld.so.cache: %d entries do not fit in %d bytes", n, len(data))
	}
	str := func(off uint32) (string, bool) {
		if uint64(off) >= uint64(len(data)) {
			return "", false
		}
		s, _, ok := bytes.Cut(data[off:], []byte{0})
		return string(s), ok
	}
	out := make([]loaderCacheEntry, 0, n)
	for i := range n {
		e := data[ldCacheHeader+i*ldCacheEntrySize:]
		name, ok1 := str(binary.NativeEndian.Uint32(e[4:]))
		path, ok2 := str(binary.NativeEndian.Uint32(e[8:]))
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("ld.so.cache: entry %d: string offset out of the file", i)
		}
		out = append(out, loaderCacheEntry{name, path})
	}
	return out, nil
}
