// Package riscv64 is the 64-bit RISC-V (EM_RISCV) operand grammar, as gcc
// prints sys/sdt.h operands (registers by ABI name "a0", immediates "5"
// and "-9", memory "-20(s0)"), and the riscv user_regs_struct table.
package riscv64

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is 64-bit RISC-V.
// IPOffset is user_regs_struct.pc, the first slot (pt_regs.epc).
var Arch = &arch.Arch{Name: "riscv64", Machine: elf.EM_RISCV, Class: elf.ELFCLASS64, IPOffset: 0, ParseOperand: parseOperand, GOARCH: []string{"riscv64"}}

// ptRegs is offsetof(struct user_regs_struct, field) for riscv
// (arch/riscv/include/uapi/asm/ptrace.h: unsigned long pc, ra, sp, gp, tp,
// t0-t2, s0, s1, a0-a7, s2-s11, t3-t6), keyed by the ABI name, the xN
// name and, for s0, the alias fp. The kernel's struct pt_regs begins with
// the same fields (epc in the pc slot). Register xN is at N*8 because x0
// has no slot: the slot at 0 is the pc, so x0 (zero) is not in the table.
// The floating-point and vector registers are not in pt_regs.
var ptRegs = arch.RegTable{
	"ra": 8, "x1": 8,
	"sp": 16, "x2": 16,
	"gp": 24, "x3": 24,
	"tp": 32, "x4": 32,
	"t0": 40, "x5": 40,
	"t1": 48, "x6": 48,
	"t2": 56, "x7": 56,
	"s0": 64, "fp": 64, "x8": 64,
	"s1": 72, "x9": 72,
	"a0": 80, "x10": 80,
	"a1": 88, "x11": 88,
	"a2": 96, "x12": 96,
	"a3": 104, "x13": 104,
	"a4": 112, "x14": 112,
	"a5": 120, "x15": 120,
	"a6": 128, "x16": 128,
	"a7": 136, "x17": 136,
	"s2": 144, "x18": 144,
	"s3": 152, "x19": 152,
	"s4": 160, "x20": 160,
	"s5": 168, "x21": 168,
	"s6": 176, "x22": 176,
	"s7": 184, "x23": 184,
	"s8": 192, "x24": 192,
	"s9": 200, "x25": 200,
	"s10": 208, "x26": 208,
	"s11": 216, "x27": 216,
	"t3": 224, "x28": 224,
	"t4": 232, "x29": 232,
	"t5": 240, "x30": 240,
	"t6": 248, "x31": 248,
}

// isZero reports whether name is the hardwired zero register.
func isZero(name string) bool { return name == "zero" || name == "x0" }

// floatFiles are the register names outside pt_regs, by prefix, with the
// highest number each takes: f0-f31 and their ABI names ft0-ft11,
// fs0-fs11, fa0-fa7, and the vector registers v0-v31.
var floatFiles = []struct {
	prefix string
	hi     int
}{{"ft", 11}, {"fs", 11}, {"fa", 7}, {"f", 31}, {"v", 31}}

// regPrefixes are the prefixes of numbered register names; a name made of
// one of them and digits that is in no table is an unknown register
// ("x32", "a8", "s12"), not a symbol.
var regPrefixes = []string{"x", "a", "s", "t", "ft", "fs", "fa", "f", "v"}

// notGPR classifies a register-shaped name that is not in ptRegs and is
// not zero. It returns nil if name is not shaped like a register.
func notGPR(name string) error {
	for _, ff := range floatFiles {
		if num, ok := strings.CutPrefix(name, ff.prefix); ok && lex.IsRegisterNumber(num, ff.hi) {
			return fmt.Errorf("%w: %s", arch.ErrFloatRegister, name)
		}
	}
	for _, p := range regPrefixes {
		if num, ok := strings.CutPrefix(name, p); ok && lex.IsDigits(num) {
			return fmt.Errorf("%w %q", arch.ErrUnknownRegister, name)
		}
	}
	return nil
}

