package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/usdt"
)

// Probe is one PROBE argument of usdtspec trace:
// [FILE|LIBNAME:]PROVIDER:NAME, each part of PROVIDER:NAME a glob.
type Probe struct {
	File    string // "" for every file traced
	Pattern string // "provider:name"
}

// ParseProbe reads [FILE:]PROVIDER:NAME. The last two ':'-separated
// parts are the probe, the rest (which may hold ':') the file.
func ParseProbe(s string) (Probe, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return Probe{}, fmt.Errorf("probe %q: want [FILE:]PROVIDER:NAME", s)
	}
	p := Probe{
		File:    strings.Join(parts[:len(parts)-2], ":"),
		Pattern: parts[len(parts)-2] + ":" + parts[len(parts)-1],
	}
	if err := compiler.CheckProbePattern(p.Pattern); err != nil {
		return Probe{}, fmt.Errorf("probe %q: %w", s, err)
	}
	return p, nil
}

// Hit is one firing of a probe at one call site.
type Hit struct {
	Time     time.Time
	PID, TID uint32
	File     string // as the traced process sees it
	Provider string
	Name     string
	Args     []Arg
	// Err is set when the BPF side could not find the call site's spec;
	// Args is then empty.
	Err error
	// Loader: not a hit but process PID stopped at its loader's
	// _dl_debug_state (see Process).
	Loader bool
}

// Event kinds of trace.bpf.c.
const (
	eventHit    = 0
	eventLoader = 1
)

// Arg is one decoded argument.
type Arg struct {
	Value  uint64 // sign-extended from Size bytes when Signed
	Size   int
	Signed bool
	Err    error // set when bpf_usdt_arg failed: Value means nothing
}

// Int returns a signed argument's value.
func (a Arg) Int() int64 { return int64(a.Value) }

// attachment is one probe of one file, attached: its cookie is its
// index in Tracer.attachments.
type attachment struct {
	file, provider, name string
	link                 *usdt.Link
}

// Tracer holds the loaded trace program and its attachments.
type Tracer struct {
	mgr         *usdt.Manager
	coll        *ebpf.Collection
	rd          *ringbuf.Reader
	attachments []attachment
	bySpec      map[uint32]*compiler.CallSite // cookie mode
	byIP        map[uint64]*compiler.CallSite // IP-map mode
	files       map[string]bool
	loaders     []link.Link // the uprobes at loaders' _dl_debug_state
	bootToWall  int64       // add to CLOCK_BOOTTIME ns to get Unix ns
	rec         ringbuf.Record
}

// Config of New.
type Config struct {
	// DebugDirs are the folders of separate debug files (see
	// usdt.Config).
	DebugDirs []string
}

// New loads the trace program.
func New(cfg Config) (*Tracer, error) {
	spec, err := loadTrace()
	if err != nil {
		return nil, err
	}
	mgr, err := usdt.Prepare(spec, usdt.Config{DebugDirs: cfg.DebugDirs})
	if err != nil {
		return nil, err
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("loading the trace BPF program: %w", err)
	}
	if err := mgr.Bind(coll); err != nil {
		coll.Close()
		return nil, err
	}
	rd, err := ringbuf.NewReader(coll.Maps["events"])
	if err != nil {
		coll.Close()
		return nil, err
	}
	var boot unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot); err != nil {
		rd.Close()
		coll.Close()
		return nil, err
	}
	return &Tracer{
		mgr: mgr, coll: coll, rd: rd,
		bySpec: map[uint32]*compiler.CallSite{}, byIP: map[uint64]*compiler.CallSite{},
		files:      map[string]bool{},
		bootToWall: time.Now().UnixNano() - boot.Nano(),
	}, nil
}

// AttachFile attaches to the call sites of every probe in the file at
// open that matches one of patterns, for process pid (0: every process).
// show is the file's name in hits. It returns how many call sites it
// attached; a file without a matching probe attaches none and is no
// error.
func (t *Tracer) AttachFile(open, show string, patterns []string, pid int) (int, error) {
	n, _, err := t.attachFile(open, show, patterns, pid)
	return n, err
}

