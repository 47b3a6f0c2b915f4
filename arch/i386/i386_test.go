package i386

import (
	"debug/elf"
	"runtime"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// x86_64 struct pt_regs offsets, written out by hand.
const (
	offEBP = 32
	offEBX = 40
	offEAX = 80
	offECX = 88
	offEDX = 96
	offESP = 152
)

func reg(name string, off uint16) arch.Register { return arch.Register{Name: name, Offset: off} }

// TestParseArg: the operand shapes gcc 12 -m32 and clang 14 emit (survey
// section 4.4; corpus i386 shapes).
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-4@%eax", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("eax", offEAX)}}},
		{"-4@8(%ebp)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("ebp", offEBP), Offset: 8}}},
		{"4@28(%ebp)", arch.Arg{Size: 4, Operand: arch.Operand{Kind: arch.Deref, Base: reg("ebp", offEBP), Offset: 28}}},
		{"-4@(%esp)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("esp", offESP)}}},
		{"-8@$9223372036854775807", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Const, Value: 1<<63 - 1}}},
		{"-4@-32(%ebp,%edx,4)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.SIB, Base: reg("ebp", offEBP), Index: reg("edx", offEDX), Scale: 4, Offset: -32}}},
		{"-4@gi@GOTOFF(%eax)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("eax", offEAX), Symbol: "gi", SymbolRef: arch.SymbolGOTOffset}}},
		{"-2@garr@GOTOFF(%eax,%ecx,2)", arch.Arg{Size: 2, Signed: true, Operand: arch.Operand{Kind: arch.SIB, Base: reg("eax", offEAX), Index: reg("ecx", offECX), Scale: 2, Symbol: "garr", SymbolRef: arch.SymbolGOTOffset}}},
		// gcc -O2 -fno-pie's global arrays: an index without a base.
		{"-4@g_i32(,%eax,4)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Index, Index: reg("eax", offEAX), Scale: 4, Symbol: "g_i32"}}},
		{"-8@g_i64+16(,%eax,8)", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Index, Index: reg("eax", offEAX), Scale: 8, Offset: 16, Symbol: "g_i64"}}},
		{"4@8+x@GOTOFF(%ebx)", arch.Arg{Size: 4, Operand: arch.Operand{Kind: arch.Deref, Base: reg("ebx", offEBX), Offset: 8, Symbol: "x", SymbolRef: arch.SymbolGOTOffset}}},
		{"-1@%ah", arch.Arg{Size: 1, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("ah", offEAX+1)}}},
		// A 64-bit value named by its low register: gcc's register pair,
		// the high half in the next register of gcc's order.
		{"-8@%eax", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Pair, Base: reg("eax", offEAX), Index: reg("edx", offEDX), Scale: 1}}},
		{"8@%ecx", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Pair, Base: reg("ecx", offECX), Index: reg("ebx", offEBX), Scale: 1}}},
		{"8f@%esi", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Pair, Base: reg("esi", 104), Index: reg("edi", 112), Scale: 1}}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgSentinels(t, Arch, []archtest.ArgSentinelCase{
		{"-8@%rax", arch.ErrUnknownRegister},
		// A 64-bit value named by a register no gcc pair starts at (the
		// pair would end in esp), or by a 16-bit one: half of it.
		{"-8@%ebp", arch.ErrPartialRegister},
		{"-8@%ax", arch.ErrPartialRegister},
		{"-4@%r8d", arch.ErrUnknownRegister},
		{"1@%sil", arch.ErrUnknownRegister},
		{"8@x@GOTPCREL(%eip)", arch.ErrSymbolic},
		{"8f@%xmm0", arch.ErrFloatRegister},
		// The %gs base is a GDT entry the BPF side does not read; %fs
		// is x86-64's thread segment, not i386's.
		{"-4@%gs:x@ntpoff", arch.ErrUnsupported},
		{"-4@%fs:x@tpoff", arch.ErrUnsupported},
	})
}

// TestRegTableMatchesKernelHeader: the 32-bit names sit in the slots of
// their 64-bit registers in the x86_64 kernel's struct pt_regs.
func TestRegTableMatchesKernelHeader(t *testing.T) {
	field := map[string]string{"ebp": "rbp", "bp": "rbp", "ebx": "rbx", "bx": "rbx", "bl": "rbx",
		"eax": "rax", "ax": "rax", "al": "rax", "ecx": "rcx", "cx": "rcx", "cl": "rcx",
		"edx": "rdx", "dx": "rdx", "dl": "rdx", "esi": "rsi", "si": "rsi", "edi": "rdi", "di": "rdi",
		"eip": "rip", "esp": "rsp", "sp": "rsp"}
	if runtime.GOARCH != "amd64" {
		t.Skip("needs an x86_64 host compiler")
	}
	archtest.CheckKernelOffsets(t, "gcc", "/usr/include/x86_64-linux-gnu/asm/ptrace.h", elf.EM_X86_64, "struct pt_regs", ptRegs,
		func(name string) (string, bool) { f, ok := field[name]; return f, ok })
}

func FuzzParseOperand(f *testing.F) {
	for _, s := range []string{"%eax", "8(%ebp)", "-32(%ebp,%edx,4)", "gi@GOTOFF(%eax)", "$5", "%ah"} {
		f.Add(s)
	}
	regs := arch.RegTable{"ah": offEAX + 1, "bh": offEBX + 1, "ch": offECX + 1, "dh": offEDX + 1}
	for n, o := range ptRegs {
		regs[n] = o
	}
	f.Fuzz(func(t *testing.T, s string) {
		archtest.CheckOperand(t, Arch, regs, s, grammar.ParseOperand)
	})
}
