package arm_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/arm"
)

// A 32-bit arm note: a register, a stack slot and a constant.
func Example() {
	for _, text := range arch.Split("-4@r0 4@[sp, #8] -4@#-1") {
		a, err := arch.ParseArg(arm.Arch, text)
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
	// -4@r0          4 bytes in r0, pt_regs+0
	// 4@[sp, #8]     4 bytes at sp+8, sp at pt_regs+52
	// -4@#-1         const -1
}
