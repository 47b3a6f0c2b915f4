package mips64_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/mips64"
)

// A mips64 note: numbered ($4) and ABI ($a1) register names, and a stack slot.
func Example() {
	for _, text := range arch.Split("-4@$4 8@16($sp) 8@$a1") {
		a, err := arch.ParseArg(mips64.Arch, text)
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
	// -4@$4          4 bytes in 4, pt_regs+32
	// 8@16($sp)      8 bytes at sp+16, sp at pt_regs+232
	// 8@$a1          8 bytes in a1, pt_regs+40
}
