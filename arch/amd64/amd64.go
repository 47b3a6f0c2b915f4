// Package amd64 is the x86-64 (EM_X86_64) operand grammar, in AT&T syntax
// as gcc and clang print it, and the x86_64 struct pt_regs table. The
// grammar is also arch/i386's, over its own register table.
package amd64

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is x86-64.
// IPOffset is pt_regs.ip (rip).
var Arch = &arch.Arch{Name: "amd64", Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, IPOffset: 128, ThreadPointer: []string{"thread", "fsbase"}, ParseOperand: parseOperand, GOARCH: []string{"amd64"}}

// grammar is x86-64's: 64-bit registers, rip-relative symbols and their
// GOT slots.
var grammar = &Grammar{Regs: ptRegs, ThreadSegment: "fs",
	Relocations: map[string]arch.SymbolRef{"GOTPCREL": arch.SymbolGOTSlot, "tpoff": arch.SymbolTPOff}}

func parseOperand(op string) (arch.Operand, error) { return grammar.ParseOperand(op) }

// Grammar is the AT&T operand syntax over a register table.
type Grammar struct {
	// Regs are the register names and their pt_regs offsets; the high
	// bytes (%ah...) are found through their 32-bit registers (eax...).
	Regs arch.RegTable
	// Relocations are the "sym@OP" operators accepted in a displacement.
	Relocations map[string]arch.SymbolRef
	// ThreadSegment is the segment register whose base is the thread
	// pointer and that the BPF side can read ("fs" on x86-64, whose base
	// the kernel keeps in task->thread.fsbase); "" when none: a segment
	// override is then ErrUnsupported.
	ThreadSegment string
}

// ptRegs is offsetof(struct pt_regs, field) for x86_64
// (arch/x86/include/asm/ptrace.h), keyed by every name that reads from the
// field: 64-, 32-, 16- and low-8-bit. A narrower name reads the whole slot;
// the spec's bitshift then keeps the argument's low bytes.
var ptRegs = arch.RegTable{
	"r15": 0, "r15d": 0, "r15w": 0, "r15b": 0,
	"r14": 8, "r14d": 8, "r14w": 8, "r14b": 8,
	"r13": 16, "r13d": 16, "r13w": 16, "r13b": 16,
	"r12": 24, "r12d": 24, "r12w": 24, "r12b": 24,
	"rbp": 32, "ebp": 32, "bp": 32, "bpl": 32,
	"rbx": 40, "ebx": 40, "bx": 40, "bl": 40,
	"r11": 48, "r11d": 48, "r11w": 48, "r11b": 48,
	"r10": 56, "r10d": 56, "r10w": 56, "r10b": 56,
	"r9": 64, "r9d": 64, "r9w": 64, "r9b": 64,
	"r8": 72, "r8d": 72, "r8w": 72, "r8b": 72,
	"rax": 80, "eax": 80, "ax": 80, "al": 80,
	"rcx": 88, "ecx": 88, "cx": 88, "cl": 88,
	"rdx": 96, "edx": 96, "dx": 96, "dl": 96,
	"rsi": 104, "esi": 104, "si": 104, "sil": 104,
	"rdi": 112, "edi": 112, "di": 112, "dil": 112,
	"rip": 128, "eip": 128,
	"rsp": 152, "esp": 152, "sp": 152, "spl": 152,
}

// highByte are the legacy bits-8-to-15 registers, by the register whose
// slot holds them. A spec reads 8 bytes from its reg_off and keeps the low
// ones, so reading from one byte into the slot (x86 is little-endian)
// puts bits 8-15 lowest: %ah is the slot of eax plus 1.
var highByte = map[string]string{"ah": "eax", "bh": "ebx", "ch": "ecx", "dh": "edx"}

// floatPrefixes name register files the kernel does not save in pt_regs.
var floatPrefixes = []string{"xmm", "ymm", "zmm", "st", "mm", "k"}

