package amd64

import (
	"testing"

	"github.com/usdtspec/usdtspec/arch"
)

func FuzzParseOperand(f *testing.F) {
	for _, s := range []string{"%edi", "-8(%rbp)", "(%rcx,%rdi,2)", "16(%rsp,%rax,4)", "$-9",
		"$0xff", "8+16(%rsp)", "gi(%rip)", "%xmm0", "%ah", "(,%rax,8)", "%st(1)", "%fs:0"} {
		f.Add(s)
	}
	valid := map[uint16]bool{}
	for _, off := range ptRegs {
		valid[off] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		op, err := parseOperand(s)
		if err != nil {
			return
		}
		switch op.Kind {
		case arch.Const:
		case arch.Reg, arch.Deref:
			if !valid[op.Base.Offset] || op.Base.Name == "" {
				t.Fatalf("%q: bad base %+v", s, op.Base)
			}
		case arch.SIB:
			if !valid[op.Base.Offset] || !valid[op.Index.Offset] {
				t.Fatalf("%q: bad registers %+v", s, op)
			}
			if op.Scale != 1 && op.Scale != 2 && op.Scale != 4 && op.Scale != 8 {
				t.Fatalf("%q: scale %d", s, op.Scale)
			}
		default:
			t.Fatalf("%q: kind %v", s, op.Kind)
		}
	})
}
