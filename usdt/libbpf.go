package usdt

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// Programs written against libbpf's own <bpf/usdt.bpf.h> differ from ones
// written against this module's bpf/usdt.bpf.h in two ways cilium/ebpf
// does not accept as they are, and this file bridges both:
//
//   - the header defines its maps and helper functions __weak (the
//     functions also hidden, which libbpf loads as static), so that
//     several objects can each include it and libbpf's linker keeps one
//     copy; cilium/ebpf refuses maps bound STB_WEAK. [LoadCollectionSpec]
//     rebinds them STB_GLOBAL before cilium/ebpf reads the object: a BPF
//     object is loaded alone, with nothing that could override a weak
//     definition, so the two bindings mean the same there.
//   - it reads "extern const bool LINUX_HAS_BPF_COOKIE __kconfig", a value
//     libbpf makes up (it is no kernel config option, so cilium/ebpf fails
//     to find it). [LoadCollectionSpec] points those loads at a map of
//     its own, and [Prepare] fills it with the mode it chose.
//
// The spec layout follows the object: libbpf ≥ 1.7's header has 304-byte
// specs, older ones 208-byte specs without SIB arguments.

const libbpfCookieVar = "LINUX_HAS_BPF_COOKIE"

// ErrLibbpfObject: a BPF object cannot be adapted for loading (see
// [LoadCollectionSpec] and [Prepare]).
var ErrLibbpfObject = errors.New("usdt: cannot adapt BPF object")

// LoadCollectionSpec reads a BPF object file like ebpf.LoadCollectionSpec,
// also when it was built against libbpf's <bpf/usdt.bpf.h>: weak symbols
// are rebound global first. Objects built against this module's header
// read the same as with ebpf.LoadCollectionSpec.
func LoadCollectionSpec(path string) (*ebpf.CollectionSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("usdt: %w", err)
	}
	spec, err := loadObject(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// LoadCollectionSpecFromReader is [LoadCollectionSpec] for an object in
// memory or any io.Reader.
func LoadCollectionSpecFromReader(r io.Reader) (*ebpf.CollectionSpec, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("usdt: %w", err)
	}
	return loadObject(b)
}

func loadObject(b []byte) (*ebpf.CollectionSpec, error) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibbpfObject, err)
	}
	if err := unweaken(f, b); err != nil {
		return nil, err
	}
	marked, err := markCookieLoads(f, b)
	if err != nil {
		return nil, err
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if marked {
		if err := redirectCookieLoads(spec); err != nil {
			return nil, err
		}
	}
	staticHidden(f, spec)
	return spec, nil
}

// staticHidden gives the BTF of every hidden global function static
// linkage, as libbpf does when it loads an object: the verifier checks a
// global function alone, against its BTF signature, and a static one in
// the context of each call, which libbpf's usdt.bpf.h relies on
// (bpf_usdt_arg stores through its caller's pointer). Hidden functions
// cannot be called from outside the object, so the two are equivalent.
func staticHidden(f *elf.File, spec *ebpf.CollectionSpec) {
	syms, _ := f.Symbols()
	hidden := map[string]bool{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_VISIBILITY(s.Other) == elf.STV_HIDDEN {
			hidden[s.Name] = true
		}
	}
	if len(hidden) == 0 {
		return
	}
	for _, p := range spec.Programs {
		for i := range p.Instructions {
			fn := btf.FuncMetadata(&p.Instructions[i])
			if fn == nil || fn.Linkage != btf.GlobalFunc || !hidden[fn.Name] {
				continue
			}
			static := *fn
			static.Linkage = btf.StaticFunc
			p.Instructions[i] = btf.WithFuncMetadata(p.Instructions[i], &static)
		}
	}
}

// unweaken rebinds every STB_WEAK symbol of a 64-bit ELF object's symbol
// table STB_GLOBAL, in place.
func unweaken(f *elf.File, b []byte) error {
	if f.Class != elf.ELFCLASS64 {
		return fmt.Errorf("%w: %v object, BPF objects are ELFCLASS64", ErrLibbpfObject, f.Class)
	}
	sym := f.SectionByType(elf.SHT_SYMTAB)
	if sym == nil {
		return nil // nothing to rebind; cilium/ebpf reports what else is missing
	}
	if sym.Offset+sym.Size > uint64(len(b)) || sym.Offset+sym.Size < sym.Offset {
		return fmt.Errorf("%w: symbol table outside the file", ErrLibbpfObject)
	}
	// Elf64_Sym: st_name (4 bytes), then st_info: binding in its high
	// nibble, type in its low one.
	for off := sym.Offset; off+elf.Sym64Size <= sym.Offset+sym.Size; off += elf.Sym64Size {
		info := b[off+4]
		if elf.ST_BIND(info) == elf.STB_WEAK {
			b[off+4] = elf.ST_INFO(elf.STB_GLOBAL, elf.ST_TYPE(info))
		}
	}
	return nil
}

