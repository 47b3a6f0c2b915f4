package amd64

import (
	"maps"
	"testing"

	"github.com/usdtspec/usdtspec/internal/archtest"
)

// FuzzParseOperand checks that the grammar never panics, that every error
// wraps exactly one sentinel, and that what it accepts is a well-formed
// operand over registers of the table.
func FuzzParseOperand(f *testing.F) {
	for _, s := range []string{"%edi", "-8(%rbp)", "(%rcx,%rdi,2)", "16(%rsp,%rax,4)", "$-9",
		"$0xff", "8+16(%rsp)", "gi(%rip)", "%xmm0", "%ah", "(,%rax,8)", "%st(1)", "%fs:0"} {
		f.Add(s)
	}
	// The registers an operand may name: the table and the high bytes.
	regs := maps.Clone(ptRegs)
	for name, slot := range highByte {
		regs[name] = ptRegs[slot] + 1
	}
	f.Fuzz(func(t *testing.T, s string) {
		archtest.CheckOperand(t, Arch, regs, s, parseOperand)
	})
}
