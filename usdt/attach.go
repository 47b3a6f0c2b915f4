package usdt

import (
	"debug/elf"
	"errors"
	"fmt"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/usdtspec/usdtspec/compiler"
)

// AttachedSite is one attached call site and the spec id its BPF cookie (or IP
// map entry) carries.
type AttachedSite struct {
	// CallSite is the call site as the compiler read it from the file.
	CallSite compiler.CallSite
	// SpecID is the spec's slot in the spec map, which the uprobe's BPF
	// cookie (or its IP map entry) carries.
	SpecID uint32
	// IP is the call site's absolute address in the IP-to-spec-id map;
	// 0 when BPF cookies are used.
	IP uint64
	// Shift is where the uprobe is, from the call site: CallSite.Code.Shift
	// (1, on the long nop) when the call site is a nop combo that the
	// kernel optimizes, 0 otherwise. IP includes it.
	Shift uint64
}

// Link is the attachment of one program to the call sites of a Target.
// It is a link.Link: Close detaches every call site and frees the spec
// ids and IP map entries. Pin, Unpin and Update are not supported when
// the call sites are spread over several uprobe links.
type Link struct {
	link.Link // the first underlying link, for Info
	m         *Manager
	links     []link.Link
	sites     []AttachedSite
	closed    bool
}

// Sites lists the attached call sites.
func (l *Link) Sites() []AttachedSite { return l.sites }

// Close detaches all call sites and frees their specs.
func (l *Link) Close() error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	for _, ln := range l.links {
		errs = append(errs, ln.Close())
	}
	errs = append(errs, l.m.releaseLocked(l.sites))
	return errors.Join(errs...)
}

// Detach is Close: a USDT attachment owns its spec ids.
func (l *Link) Detach() error { return l.Close() }

// Pin is supported only for a single underlying link.
func (l *Link) Pin(p string) error {
	if len(l.links) != 1 {
		return fmt.Errorf("usdt: pinning %d uprobe links: %w", len(l.links), link.ErrNotSupported)
	}
	return l.Link.Pin(p)
}

// Unpin is supported only for a single underlying link.
func (l *Link) Unpin() error {
	if len(l.links) != 1 {
		return fmt.Errorf("usdt: unpinning %d uprobe links: %w", len(l.links), link.ErrNotSupported)
	}
	return l.Link.Unpin()
}

// Update replaces the program of every underlying link.
func (l *Link) Update(p *ebpf.Program) error {
	for _, ln := range l.links {
		if err := ln.Update(p); err != nil {
			return err
		}
	}
	return nil
}

