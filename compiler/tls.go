package compiler

import (
	"debug/elf"
	"errors"
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
)

// ErrNoTLS: a thread-local operand names a symbol of a file without a
// PT_TLS segment, or a symbol that is not thread-local. It also wraps
// arch.ErrSymbolic.
var ErrNoTLS = errors.New("no thread-local storage for the symbol")

// resolveTPOff gives a "sym@tpoff" operand the symbol's offset from the
// thread pointer, added to Offset (Value for a constant). It returns the
// symbol's st_value, its offset in the file's TLS template.
//
// Only the executable's own thread-locals have an offset fixed at link
// time (local-exec, which is when compilers write @tpoff): its TLS block
// is the first below the thread pointer. This is x86-64's TLS variant II,
// as ld and glibc's loader lay it out: the block ends at the thread
// pointer and starts round_up(p_memsz, p_align) below it, so
// tpoff = st_value - round_up(p_memsz, p_align).
func (s *symbols) resolveTPOff(a *arch.Arg) (uint64, error) {
	var tls *elf.Prog
	for _, p := range s.ef.Progs {
		if p.Type == elf.PT_TLS {
			tls = p
			break
		}
	}
	if tls == nil {
		return 0, fmt.Errorf("%w: %w: %s@tpoff in a file without PT_TLS", arch.ErrSymbolic, ErrNoTLS, a.Symbol)
	}
	s.tables()
	var values []uint64
	other := false
	for _, syms := range [][]elf.Symbol{s.symtab, s.dynsym} {
		for _, sym := range syms {
			if sym.Name != a.Symbol || sym.Section == elf.SHN_UNDEF {
				continue
			}
			if elf.ST_TYPE(sym.Info) != elf.STT_TLS {
				other = true
				continue
			}
			seen := false
			for _, v := range values {
				seen = seen || v == sym.Value
			}
			if !seen {
				values = append(values, sym.Value)
			}
		}
	}
	switch {
	case len(values) > 1:
		return 0, fmt.Errorf("%w: %w: thread-local %s has %d offsets", arch.ErrSymbolic, ErrSymbolAmbiguous, a.Symbol, len(values))
	case len(values) == 0 && other:
		return 0, fmt.Errorf("%w: %w: %s is not thread-local (STT_TLS)", arch.ErrSymbolic, ErrNoTLS, a.Symbol)
	case len(values) == 0:
		return 0, fmt.Errorf("%w: %w: thread-local %s", arch.ErrSymbolic, ErrSymbolNotFound, a.Symbol)
	}
	align := max(tls.Align, 1)
	tpoff := int64(values[0]) - int64((tls.Memsz+align-1)/align*align)
	if a.Kind == arch.Const {
		a.Value += uint64(tpoff)
	} else {
		a.Offset += tpoff
	}
	return values[0], nil
}