// cookieMark is written into the immediate of every instruction that
// loads LINUX_HAS_BPF_COOKIE (its relocations say which), so that those
// loads can be told apart from other .kconfig loads once cilium/ebpf has
// read the object: it keeps the immediate until it resolves .kconfig.
const cookieMark = 0x55534454 // "USDT"

// markCookieLoads finds the relocations against LINUX_HAS_BPF_COOKIE and
// marks their instructions (see cookieMark). Reports whether it found any.
func markCookieLoads(f *elf.File, b []byte) (bool, error) {
	syms, err := f.Symbols()
	if err != nil {
		return false, nil // no symbols, no relocations to them
	}
	found := false
	for _, rel := range f.Sections {
		if rel.Type != elf.SHT_REL || int(rel.Info) >= len(f.Sections) {
			continue
		}
		target := f.Sections[rel.Info]
		data, err := rel.Data()
		if err != nil {
			return false, fmt.Errorf("%w: %s: %w", ErrLibbpfObject, rel.Name, err)
		}
		for off := 0; off+16 <= len(data); off += 16 { // Elf64_Rel
			rOffset := f.ByteOrder.Uint64(data[off:])
			sym := f.ByteOrder.Uint64(data[off+8:]) >> 32
			if sym == 0 || sym > uint64(len(syms)) || syms[sym-1].Name != libbpfCookieVar {
				continue
			}
			// The 64-bit immediate load: code, regs, off (4 bytes), then imm.
			at := target.Offset + rOffset + 4
			if target.Type != elf.SHT_PROGBITS || rOffset+16 > target.Size || at+4 > uint64(len(b)) {
				return false, fmt.Errorf("%w: relocation of %s outside %s", ErrLibbpfObject, libbpfCookieVar, target.Name)
			}
			f.ByteOrder.PutUint32(b[at:], cookieMark)
			found = true
		}
	}
	return found, nil
}

// libbpfKconfigMap holds LINUX_HAS_BPF_COOKIE for a program built against
// libbpf's header: its loads are pointed here, and Prepare fills it.
const libbpfKconfigMap = "__usdtspec_libbpf_kconfig"

// redirectCookieLoads points the marked LINUX_HAS_BPF_COOKIE loads at
// libbpfKconfigMap, which it adds to spec. cilium/ebpf would otherwise
// look the name up among the kernel's config options and fail; other
// .kconfig externs stay cilium/ebpf's.
func redirectCookieLoads(spec *ebpf.CollectionSpec) error {
	n := 0
	for _, p := range spec.Programs {
		for i, ins := range p.Instructions {
			if !ins.OpCode.IsDWordLoad() || ins.Src != asm.PseudoMapValue || ins.Reference() != "" || uint32(ins.Constant) != cookieMark {
				continue
			}
			// A fresh instruction, without cilium/ebpf's .kconfig
			// metadata, keeping what else the old one carried.
			load := asm.Instruction{OpCode: ins.OpCode, Dst: ins.Dst, Src: asm.PseudoMapValue, Constant: 0}
			load = load.WithSymbol(ins.Symbol()).WithSource(ins.Source()).WithReference(libbpfKconfigMap)
			if fn := btf.FuncMetadata(&ins); fn != nil {
				load = btf.WithFuncMetadata(load, fn)
			}
			p.Instructions[i] = load
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: %s is relocated but no program loads it", ErrLibbpfObject, libbpfCookieVar)
	}
	spec.Maps[libbpfKconfigMap] = &ebpf.MapSpec{
		Name: libbpfKconfigMap, Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1,
		Flags: unix.BPF_F_RDONLY_PROG,
	}
	return nil
}

// fillLibbpfKconfig sets LINUX_HAS_BPF_COOKIE to the mode the manager
// chose, for a program built against libbpf's header. Reports whether the
// spec is such a program.
func fillLibbpfKconfig(spec *ebpf.CollectionSpec, cookies bool) bool {
	m, ok := spec.Maps[libbpfKconfigMap]
	if !ok {
		return false
	}
	v := make([]byte, m.ValueSize)
	if cookies {
		v[0] = 1 // a bool: its first byte, whatever the byte order
	}
	m.Contents = []ebpf.MapKV{{Key: uint32(0), Value: v}}
	return true
}
