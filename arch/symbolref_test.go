package arch

import "testing"

// TestLowBits: what each low-bits relocation adds to its base register,
// for sym+N as the compiler hands it over (so that a displacement that
// crosses a page is cut after the addition, as the assembler does).
func TestLowBits(t *testing.T) {
	for _, tc := range []struct {
		ref  SymbolRef
		addr uint64
		want int64
	}{
		{SymbolLow12, 0x4900a8, 0xa8},
		{SymbolLow12, 0x490ffc + 8, 0x004}, // not 0xffc + 8
		{SymbolLow12, 0x490fff, 0xfff},     // unsigned: adrp rounds down
		{SymbolLow12Signed, 0x12345678, 0x678},
		{SymbolLow12Signed, 0x12345800, -0x800}, // bit 11: lui/pcalau12i rounded up
		{SymbolLow12Signed, 0x12345fff, -1},
		{SymbolLow16Signed, 0x1200a8330, 0x8330 - 0x10000},
		{SymbolLow16Signed, 0x1200a7ffc, 0x7ffc},
		{SymbolLow16Signed, 0x120000000, 0},
	} {
		got, ok := tc.ref.LowBits(tc.addr)
		if !ok || got != tc.want {
			t.Errorf("%d.LowBits(%#x) = %d, %v; want %d", tc.ref, tc.addr, got, ok, tc.want)
		}
	}
	for _, r := range []SymbolRef{SymbolAddress, SymbolGOTSlot, SymbolGOTOffset} {
		if _, ok := r.LowBits(0x1234); ok {
			t.Errorf("%d.LowBits: ok for a reference that is not low bits", r)
		}
	}
}