// register resolves "%name".
func (g *Grammar) register(s string) (arch.Register, error) {
	name, ok := strings.CutPrefix(s, "%")
	if !ok || name == "" {
		return arch.Register{}, fmt.Errorf("%w: %q is not a register (want %%name)", arch.ErrSyntax, s)
	}
	if _, ok := highByte[name]; ok {
		return arch.Register{}, fmt.Errorf("%w: high-byte register %%%s cannot address memory", arch.ErrSyntax, name)
	}
	if name == "st" {
		return arch.Register{}, fmt.Errorf("%w: %%st", arch.ErrFloatRegister)
	}
	for _, p := range floatPrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok && lex.IsDigits(strings.Trim(rest, "()")) {
			return arch.Register{}, fmt.Errorf("%w: %%%s", arch.ErrFloatRegister, name)
		}
	}
	return g.Regs.Lookup(name)
}

// ParseOperand parses one operand.
func (g *Grammar) ParseOperand(op string) (arch.Operand, error) {
	switch {
	case strings.HasPrefix(op, "$"):
		v, err := lex.ParseImmediate(op[1:])
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Const, Value: v}, nil
	case strings.HasPrefix(op, "%"):
		if seg, rest, ok := strings.Cut(op[1:], ":"); ok {
			return g.parseSegment(seg, rest, op)
		}
		if slot, ok := highByte[op[1:]]; ok {
			return arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: op[1:], Offset: g.Regs[slot] + 1}}, nil
		}
		r, err := g.register(op)
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Reg, Base: r}, nil
	case strings.HasSuffix(op, ")"):
		return g.parseMemory(op)
	}
	if _, err := lex.ParseDisplacement(op); err != nil {
		return arch.Operand{}, err // a bare symbol: "counter.0", "x@GOTOFF"
	}
	return arch.Operand{}, fmt.Errorf("%w: absolute address %q", arch.ErrUnsupported, op)
}

// parseMemory parses disp(%base), (%base), disp(%base,%index[,scale]).
func (g *Grammar) parseMemory(op string) (arch.Operand, error) {
	dispText, inner, err := lex.CutParens(op)
	if err != nil {
		return arch.Operand{}, err
	}
	parts := strings.Split(inner, ",")
	if len(parts) > 3 {
		return arch.Operand{}, fmt.Errorf("%w: too many terms in %q", arch.ErrSyntax, op)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	sym, suffix, disp, err := lex.ParseSymbolicDisplacement(dispText)
	if err != nil {
		return arch.Operand{}, err
	}
	ref := arch.SymbolAddress
	if suffix != "" {
		var ok bool
		if ref, ok = g.Relocations[suffix]; !ok {
			return arch.Operand{}, fmt.Errorf("%w: relocation @%s in %q", arch.ErrSymbolic, suffix, op)
		}
	}
	if parts[0] == "" {
		if len(parts) == 1 {
			return arch.Operand{}, fmt.Errorf("%w: empty parentheses in %q", arch.ErrSyntax, op)
		}
		// "sym(,%rax,4)", "N(,%rax,4)": no base register, so not
		// libbpf's SIB; the address is the displacement plus the
		// scaled index alone.
		index, scale, err := g.indexScale(parts[1:])
		if err != nil {
			return arch.Operand{}, err
		}
		if index.Name == "rip" {
			return arch.Operand{}, fmt.Errorf("%w: %%rip as an index in %q", arch.ErrSyntax, op)
		}
		return arch.Operand{Kind: arch.Index, Index: index, Scale: scale, Offset: disp, Symbol: sym, SymbolRef: ref}, nil
	}
	base, err := g.register(parts[0])
	if err != nil {
		return arch.Operand{}, err
	}
	if base.Name == "rip" {
		// A rip-relative address is relative to the next instruction
		// of the asm statement that holds it, not to the probe: only a
		// symbol, whose address the compiler knows, says where it is.
		if sym == "" || len(parts) != 1 {
			return arch.Operand{}, fmt.Errorf("%w: rip-relative address without a symbol %q", arch.ErrUnsupported, op)
		}
		return arch.Operand{Kind: arch.Deref, Base: base, Offset: disp, Symbol: sym, SymbolRef: ref, PCRelative: true}, nil
	}
	if ref == arch.SymbolGOTSlot {
		return arch.Operand{}, fmt.Errorf("%w: @GOTPCREL without %%rip in %q", arch.ErrSyntax, op)
	}
	if len(parts) == 1 {
		return arch.Operand{Kind: arch.Deref, Base: base, Offset: disp, Symbol: sym, SymbolRef: ref}, nil
	}
	index, scale, err := g.indexScale(parts[1:])
	if err != nil {
		return arch.Operand{}, err
	}
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: scale, Offset: disp, Symbol: sym, SymbolRef: ref}, nil
}

