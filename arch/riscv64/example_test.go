package riscv64_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/riscv64"
)

// A riscv64 note: an ABI register name, a stack slot and a constant.
func Example() {
	for _, text := range arch.Split("-4@a0 8@16(sp) -4@-1") {
		a, err := arch.ParseArg(riscv64.Arch, text)
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch a.Kind {
		case arch.Const:
			fmt.Printf("%-14s const %d\n", text, int64(a.Value))
		case arch.Reg:
			fmt.Printf("%-14s %d bytes in %s, pt_regs+%d\n", text, a.Size, a.Base.Name, a.Base.Offset)
		default:
			fmt.Printf("%-14s %d bytes at %s%+d, %s at pt_regs+%d\n", text, a.Size, a.Base.Name, a.Offset, a.Base.Name, a.Base.Offset)
		}
	}
	// Output:
	// -4@a0          4 bytes in a0, pt_regs+80
	// 8@16(sp)       8 bytes at sp+16, sp at pt_regs+16
	// -4@-1          const -1
}
