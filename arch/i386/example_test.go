package i386_test

import (
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/i386"
)

// An i386 note: a 64-bit value named by one 32-bit register is in a
// register pair (gcc's: edx:eax here), and one named by ebp is refused, as
// only its low half would be there.
func Example() {
	for _, text := range arch.Split("-4@8(%ebp) 4@%eax -8@%eax -8@%ebp") {
		a, err := arch.ParseArg(i386.Arch, text)
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch a.Kind {
		case arch.Const:
			fmt.Printf("%-14s const %d\n", text, int64(a.Value))
		case arch.Reg:
			fmt.Printf("%-14s %d bytes in %s, pt_regs+%d\n", text, a.Size, a.Base.Name, a.Base.Offset)
		case arch.Pair:
			fmt.Printf("%-14s %d bytes in %s:%s, pt_regs+%d and +%d\n", text, a.Size, a.Index.Name, a.Base.Name, a.Index.Offset, a.Base.Offset)
		default:
			fmt.Printf("%-14s %d bytes at %s%+d, %s at pt_regs+%d\n", text, a.Size, a.Base.Name, a.Offset, a.Base.Name, a.Base.Offset)
		}
	}
	// Output:
	// -4@8(%ebp)     4 bytes at ebp+8, ebp at pt_regs+32
	// 4@%eax         4 bytes in eax, pt_regs+80
	// -8@%eax        8 bytes in edx:eax, pt_regs+96 and +80
	// value wider than its register: 8 bytes named by the 4-byte register ebp, which holds only the low half; the note does not say which register holds the rest
}
