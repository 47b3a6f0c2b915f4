package arm64_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/arm64"
)

// An arm64 note: a register, a stack slot ([sp, 16]) and a constant.
func Example() {
	for _, text := range arch.Split("-4@x0 8@[sp, 16] -8@-5") {
		a, err := arch.ParseArg(arm64.Arch, text)
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
	// -4@x0          4 bytes in x0, pt_regs+0
	// 8@[sp, 16]     8 bytes at sp+16, sp at pt_regs+248
	// -8@-5          const -5
}
