package loong64_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/loong64"
)

// A loong64 note: "$r3,16" is memory at $r3+16.
func Example() {
	for _, text := range arch.Split("-4@$r4 8@$r3,16 -4@-1") {
		a, err := arch.ParseArg(loong64.Arch, text)
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
	// -4@$r4         4 bytes in r4, pt_regs+32
	// 8@$r3,16       8 bytes at r3+16, r3 at pt_regs+24
	// -4@-1          const -1
}
