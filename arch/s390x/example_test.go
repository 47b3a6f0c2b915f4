package s390x_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/s390x"
)

// An s390x note: a register, a stack slot (160(%r15)) and a constant.
func Example() {
	for _, text := range arch.Split("-4@%r2 8@160(%r15) 4@7") {
		a, err := arch.ParseArg(s390x.Arch, text)
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
	// -4@%r2         4 bytes in r2, pt_regs+40
	// 8@160(%r15)    8 bytes at r15+160, r15 at pt_regs+144
	// 4@7            const 7
}
