// Package arch holds the architecture-neutral model of a USDT argument
// operand and the small Arch type that each architecture folder fills in.
//
// An operand's life: the argument string of a .note.stapsdt note is split
// into operands ([Split]), each operand's size prefix is read ([ParseArg]),
// and the rest is handed to the grammar of the binary's architecture
// ([Arch.ParseOperand]), which resolves register names to byte offsets in
// the tracing kernel's pt_regs. The result, an [Operand], is what the
// compiler package encodes into libbpf's binary spec.
package arch

import (
	"debug/elf"
	"fmt"
)

// Kind says where an argument's value is when the uprobe fires. Const to
// SIB are libbpf's enum __bpf_usdt_arg_type; the kinds after them are
// usdtspec's extensions, which only bpf/usdt.bpf.h decodes (the compiler
// gives them argument types of their own, see compiler.Layout).
type Kind uint8

const (
	// Const: the value is the operand's Value itself.
	Const Kind = iota
	// Reg: the value is in register Base.
	Reg
	// Deref: the value is in memory at Base + Offset.
	Deref
	// SIB: the value is in memory at Base + Index*Scale + Offset.
	SIB
	// Index: the value is in memory at Index*Scale + Offset, with no
	// base register (x86 "g_arr(,%rax,4)" in a non-PIE file). libbpf's
	// SIB needs a base, and no register can stand in for a zero.
	Index
	// TLS: the value is in memory at the thread pointer + Offset, plus
	// Base when Base.Name is set, plus Index*Scale when Index.Name is set
	// (x86-64 "%fs:t_int@tpoff", "%fs:8(%rax,%rdx,4)"). The thread
	// pointer is not in pt_regs: the BPF side reads it from the task.
	TLS
	// Pair: a value twice as wide as the program's registers, its low
	// half in Base and its high half in Index (a 32-bit program's 64-bit
	// value: i386 "-8@%eax" is eax:edx). The note names only Base; the
	// architecture's RegisterPair says which register holds the rest.
	Pair
)

