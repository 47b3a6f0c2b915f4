package amd64_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/amd64"
)

// An x86-64 note: a register, a stack slot, a scaled index and a constant.
func Example() {
	for _, text := range arch.Split("-4@%edi 8@-8(%rbp) -2@(%rcx,%rdi,2) -4@$-1") {
		a, err := arch.ParseArg(amd64.Arch, text)
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch a.Kind {
		case arch.Const:
			fmt.Printf("%-16s const %d\n", text, int64(a.Value))
		case arch.Reg:
			fmt.Printf("%-16s %d bytes in %s, pt_regs+%d\n", text, a.Size, a.Base.Name, a.Base.Offset)
		case arch.SIB:
			fmt.Printf("%-16s %d bytes at %s+%s*%d%+d, pt_regs+%d and +%d\n", text, a.Size, a.Base.Name, a.Index.Name, a.Scale, a.Offset, a.Base.Offset, a.Index.Offset)
		default:
			fmt.Printf("%-16s %d bytes at %s%+d, %s at pt_regs+%d\n", text, a.Size, a.Base.Name, a.Offset, a.Base.Name, a.Base.Offset)
		}
	}
	// Output:
	// -4@%edi          4 bytes in edi, pt_regs+112
	// 8@-8(%rbp)       8 bytes at rbp-8, rbp at pt_regs+32
	// -2@(%rcx,%rdi,2) 2 bytes at rcx+rdi*2+0, pt_regs+88 and +112
	// -4@$-1           const -1
}
