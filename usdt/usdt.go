package usdt

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/compiler"
)

// Names the BPF side (bpf/usdt.bpf.h) defines.
const (
	SpecMapName      = "__bpf_usdt_specs"
	IPMapName        = "__bpf_usdt_ip_to_spec_id"
	hasCookieVarName = "__usdtspec_has_cookie"
	ipOffsetVarName  = "__usdtspec_ip_offset"
	ctxSizeVarName   = "__usdtspec_ctx_size"
)

// DefaultSpecCapacity is the least number of spec map slots Prepare
// gives a Config without SpecCapacity. The spec map is a BPF array, so
// its memory is allocated at load time: 1024 slots of libbpf v1.7's
// 304-byte spec are 304 KiB (208 KiB for the v1.6 layout).
const DefaultSpecCapacity = 1024

// Sentinel errors; test with errors.Is.
var (
	// ErrNoProbes: the target has no call site matching its probe.
	ErrNoProbes = errors.New("no matching USDT call sites")
	// ErrCallSite: a call site cannot be attached (an argument that does
	// not compile, a pc outside its segment, ...). Nothing is attached.
	ErrCallSite = errors.New("USDT call site cannot be attached")
	// ErrSpecMapFull: more distinct specs than the spec map holds; raise
	// Config.SpecCapacity or Config.ExtraSpecs, or Prepare with the
	// targets you attach to.
	ErrSpecMapFull = errors.New("USDT spec map is full")
	// ErrForeignArch: the file is not of the running kernel's architecture.
	ErrForeignArch = errors.New("file is not of the host architecture")
	// ErrNeedPID: without BPF cookies, a position-independent file needs
	// a PID to know where the call sites are loaded.
	ErrNeedPID = errors.New("a PID is needed on kernels without uprobe BPF cookies")
	// ErrInvalidPID: Options.PID is below -1; 0 and -1 mean every
	// process, a positive PID one process.
	ErrInvalidPID = errors.New("invalid PID")
)

// Target is a set of call sites: every call site of Probe in the ELF file
// at Path (an executable or shared library; /proc/PID/root/... paths work
// for containers).
type Target struct {
	// Path is the file's path, or a short name ("libc.so.6", "libc",
	// "python3") that [Resolve] turns into one: against the files of
	// Options.PID first, then as the dynamic loader and the shell would.
	Path string
	// Probe is "provider:name"; each part may be a glob (path.Match).
	// Empty means every probe of the file.
	Probe string
}

// Options of one attachment.
type Options struct {
	// PID restricts the probes to one process (all its threads). 0 and
	// -1 both mean every process, in every attach mode: 0 as in
	// cilium/ebpf's link.UprobeOptions and link.UprobeMultiOptions, -1
	// as in libbpf's bpf_program__attach_usdt and perf_event_open, so
	// that a PID carried over from either reads the same. Below -1 is
	// rejected with ErrInvalidPID. On kernels without BPF cookies, the
	// call sites of a position-independent file are located through one
	// process's mappings, so there every process (0 or -1) fails with
	// ErrNeedPID.
	PID int
	// Cookie is what bpf_usdt_cookie returns at these call sites.
	Cookie uint64
	// Strict keeps libbpf's all-or-nothing: a call site with an argument
	// that does not compile, or that needs usdtspec's extension kinds
	// (compiler.LayoutUsdtspec), is not attached (ErrCallSite). By
	// default such an argument fails alone: bpf_usdt_arg returns -EINVAL
	// for it, and the call site's other arguments work. Objects built
	// against libbpf's own header are always strict.
	Strict bool
}

// pid is o.PID with -1 turned into 0: the kernel's uprobe_multi link
// takes 0 for every process and refuses -1 (EINVAL), the per-site uprobe
// takes either, and the IP-map fallback tests pid > 0; one value for
// "every process" keeps the three modes alike.
func (o *Options) pid() (int, error) {
	switch {
	case o.PID == -1:
		return 0, nil
	case o.PID < -1:
		return 0, fmt.Errorf("Options.PID %d: %w (0 or -1 for every process, or a process ID)", o.PID, ErrInvalidPID)
	}
	return o.PID, nil
}

