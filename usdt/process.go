package usdt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/compiler"
)

// MappedFile is a file that a process has mapped with execute
// permission: its executable or one of its shared libraries.
type MappedFile struct {
	// Path is the file's path as the process sees it, from
	// /proc/PID/maps; it may name a file in another mount namespace.
	Path string
	// Open is a path that opens the same file from here: Path under
	// /proc/PID/root, or, for a file deleted or replaced since the
	// process mapped it, /proc/PID/map_files/START-END.
	Open string
	// Dev and Inode identify the file: the same file mapped under two
	// paths is listed once.
	Dev, Inode uint64
}

// ProcessFiles lists the distinct files that process pid has mapped
// with execute permission, its executable first, then in address order.
// Anonymous mappings and the kernel's ([vdso], ...) are left out.
func ProcessFiles(pid int) ([]MappedFile, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("usdt: no such process %d", pid)
	}
	lines, err := readMaps(pid)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("usdt: no such process %d: %w", pid, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("usdt: process %d: %w (another user's process needs root or CAP_SYS_PTRACE)", pid, err)
	case err != nil:
		return nil, fmt.Errorf("usdt: process %d: %w", pid, err)
	}
	root := fmt.Sprintf("/proc/%d/root", pid)
	var files []MappedFile
	seen := map[[2]uint64]bool{}
	for _, l := range lines {
		if !l.exec || l.inode == 0 || !strings.HasPrefix(l.path, "/") {
			continue
		}
		key := [2]uint64{l.dev, l.inode}
		if seen[key] {
			continue
		}
		seen[key] = true
		mf := MappedFile{Path: l.path, Open: root + l.path, Dev: l.dev, Inode: l.inode}
		if p, ok := strings.CutSuffix(l.path, " (deleted)"); ok || !sameFile(mf.Open, l.dev, l.inode) {
			// The path no longer names the mapped file: reach it through
			// the mapping itself (root only, as reading maps of another
			// user's process is).
			if ok {
				mf.Path = p
			}
			mf.Open = fmt.Sprintf("/proc/%d/map_files/%x-%x", pid, l.start, l.end)
		}
		files = append(files, mf)
	}
	// The executable first: /proc/PID/exe names it.
	if st, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			dev, inode := fileDev(sys)
			if i := slices.IndexFunc(files, func(f MappedFile) bool { return f.Dev == dev && f.Inode == inode }); i > 0 {
				exe := files[i]
				copy(files[1:i+1], files[:i])
				files[0] = exe
			}
		}
	}
	return files, nil
}

// sameFile reports whether path names the file dev, inode.
func sameFile(path string, dev, inode uint64) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	d, i := fileDev(sys)
	return d == dev && i == inode
}

// ProcessLink is the attachment of one program to the call sites of a
// probe in every file a process has mapped.
type ProcessLink struct {
	// PID is the process.
	PID int
	// Files are the attachments, one per mapped file with matching call
	// sites, in the order of [ProcessFiles].
	Files []*Link
	// Paths are the files' paths as the process sees them, one per
	// element of Files.
	Paths []string
	// Skipped are the mapped files that could not be read as ELF files
	// of the host's architecture, each error naming its file. They may
	// hold probes the caller wanted: nothing is skipped in silence.
	Skipped []error
}

// Close detaches every file's call sites.
func (pl *ProcessLink) Close() error {
	var errs []error
	for _, l := range pl.Files {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// Sites lists the attached call sites of every file.
func (pl *ProcessLink) Sites() []AttachedSite {
	var out []AttachedSite
	for _, l := range pl.Files {
		out = append(out, l.Sites()...)
	}
	return out
}

// AttachProcess attaches prog to every call site of probe
// ("provider:name", each part a glob; "" for every probe) in the files
// process pid has mapped (see [ProcessFiles]), for that process and its
// threads only: opts.PID is set to pid. Files are read through
// /proc/PID/root, so a process in another mount namespace (a container)
// works. Either every matching call site is attached or, on error, none
// is. It fails with [ErrNoProbes] when no mapped file has a matching
// call site.
//
// Libraries the process maps later are not attached: call AttachProcess
// again, or attach to them with [Manager.Attach].
func (m *Manager) AttachProcess(prog *ebpf.Program, pid int, probe string, opts *Options) (*ProcessLink, error) {
	if m.specs == nil {
		return nil, errors.New("usdt: AttachProcess before Bind")
	}
	if err := compiler.CheckProbePattern(probe); err != nil {
		return nil, fmt.Errorf("usdt: %w", err)
	}
	files, err := ProcessFiles(pid)
	if err != nil {
		return nil, err
	}
	o := Options{PID: pid}
	if opts != nil {
		o.Cookie = opts.Cookie
	}
	pl := &ProcessLink{PID: pid}
	// Attaching overlaps reading: one goroutine attaches the files in
	// order while this one reads and prepares (compiles the specs of)
	// the next. Most of an attach is the kernel's, and the first uprobe
	// registered waits for an RCU grace period (register_for_each_vma
	// takes dup_mmap_sem for writing), which the reading of the other
	// files now fills.
	type file struct {
		mf MappedFile
		pa *preparedAttach
	}
	attaches := make(chan file, len(files))
	attached := make(chan error, 1)
	go func() {
		var err error
		for a := range attaches {
			if err != nil {
				continue // drain: nothing more is attached
			}
			l, e := m.commit(prog, a.pa)
			if e != nil {
				err = fmt.Errorf("usdt: process %d: %s: %w", pid, a.mf.Path, e)
				continue
			}
			pl.Files = append(pl.Files, l)
			pl.Paths = append(pl.Paths, a.mf.Path)
		}
		attached <- err
	}()
	var prepErr error
	for _, mf := range files {
		f, err := m.readFile(mf.Open)
		if err == nil && (f.Arch == nil || !slices.Contains(f.Arch.GOARCH, hostArch())) {
			err = fmt.Errorf("%w: %v %v on a %s kernel", ErrForeignArch, f.Machine, f.Class, m.host.Name)
		}
		if err != nil {
			pl.Skipped = append(pl.Skipped, fmt.Errorf("usdt: process %d: %s: %w", pid, mf.Path, err))
			continue
		}
		var callSites []compiler.CallSite
		for _, s := range f.CallSites {
			if s.Matches(probe) {
				callSites = append(callSites, s)
			}
		}
		if len(callSites) == 0 {
			continue
		}
		pa, err := m.prepare(mf.Open, f, callSites, &o)
		if err != nil {
			prepErr = fmt.Errorf("usdt: process %d: %s: %w", pid, mf.Path, err)
			break
		}
		attaches <- file{mf, pa}
	}
	close(attaches)
	if err := errors.Join(prepErr, <-attached); err != nil {
		pl.Close()
		return nil, err
	}
	if len(pl.Files) == 0 {
		what := "any probe"
		if probe != "" {
			what = probe
		}
		err := fmt.Errorf("usdt: process %d: %w for %s in %d mapped files", pid, ErrNoProbes, what, len(files))
		if len(pl.Skipped) > 0 {
			err = fmt.Errorf("%w (%d not readable: %w)", err, len(pl.Skipped), errors.Join(pl.Skipped...))
		}
		return nil, err
	}
	return pl, nil
}