var kindNames = [...]string{Const: "const", Reg: "reg", Deref: "deref", SIB: "sib", Index: "index", TLS: "tls", Pair: "pair"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Register is a register as the operand names it, with the byte offset of
// the register's slot in the tracing kernel's pt_regs.
type Register struct {
	Name   string // as written in the operand, without '%': "edi", "x3", "r15"
	Offset uint16 // offsetof(pt_regs, slot)
}

// Operand is one parsed operand, without its size prefix.
type Operand struct {
	Kind   Kind
	Base   Register // Reg, Deref, SIB; TLS when set
	Index  Register // SIB, Index; TLS when set
	Scale  uint8    // SIB, Index, TLS with an index: 1, 2, 4 or 8
	Offset int64    // Deref, SIB, Index, TLS: displacement, all terms folded
	Value  uint64   // Const: two's complement bits of the immediate

	// Symbol, when set, names a symbol whose address (or GOT slot, see
	// SymbolRef) the compiler adds to Offset, or to Value for a Const:
	// "8+sym(%rbp)" has Symbol "sym" and Offset 8; arm's "#sym+8" is a
	// Const with Symbol "sym" and Value 8. The grammar only names it; the compiler
	// resolves it from the ELF file's symbol tables.
	Symbol    string
	SymbolRef SymbolRef
	// FloatImmediate: a Const written as a floating-point literal (32-bit
	// arm gcc's "#1.5e+0"); Value holds its float64 bits until ParseArg
	// converts them to the argument's size ("4f@" gets float32 bits).
	FloatImmediate bool
	// PCRelative: Base is the instruction pointer and the address is
	// relative to the probe's own address (x86-64 "sym(%rip)"). While a
	// uprobe handler runs, pt_regs' instruction pointer is the probe's
	// address, so the compiler makes Offset the distance from the probe.
	PCRelative bool
}

// SymbolRef says what of a symbol an operand uses.
type SymbolRef uint8

const (
	SymbolAddress   SymbolRef = iota // the symbol's address: "sym"
	SymbolGOTSlot                    // the address of its GOT slot: "sym@GOTPCREL"
	SymbolLow12                      // the low 12 bits of its address (+Offset): arm64 "[x0, #:lo12:sym]"
	SymbolGOTOffset                  // its distance from the GOT: i386 "sym@GOTOFF(%ebx)"
	// The low 12 bits of its address (+Offset), sign-extended: the base
	// register holds the address rounded so that adding them gives the
	// symbol's (riscv64 "%lo(sym)(a5)" after lui; loong64
	// "$r12,%pc_lo12(sym)" after pcalau12i).
	SymbolLow12Signed
	// The low 16 bits, sign-extended: mips64 "%lo(sym)($2)" after lui
	// %hi, "%got_ofst(sym)($2)" after a load of its %got_page.
	SymbolLow16Signed
	// Its offset from the thread pointer, for a thread-local symbol of
	// the executable (local-exec TLS): x86-64 "%fs:sym@tpoff".
	SymbolTPOff
)

// LowBits returns what of a symbol's address a low-bits SymbolRef takes,
// the bits of addr (symbol + displacement) that the instruction adds to
// its base register, and whether r is one.
func (r SymbolRef) LowBits(addr uint64) (int64, bool) {
	switch r {
	case SymbolLow12:
		return int64(addr & 0xfff), true
	case SymbolLow12Signed:
		return int64(addr<<52) >> 52, true
	case SymbolLow16Signed:
		return int64(int16(addr)), true
	}
	return 0, false
}

// Arg is one argument of a probe: the size prefix and the parsed operand.
type Arg struct {
	Text   string // the whole argument as written: "-4@%edi"
	Size   int    // byte size, always positive
	Signed bool   // the size had a '-'
	Float  bool   // the size had an 'f' marker
	Operand
}

// RegTable maps register names (without '%') to pt_regs byte offsets.
type RegTable map[string]uint16

// Lookup resolves a register name, or fails with [ErrUnknownRegister].
func (t RegTable) Lookup(name string) (Register, error) {
	off, ok := t[name]
	if !ok {
		return Register{}, fmt.Errorf("%w %q", ErrUnknownRegister, name)
	}
	return Register{Name: name, Offset: off}, nil
}

// Arch is one architecture's grammar and register table. Each folder
// under arch/ exports one value of this type; the compiler's registry
// picks it by the ELF file's e_machine.
type Arch struct {
	Name    string      // Go-style name used in output: "amd64"
	Machine elf.Machine // e_machine it handles
	Class   elf.Class   // ELF class it handles (EM_RISCV is also 32-bit RISC-V)
	// GOARCH are the Go names of kernels of this architecture, whose
	// pt_regs this table describes ("ppc64le" and "ppc64" for ppc64).
	GOARCH []string
	// RegisterBytes is the width of the program's general registers; 0
	// means 8. A register operand wider than that is ErrPartialRegister.
	RegisterBytes int
	// RegisterPair names the register that holds the high half of a
	// value twice RegisterBytes wide whose note names low, the register
	// of its low half; ok is false where no rule says. nil: no pairs.
	RegisterPair func(low Register) (high Register, ok bool)
	// IPOffset is the byte offset of the instruction pointer in the
	// kernel's pt_regs, which the BPF side reads for its IP-to-spec-id
	// fallback on kernels without BPF cookies.
	IPOffset uint16
	// ContextSize is the size of a uprobe program's context on this
	// architecture's kernel (its bpf_user_pt_regs_t), up to which the BPF
	// side loads registers straight from the context; 0 means at least
	// 152 bytes, the header's default, which every 64-bit kernel has.
	ContextSize uint32
	// ThreadPointer is where the kernel keeps a task's user thread
	// pointer (the base of thread-local operands): the path of member
	// names from struct task_struct, looked up in the running kernel's
	// BTF by the attach library, which hands the BPF side the offset. nil
	// when no thread-local operand of this architecture compiles.
	ThreadPointer []string
	// ParseOperand parses the operand text that follows '@'. It must match
	// the whole string or return an error wrapping one of this package's
	// sentinel errors.
	ParseOperand func(op string) (Operand, error)

	// DecodeSite decodes the instruction at a call site from the file's
	// bytes there (MaxSiteBytes, fewer at the end of the segment); nil
	// when the architecture has no decoder. See site.go.
	DecodeSite func(code []byte) Code
	// OptimizedCombo reports which Site.Combo the running kernel turns
	// into an optimized uprobe when the uprobe sits Site.Shift bytes in,
	// or "" when none. It asks the kernel, so it is meaningful only on a
	// host whose kernel traces this architecture's programs; nil when the
	// kernel never optimizes them.
	OptimizedCombo func() string
	// CheckSite reports why the kernel cannot put a uprobe at pc, from
	// the file's symbols in executable sections (.symtab and .dynsym,
	// mapping symbols included), or nil; nil when every call site of the architecture can be probed.
	// The error wraps ErrSiteUnprobeable.
	CheckSite func(pc uint64, syms []elf.Symbol) error
}