// attachFile is AttachFile, also returning the attachments it made.
func (t *Tracer) attachFile(open, show string, patterns []string, pid int) (int, []int, error) {
	var names []string
	for _, p := range patterns {
		ns, err := t.mgr.Probes(usdt.Target{Path: open, Probe: p}, pid)
		if errors.Is(err, usdt.ErrNoProbes) {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		for _, n := range ns {
			if !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	n := 0
	var made []int
	for _, name := range names {
		cookie := uint64(len(t.attachments))
		l, err := t.mgr.Attach(t.coll.Programs["trace"], usdt.Target{Path: open, Probe: name}, &usdt.Options{PID: pid, Cookie: cookie})
		if err != nil {
			return n, made, fmt.Errorf("%s: %w", show, err)
		}
		made = append(made, len(t.attachments))
		provider, pname, _ := strings.Cut(name, ":")
		t.attachments = append(t.attachments, attachment{show, provider, pname, l})
		for _, s := range l.Sites() {
			cs := s.CallSite
			if t.mgr.UsesCookies() {
				t.bySpec[s.SpecID] = &cs
			} else {
				t.byIP[s.IP] = &cs
			}
			n++
		}
		t.files[show] = true
	}
	return n, made, nil
}

// detach closes attachments; their cookies keep naming their probes for
// the hits still in the ring buffer.
func (t *Tracer) detach(indices []int) error {
	var errs []error
	for _, i := range indices {
		a := &t.attachments[i]
		if a.link != nil {
			errs = append(errs, a.link.Close())
			a.link = nil
		}
	}
	return errors.Join(errs...)
}

// Files is how many files have attached call sites.
func (t *Tracer) Files() int { return len(t.files) }

// Read returns the next hit, waiting until deadline (zero: no limit); it
// fails with os.ErrDeadlineExceeded when none came, or ringbuf.ErrClosed.
func (t *Tracer) Read(deadline time.Time) (Hit, error) {
	var h Hit
	err := t.ReadInto(&h, deadline)
	return h, err
}

// ReadInto is Read into h, reusing h.Args and the reader's record
// buffer: the loop of usdtspec trace calls it for every hit, and at
// several hundred thousand hits a second an allocation per hit is what
// lets the ring buffer fill.
func (t *Tracer) ReadInto(h *Hit, deadline time.Time) error {
	t.rd.SetDeadline(deadline)
	if err := t.rd.ReadInto(&t.rec); err != nil {
		return err
	}
	raw := t.rec.RawSample
	if len(raw) < offValue {
		return fmt.Errorf("trace event of %d bytes, want at least %d", len(raw), offValue)
	}
	ne := binary.NativeEndian
	// The fields are read at the offsets of the bpf2go struct, which
	// mirrors struct event of trace.bpf.c; binary.Read would find them
	// by reflection, a third of the reading time.
	args := h.Args[:0]
	*h = Hit{
		Time: time.Unix(0, int64(ne.Uint64(raw[offTime:]))+t.bootToWall),
		PID:  ne.Uint32(raw[offPID:]),
		TID:  ne.Uint32(raw[offTID:]),
	}
	if ne.Uint32(raw[offKind:]) == eventLoader {
		h.Loader = true
		return nil
	}
	if c := ne.Uint64(raw[offCookie:]); c < uint64(len(t.attachments)) {
		a := &t.attachments[c]
		h.File, h.Provider, h.Name = a.file, a.provider, a.name
	}
	argCnt := int32(ne.Uint32(raw[offArgCnt:]))
	if argCnt < 0 {
		h.Err = fmt.Errorf("bpf_usdt_arg_cnt: %w", syscall.Errno(-argCnt))
		return nil
	}
	var site *compiler.CallSite
	if id := ne.Uint64(raw[offSpecID:]); id != ^uint64(0) {
		site = t.bySpec[uint32(id)]
	} else {
		site = t.byIP[ne.Uint64(raw[offIP:])]
	}
	// The record holds the first arg_cnt values (at most maxArgs).
	if want := offValue + 8*min(int(argCnt), maxArgs); len(raw) < want {
		return fmt.Errorf("trace event of %d bytes for %d arguments, want %d", len(raw), argCnt, want)
	}
	failed := ne.Uint32(raw[offFailed:])
	for i := 0; i < int(argCnt) && i < maxArgs; i++ {
		a := Arg{Value: ne.Uint64(raw[offValue+8*i:])}
		if site != nil && i < len(site.Arguments) {
			a.Size, a.Signed = site.Arguments[i].Size, site.Arguments[i].Signed
		}
		if failed&(1<<i) != 0 {
			// The value is bpf_usdt_arg's return code.
			a.Err = fmt.Errorf("bpf_usdt_arg: %w", syscall.Errno(-int64(a.Value)))
			a.Value = 0
		}
		args = append(args, a)
	}
	h.Args = args
	return nil
}

// The layout of struct event, from the generated traceEvent.
const (
	offKind   = int(unsafe.Offsetof(traceEvent{}.Kind))
	offTime   = int(unsafe.Offsetof(traceEvent{}.TimeNs))
	offCookie = int(unsafe.Offsetof(traceEvent{}.Cookie))
	offSpecID = int(unsafe.Offsetof(traceEvent{}.SpecId))
	offIP     = int(unsafe.Offsetof(traceEvent{}.Ip))
	offPID    = int(unsafe.Offsetof(traceEvent{}.Pid))
	offTID    = int(unsafe.Offsetof(traceEvent{}.Tid))
	offArgCnt = int(unsafe.Offsetof(traceEvent{}.ArgCnt))
	offFailed = int(unsafe.Offsetof(traceEvent{}.Failed))
	offValue  = int(unsafe.Offsetof(traceEvent{}.Value))
	maxArgs   = len(traceEvent{}.Value)
)

// Drops is how many hits found the ring buffer full.
func (t *Tracer) Drops() (uint64, error) {
	var perCPU []uint64
	if err := t.coll.Maps["drops"].Lookup(uint32(0), &perCPU); err != nil {
		return 0, err
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n, nil
}

// Close detaches everything and unloads the program.
func (t *Tracer) Close() error {
	var errs []error
	for _, a := range t.attachments {
		if a.link != nil {
			errs = append(errs, a.link.Close())
		}
	}
	for _, l := range t.loaders {
		errs = append(errs, l.Close())
	}
	errs = append(errs, t.rd.Close())
	t.coll.Close()
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FileMatches reports whether a probe's FILE part names the file: its
// path, its base name, or a short library name of it ("libc" for
// libc.so.6), as usdt.Resolve would find it.
func FileMatches(want, file string) bool {
	if want == "" || want == file {
		return true
	}
	base := path.Base(file)
	if want == base {
		return true
	}
	rest, ok := strings.CutPrefix(base, want)
	return ok && (strings.HasPrefix(rest, ".so") || strings.HasSuffix(want, ".so") && strings.HasPrefix(rest, "."))
}
