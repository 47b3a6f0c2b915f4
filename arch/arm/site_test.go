package arm

import (
	"debug/elf"
	"errors"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
)

// TestCheckSite: Thumb code is found by mapping symbol, else by the
// enclosing function's bit 0, else by an address no A32 instruction has.
func TestCheckSite(t *testing.T) {
	mapping := func(name string, at uint64) elf.Symbol {
		return elf.Symbol{Name: name, Value: at, Info: elf.ST_INFO(elf.STB_LOCAL, elf.STT_NOTYPE)}
	}
	fn := func(at, size uint64) elf.Symbol {
		return elf.Symbol{Name: "f", Value: at, Size: size, Info: elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC)}
	}
	for _, tc := range []struct {
		name  string
		pc    uint64
		syms  []elf.Symbol
		thumb bool
	}{
		{"after $t", 0x108, []elf.Symbol{mapping("$a", 0x100), mapping("$t", 0x104), mapping("$a", 0x200)}, true},
		{"after $a", 0x204, []elf.Symbol{mapping("$t", 0x104), mapping("$a", 0x200)}, false},
		{"after $t.12", 0x108, []elf.Symbol{mapping("$t.12", 0x100)}, true},
		{"$d then $a", 0x108, []elf.Symbol{mapping("$d", 0x100), mapping("$a", 0x104)}, false},
		{"$x is no arm mapping symbol", 0x108, []elf.Symbol{mapping("$x", 0x100), fn(0x100, 0x20)}, false},
		{"Thumb function, stripped", 0x108, []elf.Symbol{fn(0x101, 0x20)}, true},
		{"A32 function, stripped", 0x108, []elf.Symbol{fn(0x100, 0x20)}, false},
		{"outside the Thumb function", 0x128, []elf.Symbol{fn(0x101, 0x20)}, false},
		{"no symbols, halfword address", 0x10a, nil, true},
		{"no symbols, word address", 0x108, nil, false},
	} {
		err := checkSite(tc.pc, tc.syms)
		if got := errors.Is(err, arch.ErrSiteUnprobeable); got != tc.thumb || (err != nil) != tc.thumb {
			t.Errorf("%s: checkSite(%#x) = %v, want Thumb %v", tc.name, tc.pc, err, tc.thumb)
		}
	}
}