// register resolves the base register of a memory operand, where any
// name between the parentheses must be one.
func register(name string) (arch.Register, error) {
	if r, ok := ptRegs[name]; ok {
		return arch.Register{Name: name, Offset: r}, nil
	}
	if err := notGPR(name); err != nil {
		return arch.Register{}, err
	}
	return ptRegs.Lookup(name)
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case op[0] == '%':
		// A relocation operator: "%lo(sym)(a5)", "%pcrel_lo(.L1)".
		if lex.IsRelocation(op) {
			return lowRelocation(op)
		}
		return arch.Operand{}, fmt.Errorf("%w: %q (RISC-V registers have no %%)", arch.ErrSyntax, op)
	case strings.HasSuffix(op, ")"):
		return parseMemory(op)
	case isZero(op):
		// Reads as 0 and has no pt_regs slot.
		return arch.Operand{Kind: arch.Const}, nil
	}
	if off, ok := ptRegs[op]; ok {
		return arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: op, Offset: off}}, nil
	}
	if err := notGPR(op); err != nil {
		return arch.Operand{}, err
	}
	v, err := lex.ParseImmediate(op)
	if err == nil {
		return arch.Operand{Kind: arch.Const, Value: v}, nil
	}
	if !errors.Is(err, arch.ErrSymbolic) && !errors.Is(err, arch.ErrSyntax) {
		return arch.Operand{}, err
	}
	// A symbol ("sym", "sym+8", "8+sym") if it is made of what an
	// assembler expression of names and numbers is made of.
	if !lex.IsExpr(op) {
		return arch.Operand{}, fmt.Errorf("%w: bad operand %q", arch.ErrSyntax, op)
	}
	if _, derr := lex.ParseDisplacement(op); errors.Is(derr, arch.ErrSymbolic) {
		return arch.Operand{}, derr
	}
	return arch.Operand{}, err
}

// parseMemory parses D(reg) and (reg); the address is reg + D.
func parseMemory(op string) (arch.Operand, error) {
	dispText, baseText, err := lex.CutParens(op)
	if err != nil {
		return arch.Operand{}, err
	}
	disp, err := lex.ParseDisplacement(dispText)
	if err != nil {
		return arch.Operand{}, err
	}
	if !lex.IsWord(baseText) {
		return arch.Operand{}, fmt.Errorf("%w: %q is not a base register in %q", arch.ErrSyntax, baseText, op)
	}
	if isZero(baseText) {
		return arch.Operand{}, fmt.Errorf("%w: absolute address %q (base register is the hardwired zero)", arch.ErrUnsupported, op)
	}
	base, err := register(baseText)
	if err != nil {
		return arch.Operand{}, err
	}
	return arch.Operand{Kind: arch.Deref, Base: base, Offset: disp}, nil
}

// lowRelocation parses "%lo(sym+N)(reg)", memory at the symbol: the base
// register holds "lui %hi(sym)" and the compiler adds the low 12 bits of
// sym+N, sign-extended. The other operators are ErrSymbolic:
// "%pcrel_lo(.L1)" names the auipc's label, not the symbol.
func lowRelocation(op string) (arch.Operand, error) {
	name, expr, rest, _ := lex.CutRelocation(op)
	o, ok := lex.LowRelocation(expr, arch.SymbolLow12Signed)
	baseText, isBase := strings.CutPrefix(rest, "(")
	if name != "lo" || !ok || !isBase || !strings.HasSuffix(baseText, ")") {
		return arch.Operand{}, fmt.Errorf("%w: relocation in %q", arch.ErrSymbolic, op)
	}
	base, err := register(strings.TrimSuffix(baseText, ")"))
	if err != nil {
		return arch.Operand{}, fmt.Errorf("%w in %q", err, op)
	}
	o.Base = base
	return o, nil
}
