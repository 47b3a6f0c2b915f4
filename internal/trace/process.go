package trace

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/usdtspec/usdtspec/usdt"
)

// loaderSymbol is the function glibc's dynamic loader calls before and
// after each change to its list of loaded objects (the r_debug protocol,
// the breakpoint gdb sets to follow libraries): at its second call for a
// dlopen, RT_CONSISTENT, the new library is mapped and none of its code
// (its constructors included) has run.
const loaderSymbol = "_dl_debug_state"

// Process traces one process: the call sites of its probes in every file
// it maps, now and later. Files it maps after the start are attached
// while it is held stopped at its loader's _dl_debug_state, so that no
// hit of a new library is lost; files it unmaps are detached.
type Process struct {
	t      *Tracer
	pid    int
	probes []Probe
	files  map[[2]uint64]*mappedFile // by device and inode
	interp [2]uint64                 // the executable's PT_INTERP: its loader
	loader link.Link
	// Rescans counts the loader stops handled; MaxHold is the longest
	// time the process was held at one, from the stop (the BPF side's
	// clock) to SIGCONT.
	Rescans int
	MaxHold time.Duration
}

type mappedFile struct {
	path        string
	attachments []int
	named       bool // attached by name before it was mapped: kept
}

// FollowProcess attaches to the probes' call sites in every file process
// pid maps (a probe whose File is set only in files it names), and to
// its dynamic loader, to follow the files mapped later. A process
// without a dynamic loader (a static executable) maps nothing later.
// It returns the number of call sites attached.
func (t *Tracer) FollowProcess(pid int, probes []Probe) (*Process, int, error) {
	p := &Process{t: t, pid: pid, probes: probes, files: map[[2]uint64]*mappedFile{}}
	if interp := interpreter(fmt.Sprintf("/proc/%d/exe", pid)); interp != "" {
		p.interp, _ = fileKey(fmt.Sprintf("/proc/%d/root%s", pid, interp))
	}
	n, _, err := p.scan() // nothing is gone yet
	if err != nil {
		return nil, n, err
	}
	return p, n, nil
}

// scan attaches to the files newly mapped, and returns the attachments
// of the files no longer mapped, for the caller to detach: detaching
// waits for the kernel (an RCU grace period, tens of milliseconds) and
// need not hold the process, whose unmapped files no longer fire.
func (p *Process) scan() (int, []int, error) {
	mapped, err := usdt.ProcessFiles(p.pid)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	now := map[[2]uint64]bool{}
	for _, f := range mapped {
		key := [2]uint64{f.Dev, f.Inode}
		now[key] = true
		if p.files[key] != nil {
			continue
		}
		mf := &mappedFile{path: f.Path}
		p.files[key] = mf
		if key == p.interp && p.loader == nil {
			l, err := p.attachLoader(f.Open)
			if err != nil {
				return n, nil, fmt.Errorf("%s: following the loader: %w", f.Path, err)
			}
			p.loader = l
			p.t.loaders = append(p.t.loaders, l)
		}
		var patterns []string
		for _, pr := range p.probes {
			if pr.File == "" || FileMatches(pr.File, f.Path) {
				patterns = append(patterns, pr.Pattern)
			}
		}
		if len(patterns) == 0 {
			continue
		}
		k, made, err := p.t.attachFile(f.Open, f.Path, patterns, p.pid)
		mf.attachments = made
		n += k
		if err != nil && !errors.Is(err, usdt.ErrForeignArch) {
			return n, nil, err
		}
	}
	var gone []int
	for key, mf := range p.files {
		if !now[key] && !mf.named {
			gone = append(gone, mf.attachments...)
			delete(p.files, key)
		}
	}
	return n, gone, nil
}

// AttachNamed attaches the probe to the file its File names (see
// usdt.Resolve: a library of the process, or as the loader finds it),
// whether or not the process maps it yet: its call sites fire once it
// does. A file already attached is left as it is.
func (p *Process) AttachNamed(pr Probe) (int, error) {
	path, err := usdt.Resolve(pr.File, p.pid)
	if err != nil {
		return 0, err
	}
	key, err := fileKey(path)
	if err != nil {
		return 0, err
	}
	if p.files[key] != nil {
		return 0, nil
	}
	show := strings.TrimPrefix(path, fmt.Sprintf("/proc/%d/root", p.pid))
	n, made, err := p.t.attachFile(path, show, []string{pr.Pattern}, p.pid)
	p.files[key] = &mappedFile{path: show, attachments: made, named: true}
	if err == nil && n == 0 {
		err = fmt.Errorf("%s: %w for %s", show, usdt.ErrNoProbes, pr.Pattern)
	}
	return n, err
}

// fileKey is the device and inode of the file at path, encoded as
// usdt.MappedFile encodes them.
func fileKey(path string) ([2]uint64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return [2]uint64{}, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]uint64{}, fmt.Errorf("%s: no inode", path)
	}
	dev := uint64(sys.Dev) // Stat_t.Dev is uint32 on mips64le
	return [2]uint64{uint64(unix.Major(dev))<<32 | uint64(unix.Minor(dev)), sys.Ino}, nil
}

// interpreter returns the PT_INTERP of the executable at exe, the path
// of its dynamic loader as the process sees it, or "" for a static
// executable.
func interpreter(exe string) string {
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP || p.Filesz > 4096 {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err == nil {
			return strings.TrimRight(string(b), "\x00")
		}
	}
	return ""
}

func (p *Process) attachLoader(path string) (link.Link, error) {
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return nil, err
	}
	return ex.Uprobe(loaderSymbol, p.t.coll.Programs["loader"], &link.UprobeOptions{PID: p.pid})
}

// Stopped reports whether the process is in the stopped state (T in
// /proc/PID/stat). The trace loop asks when the ring buffer dropped
// events: a loader stop whose event was dropped would hold the process
// forever, so it is handled (Rescan) without its event.
func (p *Process) Stopped() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and
	// may hold anything, parentheses included.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'T'
}

// Rescan handles the loader stop of a hit with Loader set: it attaches
// to the files mapped since the last scan, detaches from those unmapped,
// and lets the process continue. It returns the number of call sites
// attached.
func (p *Process) Rescan(stop Hit) (int, error) {
	p.Rescans++
	n, gone, err := p.scan()
	if cerr := syscall.Kill(p.pid, syscall.SIGCONT); cerr != nil && !errors.Is(cerr, syscall.ESRCH) {
		err = errors.Join(err, fmt.Errorf("continuing process %d: %w", p.pid, cerr))
	}
	if held := time.Since(stop.Time); held > p.MaxHold {
		p.MaxHold = held
	}
	if derr := p.t.detach(gone); derr != nil {
		err = errors.Join(err, derr)
	}
	if errors.Is(err, os.ErrNotExist) {
		err = nil // the process exited meanwhile
	}
	return n, err
}