// Attach attaches prog to every call site of t. Either every call site is
// attached or, on error, none is.
func (m *Manager) Attach(prog *ebpf.Program, t Target, opts *Options) (*Link, error) {
	if m.specs == nil {
		return nil, errors.New("usdt: Attach before Bind")
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	pid, err := o.pid()
	if err != nil {
		return nil, fmt.Errorf("usdt: %s: %w", t.Path, err)
	}
	o.PID = pid // the caller's Options are left as they were
	path, f, callSites, err := m.open(t, o.PID)
	if err != nil {
		return nil, err
	}
	return m.attach(prog, path, f, callSites, &o)
}

// attach attaches prog to callSites, call sites of f read from path.
func (m *Manager) attach(prog *ebpf.Program, path string, f *compiler.File, callSites []compiler.CallSite, opts *Options) (*Link, error) {
	pa, err := m.prepare(path, f, callSites, opts)
	if err != nil {
		return nil, err
	}
	return m.commit(prog, pa)
}

// preparedAttach is an attach with everything that needs neither the
// Manager's state nor the kernel's uprobes done: AttachProcess prepares
// a file while the attach of the one before it waits in the kernel.
type preparedAttach struct {
	path      string
	f         *compiler.File
	callSites []compiler.CallSite
	opts      *Options
	specs     [][]byte // per call site
	shifts    []uint64 // per call site
	ex        *link.Executable
}

// prepare compiles every call site's spec: one bad call site attaches
// nothing.
func (m *Manager) prepare(path string, f *compiler.File, callSites []compiler.CallSite, opts *Options) (*preparedAttach, error) {
	pa := &preparedAttach{path: path, f: f, callSites: callSites, opts: opts,
		specs: make([][]byte, len(callSites)), shifts: make([]uint64, len(callSites))}
	optimized := m.optimizedCombo(f)
	layout := m.layout
	if opts.Strict {
		layout = layout.Strict()
	}
	// Call sites with the same argument string share their compiled
	// arguments (compiler.CallSite.Arguments), hence their spec: a
	// probe's call sites are encoded once.
	type encoded struct {
		spec []byte
		err  error
	}
	type argsKey struct {
		first *compiler.Argument
		n     int
	}
	byArgs := map[argsKey]encoded{}
	var bad []error
	for i := range callSites {
		p := &callSites[i]
		var args []compiler.Argument
		pa.shifts[i], args = attachPoint(p, optimized)
		key := argsKey{unsafe.SliceData(args), len(args)}
		e, ok := byArgs[key]
		if !ok {
			e.spec, e.err = compiler.Encode(layout, f.ByteOrder, args, opts.Cookie)
			byArgs[key] = e
		}
		err := e.err
		if err == nil {
			err = p.Err
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("%s:%s at pc %#x: %w", p.Provider, p.Name, p.PC, err))
		}
		pa.specs[i] = e.spec
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("usdt: %s: %w: %w", path, ErrCallSite, errors.Join(bad...))
	}
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return nil, fmt.Errorf("usdt: %w", err)
	}
	pa.ex = ex
	return pa, nil
}

// commit writes a prepared attach's specs and makes its links.
func (m *Manager) commit(prog *ebpf.Program, pa *preparedAttach) (*Link, error) {
	path, f, callSites, opts, specs, shifts := pa.path, pa.f, pa.callSites, pa.opts, pa.specs, pa.shifts
	m.mu.Lock()
	defer m.mu.Unlock()
	l := &Link{m: m, sites: make([]AttachedSite, 0, len(callSites))}
	fail := func(err error) (*Link, error) {
		for _, ln := range l.links {
			ln.Close()
		}
		m.releaseLocked(l.sites)
		return nil, err
	}
	var locate func(uint64) (uint64, error)
	if !m.cookies {
		var err error
		if locate, err = ipLocator(f, path, opts.PID); err != nil {
			return nil, err
		}
	}
	for i := range callSites {
		id, err := m.acquireLocked(specs[i])
		if err != nil {
			return fail(err)
		}
		l.sites = append(l.sites, AttachedSite{CallSite: callSites[i], SpecID: id, Shift: shifts[i]})
		if locate == nil {
			continue
		}
		// The BPF side looks up pt_regs' ip, the uprobe's address.
		ip, err := locate(callSites[i].FileOffset)
		ip += shifts[i]
		if err == nil {
			err = m.addIPLocked(ip, id)
		}
		if err != nil {
			return fail(fmt.Errorf("usdt: %s: %s:%s at pc %#x: %w", path, callSites[i].Provider, callSites[i].Name, callSites[i].PC, err))
		}
		l.sites[i].IP = ip
	}

	ex := pa.ex
	if m.multi {
		o := &link.UprobeMultiOptions{PID: uint32(opts.PID)}
		haveSema := false
		for _, s := range l.sites {
			o.Addresses = append(o.Addresses, s.CallSite.FileOffset+s.Shift)
			o.RefCtrOffsets = append(o.RefCtrOffsets, s.CallSite.SemaphoreOffset)
			o.Cookies = append(o.Cookies, uint64(s.SpecID))
			haveSema = haveSema || s.CallSite.SemaphoreOffset != 0
		}
		if !haveSema {
			o.RefCtrOffsets = nil
		}
		ln, err := ex.UprobeMulti(nil, prog, o)
		if err != nil {
			return fail(fmt.Errorf("usdt: %s: uprobe_multi on %d call sites: %w", path, len(l.sites), err))
		}
		l.links = append(l.links, ln)
	} else {
		for _, s := range l.sites {
			ln, err := ex.Uprobe("", prog, &link.UprobeOptions{
				Address: s.CallSite.FileOffset + s.Shift, RefCtrOffset: s.CallSite.SemaphoreOffset, Cookie: uint64(s.SpecID), PID: opts.PID,
			})
			if err != nil {
				return fail(fmt.Errorf("usdt: %s: %s:%s at offset %#x: %w", path, s.CallSite.Provider, s.CallSite.Name, s.CallSite.FileOffset+s.Shift, err))
			}
			l.links = append(l.links, ln)
		}
	}
	l.Link = l.links[0]
	return l, nil
}

