package compiler

import (
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
)

// Sentinel errors of symbol resolution; each also wraps arch.ErrSymbolic.
var (
	// ErrSymbolNotFound: the symbol is in no symbol table (a stripped
	// file, or an assembler-local label such as .LC0).
	ErrSymbolNotFound = errors.New("symbol not found")
	// ErrSymbolAmbiguous: several symbols of that name have different
	// addresses (two static variables of one name in different files).
	ErrSymbolAmbiguous = errors.New("ambiguous symbol")
	// ErrNoGOTSlot: no dynamic relocation says where the symbol's GOT
	// slot is.
	ErrNoGOTSlot = errors.New("no GOT slot")
	// ErrAbsoluteAddress: a symbol's absolute address is used in a
	// position-independent file, where it moves with the load address.
	ErrAbsoluteAddress = errors.New("absolute symbol address in a position-independent file")
)

// symbols resolves operand symbols of one ELF file; it reads the tables
// on first use.
type symbols struct {
	ef   *elf.File
	path string      // the file's path, for its .gnu_debuglink; "" when unknown
	self os.FileInfo // the file's, to tell its debug file from itself; nil when unknown
	dirs []string    // where separate debug files are looked for
	// rejected are the debug files found but not used, and why.
	rejected []error

	tablesRead bool
	symtab     []elf.Symbol   // .symtab, or the separate debug file's
	symtabSecs []*elf.Section // the section headers symtab's indexes refer to
	dynsym     []elf.Symbol
	debugPath  string // the separate debug file symtab came from, if any

	loaded  bool
	hasTab  bool
	addrs   map[string][]uint64 // defined symbols by name, distinct addresses
	gotSlot map[string]uint64   // GOT slot address by symbol name
	gotBase uint64              // _GLOBAL_OFFSET_TABLE_, or .got.plt; 0 if unknown
	list    []elf.Symbol        // all, when asked for
}

// tables reads .symtab and .dynsym once. A file without .symtab gets
// the one of its separate debug file, when one is found (see
// [Options].DebugDirs).
func (s *symbols) tables() {
	if s.tablesRead {
		return
	}
	s.tablesRead = true
	s.dynsym, _ = s.ef.DynamicSymbols()
	if symtabReadable(s.ef) {
		if st, err := s.ef.Symbols(); err == nil {
			s.symtab, s.symtabSecs = st, s.ef.Sections
			return
		}
	}
	dbg, path, rejected := openDebugFile(s.ef, s.path, s.self, s.dirs)
	s.rejected = rejected
	if dbg == nil {
		return
	}
	defer dbg.Close()
	if !symtabReadable(dbg.File) {
		s.rejected = append(s.rejected, fmt.Errorf("%s: %w: its symbol table is compressed beyond %dx (a crafted file)", path, ErrDebugFileRejected, maxSymtabInflate))
		return
	}
	if st, err := dbg.Symbols(); err == nil {
		s.symtab, s.symtabSecs, s.debugPath = st, dbg.Sections, path
	}
}

// maxSymtabInflate bounds how much a compressed symbol or string table
// may inflate. No linker or objcopy compresses them (only .debug_*
// sections), so this only meets crafted files, where 1 MB of zlib
// would otherwise become 1 GB of symbols; 16x is beyond what symbol
// tables compress to.
const maxSymtabInflate = 16

// symtabReadable reports whether ef's .symtab and its string table may be
// read whole: uncompressed (read no further than the file's end), or
// compressed within maxSymtabInflate.
func symtabReadable(ef *elf.File) bool {
	sec := ef.SectionByType(elf.SHT_SYMTAB)
	if sec == nil {
		return true // Symbols says there is none
	}
	secs := []*elf.Section{sec}
	if int(sec.Link) < len(ef.Sections) {
		secs = append(secs, ef.Sections[sec.Link])
	}
	for _, s := range secs {
		if strings.HasPrefix(s.Name, ".zdebug") {
			return false // its size is known only while it is read
		}
		if s.Flags&elf.SHF_COMPRESSED != 0 && s.Size/maxSymtabInflate > s.FileSize {
			return false
		}
	}
	return true
}

