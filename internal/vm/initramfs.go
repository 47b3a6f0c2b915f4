package vm

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cavaliergopher/cpio"

	"github.com/usdtspec/usdtspec/conformance"
)

// initramfs is the set of files packed for a guest, by guest path.
type initramfs struct {
	files map[string]string // guest path → host path
	data  map[string][]byte // guest path → contents
}

// buildInitramfs packs init as /init and every case under /cases, with
// the loader and libraries their ELF files ask for, found in sysroot
// ("/" for native cases, /usr/TRIPLE for the Debian cross toolchains).
func buildInitramfs(w io.Writer, init string, cases []conformance.Case, sysroot string) error {
	fs := &initramfs{files: map[string]string{}, data: map[string][]byte{}}
	fs.files["/init"] = init
	var list strings.Builder
	for _, c := range cases {
		guest := func(p string) string { return "/cases/" + filepath.Base(p) }
		fmt.Fprint(&list, guest(c.Executable))
		for _, l := range c.Libraries {
			fmt.Fprint(&list, " ", guest(l))
		}
		list.WriteString("\n")
		for _, p := range append([]string{c.Executable}, c.Libraries...) {
			fs.files[guest(p)] = p
			if err := fs.addDependencies(p, sysroot); err != nil {
				return err
			}
		}
	}
	fs.data[casesList] = []byte(list.String())
	return fs.write(w)
}

// addDependencies adds the program interpreter and the DT_NEEDED
// libraries of the ELF file at p, recursively. Libraries next to p (the
// cases' own, found through $ORIGIN) are packed next to it already.
func (fs *initramfs) addDependencies(p, sysroot string) error {
	f, err := elf.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(prog.Open())
		if err != nil {
			return err
		}
		interp := strings.TrimRight(string(b), "\x00")
		if _, ok := fs.files[interp]; !ok {
			host, err := findLibrary(sysroot, path.Base(interp))
			if err != nil {
				return fmt.Errorf("%s: interpreter %s: %w", p, interp, err)
			}
			fs.files[interp] = host
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil // static
	}
	for _, lib := range libs {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), lib)); err == nil {
			continue // a case library, packed with the case
		}
		guest := "/lib/" + lib
		if _, ok := fs.files[guest]; ok {
			continue
		}
		host, err := findLibrary(sysroot, lib)
		if err != nil {
			return fmt.Errorf("%s: library %s: %w", p, lib, err)
		}
		fs.files[guest] = host
		if err := fs.addDependencies(host, sysroot); err != nil {
			return err
		}
	}
	return nil
}

// findLibrary looks for a library in a sysroot's usual folders.
func findLibrary(sysroot, name string) (string, error) {
	var dirs []string
	for _, d := range []string{"lib", "lib64", "usr/lib", "lib/*-linux-gnu", "usr/lib/*-linux-gnu"} {
		m, _ := filepath.Glob(filepath.Join(sysroot, d))
		dirs = append(dirs, m...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return filepath.EvalSymlinks(p)
		}
	}
	return "", fmt.Errorf("not found under %s", sysroot)
}

func (fs *initramfs) write(w io.Writer) error {
	cw := cpio.NewWriter(w)
	dirs := map[string]bool{}
	var names []string
	for n := range fs.files {
		names = append(names, n)
	}
	for n := range fs.data {
		names = append(names, n)
	}
	sort.Strings(names)
	// mkdirs writes the folder d and its parents, once each.
	mkdirs := func(d string) error {
		var parts []string
		for ; d != "/" && !dirs[d]; d = path.Dir(d) {
			parts = append(parts, d)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			dirs[parts[i]] = true
			if err := cw.WriteHeader(&cpio.Header{Name: strings.TrimPrefix(parts[i], "/"), Mode: cpio.TypeDir | 0o755}); err != nil {
				return err
			}
		}
		return nil
	}
	// Mount points of the guest's init.
	for _, d := range []string{"/dev", "/proc", "/sys", "/tmp"} {
		if err := mkdirs(d); err != nil {
			return err
		}
	}
	for _, n := range names {
		if err := mkdirs(path.Dir(n)); err != nil {
			return err
		}
		body, ok := fs.data[n]
		if !ok {
			var err error
			if body, err = os.ReadFile(fs.files[n]); err != nil {
				return err
			}
		}
		if err := cw.WriteHeader(&cpio.Header{Name: strings.TrimPrefix(n, "/"), Mode: cpio.TypeReg | 0o755, Size: int64(len(body))}); err != nil {
			return err
		}
		if _, err := cw.Write(body); err != nil {
			return err
		}
	}
	return cw.Close()
}
