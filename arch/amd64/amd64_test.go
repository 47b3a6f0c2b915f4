package amd64

import (
	"testing"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/internal/archtest"
)

// x86_64 struct pt_regs offsets, written out from
// arch/x86/include/uapi/asm/ptrace.h (r15 first, 8 bytes a slot).
const (
	offR15 = 0
	offR12 = 24
	offRBP = 32
	offRBX = 40
	offR9  = 64
	offR8  = 72
	offRAX = 80
	offRCX = 88
	offRDX = 96
	offRSI = 104
	offRDI = 112
	offRIP = 128
	offRSP = 152
)

func reg(name string, off uint16) arch.Register { return arch.Register{Name: name, Offset: off} }

// TestParseArg covers the operands gcc 12 and clang 14 emit for x86_64
// (survey section 4.4) plus the forms the grammar must accept.
func TestParseArg(t *testing.T) {
	archtest.CheckArgs(t, Arch, []archtest.ArgCase{
		{"-4@%edi", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("edi", offRDI)}}},
		{"-8@%rsi", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("rsi", offRSI)}}},
		{"-2@%dx", arch.Arg{Size: 2, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("dx", offRDX)}}},
		{"-1@%cl", arch.Arg{Size: 1, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("cl", offRCX)}}},
		{"1@%r8b", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Reg, Base: reg("r8b", offR8)}}},
		{"8@%r9", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Reg, Base: reg("r9", offR9)}}},
		{"-4@%r8d", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("r8d", offR8)}}},
		{"2@%r12w", arch.Arg{Size: 2, Operand: arch.Operand{Kind: arch.Reg, Base: reg("r12w", offR12)}}},
		{"1@%sil", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Reg, Base: reg("sil", offRSI)}}},
		{"1@%dil", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Reg, Base: reg("dil", offRDI)}}},
		{"1@%bpl", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Reg, Base: reg("bpl", offRBP)}}},
		{"1@%spl", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Reg, Base: reg("spl", offRSP)}}},
		{"8@%rip", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Reg, Base: reg("rip", offRIP)}}},
		// High bytes: one byte into the slot, where bits 8-15 are.
		{"-1@%ah", arch.Arg{Size: 1, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("ah", offRAX+1)}}},
		{"1@%dh", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Reg, Base: reg("dh", offRDX+1)}}},
		{"8@%r15", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Reg, Base: reg("r15", offR15)}}},
		{"8f@%rdx", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("rdx", offRDX)}}},
		{"4f@%eax", arch.Arg{Size: 4, Float: true, Operand: arch.Operand{Kind: arch.Reg, Base: reg("eax", offRAX)}}},
		{"-4@-4(%rbp)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rbp", offRBP), Offset: -4}}},
		{"8@16(%rbp)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rbp", offRBP), Offset: 16}}},
		{"-4@-28(%rsp)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rsp", offRSP), Offset: -28}}},
		{"-4@(%rsi)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rsi", offRSI)}}},
		{"8@(%rsp)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rsp", offRSP)}}},
		{"8f@-8(%rbp)", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rbp", offRBP), Offset: -8}}},
		{"8@8+16(%rsp)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rsp", offRSP), Offset: 24}}},
		{"-4@-8-4(%rbp)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rbp", offRBP), Offset: -12}}},
		{"4@0x10(%rbx)", arch.Arg{Size: 4, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rbx", offRBX), Offset: 16}}},
		{"-2@(%rax,%rdi,2)", arch.Arg{Size: 2, Signed: true, Operand: arch.Operand{Kind: arch.SIB, Base: reg("rax", offRAX), Index: reg("rdi", offRDI), Scale: 2}}},
		{"-4@16(%rsp,%rax,4)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.SIB, Base: reg("rsp", offRSP), Index: reg("rax", offRAX), Scale: 4, Offset: 16}}},
		{"1@-96(%rbp,%rax,8)", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.SIB, Base: reg("rbp", offRBP), Index: reg("rax", offRAX), Scale: 8, Offset: -96}}},
		{"8@(%rdx,%rcx)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.SIB, Base: reg("rdx", offRDX), Index: reg("rcx", offRCX), Scale: 1}}},
		{"8@4(%rdx,%rcx)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.SIB, Base: reg("rdx", offRDX), Index: reg("rcx", offRCX), Scale: 1, Offset: 4}}},
		{"-4@$5", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Const, Value: 5}}},
		{"-4@$-9", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Const, Value: 0xfffffffffffffff7}}},
		{"1@$-56", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Const, Value: 0xffffffffffffffc8}}},
		{"-8@$9223372036854775807", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Const, Value: 1<<63 - 1}}},
		{"-8@$-9223372036854775808", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Const, Value: 1 << 63}}},
		{"8@$18446744073709551615", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Const, Value: 1<<64 - 1}}},
		{"8@$0xdeadbeef", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Const, Value: 0xdeadbeef}}},
		{"4@$-1", arch.Arg{Size: 4, Operand: arch.Operand{Kind: arch.Const, Value: 1<<64 - 1}}},
		// Symbolic operands: the grammar names the symbol, the compiler
		// resolves it.
		{"-4@gi(%rip)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rip", offRIP), Symbol: "gi", PCRelative: true}}},
		{"-8@counter.0(%rip)", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rip", offRIP), Symbol: "counter.0", PCRelative: true}}},
		{"-1@4+t1(%rip)", arch.Arg{Size: 1, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rip", offRIP), Symbol: "t1", Offset: 4, PCRelative: true}}},
		{"-2@table+6(%rip)", arch.Arg{Size: 2, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rip", offRIP), Symbol: "table", Offset: 6, PCRelative: true}}},
		{"8@ext_var@GOTPCREL(%rip)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rip", offRIP), Symbol: "ext_var", SymbolRef: arch.SymbolGOTSlot, PCRelative: true}}},
		{"8f@gd(%rip)", arch.Arg{Size: 8, Float: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rip", offRIP), Symbol: "gd", PCRelative: true}}},
		{"2@g_table(%rdi,%rdi)", arch.Arg{Size: 2, Operand: arch.Operand{Kind: arch.SIB, Base: reg("rdi", offRDI), Index: reg("rdi", offRDI), Scale: 1, Symbol: "g_table"}}},
		{"-4@8+arr(%rax)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rax", offRAX), Symbol: "arr", Offset: 8}}},
		// An index without a base register (gcc -O2 -fno-pie's global
		// arrays): usdtspec's Index kind.
		{"-4@g_arr(,%rax,4)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Index, Index: reg("rax", offRAX), Scale: 4, Symbol: "g_arr"}}},
		{"8@16(,%rdi,8)", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.Index, Index: reg("rdi", offRDI), Scale: 8, Offset: 16}}},
		{"1@(,%rcx)", arch.Arg{Size: 1, Operand: arch.Operand{Kind: arch.Index, Index: reg("rcx", offRCX), Scale: 1}}},
		{"-8@g_i64+16(,%rdi,8)", arch.Arg{Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Index, Index: reg("rdi", offRDI), Scale: 8, Offset: 16, Symbol: "g_i64"}}},
		// Thread-locals, relative to the %fs base: usdtspec's TLS kind.
		{"-4@%fs:t_int@tpoff", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.TLS, Symbol: "t_int", SymbolRef: arch.SymbolTPOff}}},
		{"8@%fs:16", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.TLS, Offset: 16}}},
		{"8@%fs:-8", arch.Arg{Size: 8, Operand: arch.Operand{Kind: arch.TLS, Offset: -8}}},
		{"-4@%fs:8(%rax)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.TLS, Base: reg("rax", offRAX), Offset: 8}}},
		{"-4@%fs:8(%rax,%rdx,4)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.TLS, Base: reg("rax", offRAX), Index: reg("rdx", offRDX), Scale: 4, Offset: 8}}},
		{"-4@%fs:t_arr@tpoff(,%rdi,4)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.TLS, Index: reg("rdi", offRDI), Scale: 4, Symbol: "t_arr", SymbolRef: arch.SymbolTPOff}}},
		// @tpoff outside a segment override: the offset itself, added
		// to a register that holds the thread pointer.
		{"-4@t_int@tpoff(%rax)", arch.Arg{Size: 4, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: reg("rax", offRAX), Symbol: "t_int", SymbolRef: arch.SymbolTPOff}}},
	})
}