// Config of Prepare.
type Config struct {
	// Targets size the spec map: it gets one slot per distinct spec of
	// each target (call sites of one target with the same arguments share
	// a spec; targets do not, as each may have its own cookie). Attach may
	// use other targets as long as the specs in use at once fit.
	Targets []Target
	// ExtraSpecs adds free slots to the spec map, beyond the specs of
	// Targets.
	ExtraSpecs int
	// SpecCapacity, when not 0, is the exact number of slots of the spec
	// map (and of the IP map on kernels without BPF cookies); it must
	// hold the specs of Targets. 0 means the specs of Targets plus
	// ExtraSpecs, and at least DefaultSpecCapacity, so that attaches
	// discovered at run time (a process's libraries, say) find room.
	SpecCapacity int
	// DisableUprobeMulti attaches one uprobe per call site even where
	// the kernel has uprobe_multi links (6.6+).
	DisableUprobeMulti bool
	// DisableCookies uses the IP-to-spec-id map as kernels before 5.15
	// must, even where BPF cookies work.
	DisableCookies bool
	// DisableContextCast makes bpf/usdt.bpf.h read registers from a
	// copy of the context on the stack, as on kernels before 6.17, even
	// where the kernel lets it read the context in place.
	DisableContextCast bool
	// OptimizeUprobes places the uprobe of a call site that is an x86-64
	// nop combo the running kernel optimizes on the combo's long nop, as
	// libbpf 1.7 does (see Site.Shift), so that the kernel turns it into
	// a call instead of a trap after the first hit.
	//
	// Off by default because it can corrupt the traced program: Linux
	// 6.18's nop5 form calls its trampoline, which pushes 32 bytes below
	// %rsp, so a function that keeps data in the red zone there gets it
	// overwritten from the second hit on, and red-zone arguments read
	// garbage (seen on 6.18.44; the reason later kernels moved to nop10
	// and libbpf's usdt.h stopped emitting nop5). A tracer must not
	// change what the traced program computes; turn this on only for
	// binaries known not to use the red zone at their probes.
	OptimizeUprobes bool
	// DebugDirs are the folders of separate debug files, for stripped
	// targets whose operands name local symbols; nil means
	// /usr/lib/debug (see compiler.Options).
	DebugDirs []string
}

// Manager owns the spec ids of one loaded collection.
type Manager struct {
	cfg       Config
	host      *arch.Arch
	layout    compiler.Layout // the spec map's: libbpf v1.7 or v1.6
	multi     bool
	cookies   bool
	specs     *ebpf.Map
	ips       *ebpf.Map
	mu        sync.Mutex
	ids       map[string]*specID // by spec bytes
	specOf    map[uint32]string  // spec bytes by id
	free      []uint32
	nextID    uint32
	capacity  uint32
	ipEntries map[uint64]bool

	filesMu sync.Mutex
	files   map[fileIdentity]*compiler.File // the files read, see open
	reads   int                             // files read from disk, for tests
}

type specID struct {
	id   uint32
	refs int
}

