package arm

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
)

// checkSite refuses call sites in Thumb code. The 32-bit arm kernel's
// uprobes decode A32 instructions only: it refuses an address that is not
// a multiple of 4, and at one that is, it writes an A32 breakpoint over
// Thumb instructions, which crashes the traced program (seen in the armhf
// VM). armhf gcc emits Thumb-2 by default; -marm gives A32.
//
// Which code a pc is in: the ELF for the Arm Architecture's mapping
// symbols ("$a", "$t", "$d", optionally with a ".suffix") mark where each
// kind starts; without them (a stripped file) the function symbol around
// pc has bit 0 set for Thumb; without either, a pc that is not a multiple
// of 4 can only be Thumb. A 4-aligned pc with no symbol to tell is let
// through: the kernel's own check is all there is then.
func checkSite(pc uint64, syms []elf.Symbol) error {
	var mapping *elf.Symbol
	var fn *elf.Symbol
	for i := range syms {
		s := &syms[i]
		switch {
		case isMappingSymbol(s.Name):
			if s.Value <= pc && (mapping == nil || s.Value > mapping.Value) {
				mapping = s
			}
		case elf.ST_TYPE(s.Info) == elf.STT_FUNC:
			start := s.Value &^ 1
			if start <= pc && pc < start+s.Size {
				fn = s
			}
		}
	}
	switch {
	case mapping != nil && mapping.Name[1] == 't':
		return fmt.Errorf("%w: pc %#x is in Thumb code (mapping symbol at %#x): the arm kernel probes A32 code only (build with -marm)", arch.ErrSiteUnprobeable, pc, mapping.Value)
	case mapping != nil:
		return nil
	case fn != nil && fn.Value&1 != 0:
		return fmt.Errorf("%w: pc %#x is in Thumb function %s: the arm kernel probes A32 code only (build with -marm)", arch.ErrSiteUnprobeable, pc, fn.Name)
	case fn == nil && pc%4 != 0:
		return fmt.Errorf("%w: pc %#x is not a multiple of 4, so Thumb code: the arm kernel probes A32 code only (build with -marm)", arch.ErrSiteUnprobeable, pc)
	}
	return nil
}

// isMappingSymbol reports whether name is "$a", "$t" or "$d", alone or
// followed by ".suffix".
func isMappingSymbol(name string) bool {
	return len(name) >= 2 && name[0] == '$' && strings.ContainsRune("atd", rune(name[1])) &&
		(len(name) == 2 || name[2] == '.')
}