func TestParseArgErrors(t *testing.T) {
	archtest.CheckArgSentinels(t, Arch, []archtest.ArgSentinelCase{
		{"8@$sym", arch.ErrSymbolic},
		{"-4@gi@GOTOFF(%rip)", arch.ErrSymbolic},
		{"-4@-gi(%rip)", arch.ErrSymbolic},
		{"-4@a+b(%rip)", arch.ErrSymbolic},
		{"8@ext@GOTPCREL(%rax)", arch.ErrSyntax},
		{"8@(%rip)", arch.ErrUnsupported},
		{"8@sym(%rip,%rax,2)", arch.ErrUnsupported},
		{"8@8(%rip)", arch.ErrUnsupported},
		{"8@(,%rip,8)", arch.ErrSyntax},
		{"-1@(%ah)", arch.ErrSyntax},
		{"8@%gs:16", arch.ErrUnsupported},
		{"8@%ds:16", arch.ErrUnsupported},
		{"8@%fs:", arch.ErrSyntax},
		{"8@%xs:16", arch.ErrSyntax},
		{"8@%fs:sym(%rip)", arch.ErrSyntax},
		{"8@%fs:sym", arch.ErrUnsupported},
		{"8@%fs:sym@GOTPCREL", arch.ErrUnsupported},
		{"8@%fs:sym@GOTOFF", arch.ErrSymbolic},
		{"8f@%xmm0", arch.ErrFloatRegister},
		{"8@%xmm15", arch.ErrFloatRegister},
		{"16f@%st", arch.ErrFloatRegister},
		{"16f@%st(1)", arch.ErrFloatRegister},
		{"-16@%rax", arch.ErrSize},
		{"32@8(%rsp)", arch.ErrSize},
		{"16f@8(%rsp)", arch.ErrSize},
		{"3@%eax", arch.ErrSize},
		{"@%eax", arch.ErrSize},
		{"x@%eax", arch.ErrSize},
		{"+4@%eax", arch.ErrSize},
		{"%eax", arch.ErrSyntax},
		{"4@", arch.ErrSyntax},
		{"4@%", arch.ErrSyntax},
		{"4@%r16", arch.ErrUnknownRegister},
		{"4@%foo", arch.ErrUnknownRegister},
		{"4@(%rax", arch.ErrSyntax},
		{"4@()", arch.ErrSyntax},
		{"4@(%rax,%rbx,3)", arch.ErrSyntax},
		{"4@(%rax,%rbx,2,1)", arch.ErrSyntax},
		{"4@8(%rax))", arch.ErrSyntax},
		{"4@$", arch.ErrSyntax},
		{"4@$18446744073709551616", arch.ErrRange},
		{"4@$-9223372036854775809", arch.ErrRange},
		{"4@9223372036854775807+1(%rax)", arch.ErrRange},
		{"4@1234", arch.ErrUnsupported},
		// libbpf's SIB pattern reads across this boundary; a whole
		// argument list is never one operand here.
		{"-8@(%rdx) -2@(%rcx,%rdi,2)", arch.ErrSyntax},
	})
}

// TestSplitThenParse is libbpf's cross-argument SIB case: each operand
// must come out on its own.
func TestSplitThenParse(t *testing.T) {
	archtest.CheckNote(t, Arch, "-4@(%rax) -8@(%rdx) -2@(%rcx,%rdi,2) -4@8(%rbp)", []arch.Operand{
		{Kind: arch.Deref, Base: reg("rax", offRAX)},
		{Kind: arch.Deref, Base: reg("rdx", offRDX)},
		{Kind: arch.SIB, Base: reg("rcx", offRCX), Index: reg("rdi", offRDI), Scale: 2},
		{Kind: arch.Deref, Base: reg("rbp", offRBP), Offset: 8},
	})
}
