package amd64

import (
	"testing"

	"github.com/usdtspec/usdtspec/arch/archtest"
)

// FuzzParseOperand checks that the grammar never panics, that every error
// wraps exactly one sentinel, and that what it accepts is a well-formed
// operand over registers of the table.
func FuzzParseOperand(f *testing.F) {
	for _, s := range []string{"%edi", "-8(%rbp)", "(%rcx,%rdi,2)", "16(%rsp,%rax,4)", "$-9",
		"$0xff", "8+16(%rsp)", "gi(%rip)", "%xmm0", "%ah", "(,%rax,8)", "%st(1)", "%fs:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		archtest.CheckOperand(t, Arch, ptRegs, s, parseOperand)
	})
}