// Prepare readies spec, whose programs use bpf/usdt.bpf.h, to be loaded:
// it sizes the spec and IP maps for cfg.Targets, sets the BPF side's
// read-only variables, and sets the attach type of programs in "usdt"
// sections for uprobe_multi when that is what Attach will use.
func Prepare(spec *ebpf.CollectionSpec, cfg Config) (*Manager, error) {
	host := compiler.ArchForGOARCH(runtime.GOARCH)
	if host == nil {
		return nil, fmt.Errorf("usdt: %w: no grammar for %s", compiler.ErrUnsupportedArch, runtime.GOARCH)
	}
	m := &Manager{cfg: cfg, host: host, ids: map[string]*specID{}, specOf: map[uint32]string{}, ipEntries: map[uint64]bool{}, files: map[fileIdentity]*compiler.File{}}
	m.cookies = !cfg.DisableCookies && features.HaveProgramHelper(ebpf.Kprobe, asm.FnGetAttachCookie) == nil
	m.multi = m.cookies && !cfg.DisableUprobeMulti && features.HaveBPFLinkUprobeMulti() == nil

	specMap, ok := spec.Maps[SpecMapName]
	if !ok {
		return nil, fmt.Errorf("usdt: collection has no map %s: does it include bpf/usdt.bpf.h?", SpecMapName)
	}
	ipMap, ok := spec.Maps[IPMapName]
	if !ok {
		return nil, fmt.Errorf("usdt: collection has no map %s", IPMapName)
	}
	// The spec layout is the one the BPF side was built with: libbpf's
	// header before 1.7 has the smaller one.
	m.layout, ok = layoutOfSize(specMap.ValueSize)
	if !ok {
		return nil, fmt.Errorf("usdt: %w: map %s has %d-byte values, no libbpf spec layout has that size", ErrLibbpfObject, SpecMapName, specMap.ValueSize)
	}
	// This module's header (extVarName) decodes usdtspec's extension
	// kinds; libbpf's, and older copies of ours, do not.
	if _, ok := spec.Variables[extVarName]; ok && m.layout == compiler.LayoutV17 {
		m.layout = compiler.LayoutUsdtspec
	}
	// Each target may be attached with its own cookie, which is part of
	// the spec, so specs are shared only within a target.
	needed, sites := 0, 0
	for _, t := range cfg.Targets {
		_, f, callSites, err := m.open(t, 0)
		if err != nil {
			return nil, err
		}
		distinct := map[string]bool{}
		optimized := m.optimizedCombo(f)
		for _, p := range callSites {
			_, args := attachPoint(&p, optimized)
			b, err := compiler.Encode(m.layout, f.ByteOrder, args, 0)
			if err != nil {
				continue // Attach reports it
			}
			distinct[string(b)] = true
			sites++
		}
		needed += len(distinct)
	}
	capacity := max(needed+cfg.ExtraSpecs, DefaultSpecCapacity)
	if cfg.SpecCapacity != 0 {
		if cfg.SpecCapacity < needed {
			return nil, fmt.Errorf("usdt: Config.SpecCapacity %d is below the %d distinct specs of Config.Targets", cfg.SpecCapacity, needed)
		}
		capacity = cfg.SpecCapacity
	}
	specMap.MaxEntries = uint32(capacity)
	ipMap.MaxEntries = 1
	if !m.cookies {
		ipMap.MaxEntries = uint32(max(1, sites+cfg.ExtraSpecs, capacity))
	}
	m.capacity = specMap.MaxEntries

	// The BPF side learns the mode from this module's header's
	// variables, or from libbpf's header's kconfig extern.
	libbpfHeader := fillLibbpfKconfig(spec, m.cookies)
	// Objects built with an older bpf/usdt.bpf.h read no register from
	// the context directly, and have no size to set.
	if v, ok := spec.Variables[ctxSizeVarName]; ok && host.ContextSize != 0 {
		if err := v.Set(host.ContextSize); err != nil {
			return nil, fmt.Errorf("usdt: setting %s: %w", ctxSizeVarName, err)
		}
	}
	// Read the context in place where the kernel allows it; objects
	// built with an older bpf/usdt.bpf.h always copy it.
	if v, ok := spec.Variables[ctxCastVarName]; ok && !cfg.DisableContextCast && ctxCast() {
		if err := v.Set(true); err != nil {
			return nil, fmt.Errorf("usdt: setting %s: %w", ctxCastVarName, err)
		}
	} else {
		dropContextCast(spec)
	}
	// Thread-local operands read the thread pointer at this offset in
	// the current task; left 0 (they fail with EOPNOTSUPP) where the
	// architecture has none or the kernel no BTF to find it in.
	if v, ok := spec.Variables[threadPointerVarName]; ok && host.ThreadPointer != nil {
		if off, err := threadPointerOffset(host.ThreadPointer); err == nil {
			if err := v.Set(off); err != nil {
				return nil, fmt.Errorf("usdt: setting %s: %w", threadPointerVarName, err)
			}
		}
	}
	for name, value := range map[string]any{hasCookieVarName: m.cookies, ipOffsetVarName: uint32(host.IPOffset)} {
		v, ok := spec.Variables[name]
		if !ok && libbpfHeader {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("usdt: collection has neither variable %s (bpf/usdt.bpf.h) nor extern %s (libbpf's usdt.bpf.h)", name, libbpfCookieVar)
		}
		if err := v.Set(value); err != nil {
			return nil, fmt.Errorf("usdt: setting %s: %w", name, err)
		}
	}
	if m.multi {
		for _, p := range spec.Programs {
			if p.SectionName == "usdt" || strings.HasPrefix(p.SectionName, "usdt/") || strings.HasPrefix(p.SectionName, "usdt.s") {
				p.AttachType = ebpf.AttachTraceUprobeMulti
			}
		}
	}
	return m, nil
}

// Bind gives the manager the maps of the collection loaded from the
// prepared spec.
func (m *Manager) Bind(coll *ebpf.Collection) error {
	m.specs = coll.Maps[SpecMapName]
	m.ips = coll.Maps[IPMapName]
	if m.specs == nil || m.ips == nil {
		return fmt.Errorf("usdt: collection lacks %s or %s", SpecMapName, IPMapName)
	}
	return nil
}

// UsesUprobeMulti reports whether Attach makes one uprobe_multi link per
// target (true) or one uprobe per call site.
func (m *Manager) UsesUprobeMulti() bool { return m.multi }

// UsesCookies reports whether the BPF side finds specs by BPF cookie
// (true) or by instruction pointer.
func (m *Manager) UsesCookies() bool { return m.cookies }