func (s *symbols) load() {
	if s.loaded {
		return
	}
	s.loaded = true
	s.tables()
	s.addrs = map[string][]uint64{}
	add := func(syms []elf.Symbol) {
		for _, sym := range syms {
			if sym.Section == elf.SHN_UNDEF || sym.Name == "" {
				continue
			}
			switch elf.ST_TYPE(sym.Info) {
			case elf.STT_SECTION, elf.STT_FILE, elf.STT_TLS:
				continue
			}
			seen := false
			for _, a := range s.addrs[sym.Name] {
				seen = seen || a == sym.Value
			}
			if !seen {
				s.addrs[sym.Name] = append(s.addrs[sym.Name], sym.Value)
			}
		}
	}
	if s.symtab != nil {
		s.hasTab = true
		add(s.symtab)
	}
	dyn := s.dynsym
	add(dyn)
	// The GOT base that @GOTOFF is relative to: the symbol the linker
	// defines there; else DT_PLTGOT, which holds the same address and
	// stays in stripped files (and in BIND_NOW ones, which may have no
	// .got.plt: bookworm's i386 postgres); else the start of .got.plt.
	if a := s.addrs["_GLOBAL_OFFSET_TABLE_"]; len(a) == 1 {
		s.gotBase = a[0]
	} else if v, err := s.ef.DynValue(elf.DT_PLTGOT); err == nil && len(v) == 1 && v[0] != 0 {
		s.gotBase = v[0]
	} else if sec := s.ef.Section(".got.plt"); sec != nil {
		s.gotBase = sec.Addr
	}
	s.gotSlot = map[string]uint64{}
	// A GOT slot is the target of a dynamic relocation naming the
	// symbol (GLOB_DAT, or a plain 64-bit one); any relocation type will
	// do, so nothing here depends on the architecture.
	for _, sec := range s.ef.Sections {
		if sec.Type != elf.SHT_RELA || sec.Flags&elf.SHF_ALLOC == 0 || s.ef.Class != elf.ELFCLASS64 {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for off := 0; off+24 <= len(data); off += 24 {
			r := s.ef.ByteOrder.Uint64(data[off:])
			idx := s.ef.ByteOrder.Uint64(data[off+8:]) >> 32
			if idx == 0 || int(idx) > len(dyn) {
				continue
			}
			name := dyn[idx-1].Name // DynamicSymbols drops the null symbol
			if _, ok := s.gotSlot[name]; !ok {
				s.gotSlot[name] = r
			}
		}
	}
}

// code returns the file's symbols in executable sections, .symtab's then
// .dynsym's, read once; for an architecture's CheckSite. Symbols of other
// sections would mislead it: arm's "$d" mapping symbols also mark data
// sections, whose addresses can fall among the code's.
func (s *symbols) code() []elf.Symbol {
	if s.list == nil {
		s.tables()
		s.list = []elf.Symbol{}
		keep := func(syms []elf.Symbol, secs []*elf.Section) {
			for _, sym := range syms {
				i := int(sym.Section)
				if sym.Section < elf.SHN_LORESERVE && i < len(secs) && secs[i].Flags&elf.SHF_EXECINSTR != 0 {
					s.list = append(s.list, sym)
				}
			}
		}
		keep(s.symtab, s.symtabSecs)
		keep(s.dynsym, s.ef.Sections)
	}
	return s.list
}

func isLowBits(r arch.SymbolRef) bool { _, ok := r.LowBits(0); return ok }

// noDebugFile says which separate debug file was looked for, and where.
func (s *symbols) noDebugFile() string {
	in := " in " + strings.Join(s.dirs, ", ")
	if len(s.dirs) == 0 {
		in = " (no debug folders given)"
	}
	var looked []string
	if id := buildID(s.ef); len(id) > 0 {
		looked = append(looked, "no debug file of build-id "+hex.EncodeToString(id)+in)
	}
	if name, _, ok := debugLink(s.ef); ok {
		where := in
		if s.path != "" {
			where = " next to it" + strings.Replace(in, " in ", " or in ", 1)
		}
		looked = append(looked, "no debug file "+name+" (.gnu_debuglink) with its CRC32"+where)
	}
	if looked == nil {
		return "no build-id or .gnu_debuglink to find a debug file by"
	}
	for _, err := range s.rejected {
		looked = append(looked, err.Error()) // "PATH: debug file not used: why"
	}
	return strings.Join(looked, ", and ")
}

// resolve makes a symbolic operand concrete for the call site at pc.
func (s *symbols) resolve(a *arch.Arg, pc uint64, fileType elf.Type) (uint64, error) {
	if a.SymbolRef == arch.SymbolTPOff {
		return s.resolveTPOff(a) // tls.go: an offset, whatever the file type
	}
	s.load()
	var addr uint64
	switch a.SymbolRef {
	case arch.SymbolGOTSlot:
		slot, ok := s.gotSlot[a.Symbol]
		if !ok {
			return 0, fmt.Errorf("%w: %w: %s has no dynamic relocation", arch.ErrSymbolic, ErrNoGOTSlot, a.Symbol)
		}
		addr = slot
	default:
		addrs := s.addrs[a.Symbol]
		switch {
		case len(addrs) > 1:
			return 0, fmt.Errorf("%w: %w: %s has %d addresses", arch.ErrSymbolic, ErrSymbolAmbiguous, a.Symbol, len(addrs))
		case len(addrs) == 0 && !s.hasTab:
			return 0, fmt.Errorf("%w: %w: %s (stripped: no .symtab, and %s)", arch.ErrSymbolic, ErrSymbolNotFound, a.Symbol, s.noDebugFile())
		case len(addrs) == 0 && s.debugPath != "":
			return 0, fmt.Errorf("%w: %w: %s (in neither the file nor its debug file %s)", arch.ErrSymbolic, ErrSymbolNotFound, a.Symbol, s.debugPath)
		case len(addrs) == 0:
			return 0, fmt.Errorf("%w: %w: %s", arch.ErrSymbolic, ErrSymbolNotFound, a.Symbol)
		}
		addr = addrs[0]
	}
	switch {
	case a.SymbolRef == arch.SymbolGOTOffset:
		if s.gotBase == 0 {
			return 0, fmt.Errorf("%w: %w: no _GLOBAL_OFFSET_TABLE_, DT_PLTGOT or .got.plt for %s@GOTOFF", arch.ErrSymbolic, ErrNoGOTSlot, a.Symbol)
		}
		// The base register holds the GOT's run-time address.
		a.Offset += int64(addr - s.gotBase)
	case isLowBits(a.SymbolRef):
		// The base register holds the high part of sym+N (adrp, lui,
		// pcalau12i, a %got_page load): the operand adds the low bits
		// of sym+N, not the low bits of sym plus N. They are the
		// link-time bits, the immediate the program's own instructions
		// add to the same register, wherever the file is loaded.
		a.Offset, _ = a.SymbolRef.LowBits(addr + uint64(a.Offset))
	case a.PCRelative:
		// pt_regs' instruction pointer is the probe's address while the
		// handler runs: the operand is at (addr - pc) from it, wherever
		// the file is loaded.
		a.Offset += int64(addr - pc)
	case fileType != elf.ET_EXEC:
		return 0, fmt.Errorf("%w: %w: %s", arch.ErrSymbolic, ErrAbsoluteAddress, a.Symbol)
	case a.Kind == arch.Const:
		// A link-time address passed as a value: arm's "#sym+8".
		a.Value += addr
	default:
		a.Offset += int64(addr)
	}
	return addr, nil
}
