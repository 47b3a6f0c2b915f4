package ppc64_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/ppc64"
)

// A ppc64 note: gcc writes registers as bare numbers (3 is r3, -8(31) is -8(r31)) and immediates with an "i".
func Example() {
	for _, text := range arch.Split("-4@3 8@-8(31) 4@i5") {
		a, err := arch.ParseArg(ppc64.Arch, text)
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
	// -4@3           4 bytes in 3, pt_regs+24
	// 8@-8(31)       8 bytes at 31-8, 31 at pt_regs+248
	// 4@i5           const 5
}