// acquireLocked returns the spec id holding spec, writing it to the map
// if it is new.
func (m *Manager) acquireLocked(spec []byte) (uint32, error) {
	if s, ok := m.ids[string(spec)]; ok {
		s.refs++
		return s.id, nil
	}
	var id uint32
	switch {
	case len(m.free) > 0:
		id = m.free[len(m.free)-1]
		m.free = m.free[:len(m.free)-1]
	case m.nextID < m.capacity:
		id = m.nextID
		m.nextID++
	default:
		return 0, fmt.Errorf("usdt: %w: all %d slots hold distinct specs in use (raise Config.SpecCapacity or Config.ExtraSpecs)", ErrSpecMapFull, m.capacity)
	}
	if err := m.specs.Update(id, spec, ebpf.UpdateAny); err != nil {
		m.free = append(m.free, id)
		return 0, fmt.Errorf("usdt: writing spec %d: %w", id, err)
	}
	m.ids[string(spec)] = &specID{id: id, refs: 1}
	m.specOf[id] = string(spec)
	return id, nil
}

// releaseLocked drops the sites' references to their specs and IP
// entries; unreferenced ids go back to the free list.
func (m *Manager) releaseLocked(sites []AttachedSite) error {
	var errs []error
	for _, s := range sites {
		if s.IP != 0 {
			errs = append(errs, m.ips.Delete(s.IP))
			delete(m.ipEntries, s.IP)
		}
	}
	for _, s := range sites {
		key := m.specOf[s.SpecID]
		if sid := m.ids[key]; sid != nil {
			if sid.refs--; sid.refs == 0 {
				delete(m.ids, key)
				delete(m.specOf, s.SpecID)
				m.free = append(m.free, sid.id)
			}
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) addIPLocked(ip uint64, id uint32) error {
	if m.ipEntries[ip] {
		return fmt.Errorf("IP %#x is already attached by another USDT link", ip)
	}
	if err := m.ips.Update(ip, id, ebpf.UpdateNoExist); err != nil {
		return fmt.Errorf("IP map entry %#x: %w", ip, err)
	}
	m.ipEntries[ip] = true
	return nil
}

// ipLocator maps file offsets to the absolute addresses the BPF side sees
// in pt_regs: link-time addresses for ET_EXEC, and through the process's
// mappings otherwise.
func ipLocator(f *compiler.File, path string, pid int) (func(uint64) (uint64, error), error) {
	if f.Type == elf.ET_EXEC {
		byOffset := map[uint64]uint64{}
		for _, p := range f.CallSites {
			byOffset[p.FileOffset] = p.PC
		}
		return func(off uint64) (uint64, error) { return byOffset[off], nil }, nil
	}
	if pid <= 0 {
		return nil, fmt.Errorf("usdt: %s: %w", path, ErrNeedPID)
	}
	maps, err := executableMappings(pid, path)
	if err != nil {
		return nil, fmt.Errorf("usdt: %w", err)
	}
	return func(off uint64) (uint64, error) {
		for _, mp := range maps {
			if off >= mp.offset && off-mp.offset < mp.end-mp.start {
				return mp.start + off - mp.offset, nil
			}
		}
		return 0, fmt.Errorf("file offset %#x is not mapped executable in process %d", off, pid)
	}, nil
}
