package arch_test

import (
	"errors"
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/amd64"
)

// The argument string of a note is split into arguments, and each is
// parsed with the grammar of the file's architecture. An operand that no
// spec can express fails with an error that wraps one of the package's
// sentinel errors.
func Example() {
	for _, text := range arch.Split("-4@%edi 8@-8(%rbp) 4@%xmm0 -4@%eex") {
		a, err := arch.ParseArg(amd64.Arch, text)
		switch {
		case errors.Is(err, arch.ErrFloatRegister):
			fmt.Printf("%s: in a floating-point register, outside pt_regs\n", text)
		case errors.Is(err, arch.ErrUnknownRegister):
			fmt.Printf("%s: %v\n", text, err)
		case err != nil:
			fmt.Printf("%s: %v\n", text, err)
		default:
			fmt.Printf("%s: %s, %d bytes, signed %t, base %s at pt_regs+%d, offset %d\n",
				text, a.Kind, a.Size, a.Signed, a.Base.Name, a.Base.Offset, a.Offset)
		}
	}
	// Output:
	// -4@%edi: reg, 4 bytes, signed true, base edi at pt_regs+112, offset 0
	// 8@-8(%rbp): deref, 8 bytes, signed false, base rbp at pt_regs+32, offset -8
	// 4@%xmm0: in a floating-point register, outside pt_regs
	// -4@%eex: unknown register "eex"
}