// open reads a target's file and selects its call sites; a short name
// resolves with [Resolve], against process pid's files when pid > 0. A
// file is read once: Prepare's reading serves the Attach that follows,
// for as long as the file on disk is the same (device, inode, size and
// modification time); a file that changed is read again.
func (m *Manager) open(t Target, pid int) (string, *compiler.File, []compiler.CallSite, error) {
	if err := compiler.CheckProbePattern(t.Probe); err != nil {
		return "", nil, nil, fmt.Errorf("usdt: %w", err)
	}
	path, err := Resolve(t.Path, pid)
	if err != nil {
		return "", nil, nil, err
	}
	f, err := m.readFile(path)
	if err != nil {
		return "", nil, nil, fmt.Errorf("usdt: %w", err)
	}
	if f.Arch == nil || !slices.Contains(f.Arch.GOARCH, runtime.GOARCH) {
		return "", nil, nil, fmt.Errorf("usdt: %s: %w: %v %v on a %s kernel", path, ErrForeignArch, f.Machine, f.Class, m.host.Name)
	}
	var callSites []compiler.CallSite
	for _, p := range f.CallSites {
		if p.Matches(t.Probe) {
			callSites = append(callSites, p)
		}
	}
	if len(callSites) == 0 {
		what := "any probe"
		if t.Probe != "" {
			what = t.Probe
		}
		return "", nil, nil, fmt.Errorf("usdt: %s: %w for %s", path, ErrNoProbes, what)
	}
	return path, f, callSites, nil
}

// Probes lists the probes ("provider:name", in note order, each once)
// that t selects, reading t's file as Attach would: through the
// manager's cache, with a short name resolved against process pid's
// files when pid > 0. It fails like Attach when none matches.
func (m *Manager) Probes(t Target, pid int) ([]string, error) {
	_, _, callSites, err := m.open(t, pid)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range callSites {
		if name := s.Provider + ":" + s.Name; !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names, nil
}

// fileIdentity tells whether the file at a path is still the one read.
type fileIdentity struct {
	dev, ino uint64
	size     int64
	mtime    time.Time
}

func identify(path string) (fileIdentity, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileIdentity{}, err
	}
	id := fileIdentity{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), uint64(st.Ino)
	}
	return id, nil
}

// readFile returns the compiled call sites of the file at path, read
// once per version of the file, whichever path names it.
func (m *Manager) readFile(path string) (*compiler.File, error) {
	id, err := identify(path)
	if err != nil {
		return nil, err
	}
	m.filesMu.Lock()
	defer m.filesMu.Unlock()
	if f, ok := m.files[id]; ok {
		return f, nil
	}
	f, err := compiler.OpenWithOptions(path, &compiler.Options{DebugDirs: m.cfg.DebugDirs})
	if err != nil {
		return nil, err
	}
	m.files[id] = f
	m.reads++
	return f, nil
}

func hostArch() string { return runtime.GOARCH }

// extVarName is the variable of bpf/usdt.bpf.h that says it decodes the
// layout compiler.LayoutUsdtspec.
const extVarName = "__usdtspec_extensions"

func layoutOfSize(size uint32) (compiler.Layout, bool) {
	for _, l := range compiler.Layouts {
		if uint32(l.SpecSize()) == size {
			return l, true
		}
	}
	return compiler.Layout{}, false
}

// optimizedCombo is the nop combo whose uprobes the running kernel
// optimizes for programs of f's architecture, or "" (see
// arch.Arch.OptimizedCombo).
func (m *Manager) optimizedCombo(f *compiler.File) string {
	if !m.cfg.OptimizeUprobes || f.Arch.OptimizedCombo == nil {
		return ""
	}
	return f.Arch.OptimizedCombo()
}

// attachPoint says where the uprobe of call site p goes: shift bytes
// after its pc, and the arguments as they are read from there.
//
// A call site on a nop combo that the kernel optimizes gets its uprobe
// on the combo's long nop, as libbpf 1.7 does (has_nop_combo): the
// kernel rewrites a long nop into a call to its uprobe trampoline after
// the first hit, where an int3 on the one-byte nop would trap every
// time. The nops change no register or memory, so every argument reads
// the same there, except one relative to the instruction pointer:
// while a uprobe's handler runs, pt_regs' ip is the uprobe's address,
// pc + shift, so a PC-relative argument's offset (sym(%rip), which the
// compiler made relative to pc) loses shift. The IP-map fallback keys on
// that same shifted address (Attach).
func attachPoint(p *compiler.CallSite, optimized string) (shift uint64, args []compiler.Argument) {
	if optimized == "" || p.Code.Err != nil || p.Code.Combo != optimized {
		return 0, p.Arguments
	}
	shift, args = p.Code.Shift, p.Arguments
	copied := false
	for i := range args {
		if args[i].Err != nil || !args[i].PCRelative {
			continue
		}
		if !copied {
			args, copied = slices.Clone(args), true // shared by call sites: read-only
		}
		args[i].Offset -= int64(shift)
	}
	return shift, args
}