// indexScale parses the "%index[,scale]" terms of a memory operand.
func (g *Grammar) indexScale(parts []string) (arch.Register, uint8, error) {
	index, err := g.register(parts[0])
	if err != nil {
		return arch.Register{}, 0, err
	}
	scale := uint8(1)
	if len(parts) == 2 {
		switch parts[1] {
		case "1", "2", "4", "8":
			scale = parts[1][0] - '0'
		default:
			return arch.Register{}, 0, fmt.Errorf("%w: scale %q (want 1, 2, 4 or 8)", arch.ErrSyntax, parts[1])
		}
	}
	return index, scale, nil
}

// parseSegment parses "%seg:rest", rest being a displacement
// ("t_int@tpoff", "16") or a memory operand ("8(%rax)", "(%rax,%rdx,4)"),
// relative to the segment's base. Only the thread segment has a base the
// BPF side can read: the operand becomes a TLS one.
func (g *Grammar) parseSegment(seg, rest, op string) (arch.Operand, error) {
	switch seg {
	case "cs", "ds", "es", "fs", "gs", "ss":
	default:
		return arch.Operand{}, fmt.Errorf("%w: %%%s is not a segment register in %q", arch.ErrSyntax, seg, op)
	}
	if g.ThreadSegment == "" || seg != g.ThreadSegment {
		return arch.Operand{}, fmt.Errorf("%w: segment override %%%s: in %q (the BPF side reads no base of %%%s)", arch.ErrUnsupported, seg, op, seg)
	}
	var o arch.Operand
	if rest == "" {
		return arch.Operand{}, fmt.Errorf("%w: nothing after %%%s: in %q", arch.ErrSyntax, seg, op)
	}
	if strings.HasSuffix(rest, ")") {
		var err error
		if o, err = g.parseMemory(rest); err != nil {
			return arch.Operand{}, err
		}
		if o.PCRelative {
			return arch.Operand{}, fmt.Errorf("%w: %%rip under a segment override in %q", arch.ErrSyntax, op)
		}
	} else {
		sym, suffix, disp, err := lex.ParseSymbolicDisplacement(rest)
		if err != nil {
			return arch.Operand{}, err
		}
		o = arch.Operand{Offset: disp, Symbol: sym}
		if suffix != "" {
			var ok bool
			if o.SymbolRef, ok = g.Relocations[suffix]; !ok {
				return arch.Operand{}, fmt.Errorf("%w: relocation @%s in %q", arch.ErrSymbolic, suffix, op)
			}
		}
	}
	if o.Symbol != "" && o.SymbolRef != arch.SymbolTPOff {
		// A symbol's address relative to the thread pointer means
		// nothing: only its @tpoff offset does.
		return arch.Operand{}, fmt.Errorf("%w: %s without @tpoff under %%%s: in %q", arch.ErrUnsupported, o.Symbol, seg, op)
	}
	o.Kind = arch.TLS
	return o, nil
}
