// Package loong64 is the 64-bit LoongArch (EM_LOONGARCH, ELFCLASS64)
// operand grammar, as gcc prints sys/sdt.h operands for loongarch64
// (registers "$r4", immediates "5" and "-9", memory "$r3,16"), and the
// LoongArch kernel's struct pt_regs table.
//
// What gcc prints (gcc/config/loongarch/loongarch.cc, the Debian loong64
// corpus): registers by number with '$' ("$r4", "$r23"); a memory operand
// as base and offset separated by a comma, without parentheses ("$r3,16",
// "$r12,0"); reg+reg addressing as "$r12,$r13"; a low-part relocation as
// "$r12,%pc_lo12(sym)"; immediates as bare decimal numbers. clang prints
// ABI names ("$a0", "$sp") and puts a blank after the comma ("$sp, 16");
// both are accepted here.
//
// Decisions beyond what the compilers print:
//   - "$r0"/"$zero" as a value is the constant 0 (it has no pt_regs slot);
//     as a memory base it makes an absolute address, ErrUnsupported.
//   - "$rA,$rB" is base + index with scale 1 (ldx.d and friends); an index
//     of $r0 is a plain dereference.
//   - "$rN,%pc_lo12(sym+N)" reads memory at the symbol: $rN holds what
//     pcalau12i computed, and the compiler adds the low 12 bits of sym+N,
//     sign-extended (arch.SymbolLow12Signed). The other relocation
//     operators are ErrSymbolic.
//   - $fcc0..$fcc7 (condition flags) are ErrUnsupported; FP ($fN, $faN,
//     $ftN, $fsN, $fvN) and vector ($vrN, $xrN) registers are
//     ErrFloatRegister.
package loong64

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is 64-bit LoongArch. IPOffset is offsetof(struct pt_regs,
// csr_era), the exception return address, which is the probe's address
// while a uprobe handler runs.
var Arch = &arch.Arch{Name: "loong64", Machine: elf.EM_LOONGARCH, Class: elf.ELFCLASS64, IPOffset: 264,
	ParseOperand: parseOperand, GOARCH: []string{"loong64"}}

// ptRegs is offsetof(struct pt_regs, regs[N]) of the LoongArch kernel
// (arch/loongarch/include/asm/ptrace.h: unsigned long regs[32]; then
// orig_a0 at 256, csr_era at 264, csr_badvaddr, csr_crmd, ...). The UAPI
// struct user_pt_regs (arch/loongarch/include/uapi/asm/ptrace.h) has the
// same first 34 slots. Register $rN is at 8*N; $r0 (zero) is hardwired
// and not in the table. Names are without '$': the numeric name, and the
// LP64 ABI names of binutils (opcodes/loongarch-opc.c) and the psABI,
// with the aliases v0/v1 (a0/a1), u0 (r21, the reserved register) and
// s9 (fp).
var ptRegs = arch.RegTable{
	"r1": 8, "ra": 8,
	"r2": 16, "tp": 16,
	"r3": 24, "sp": 24,
	"r4": 32, "a0": 32, "v0": 32,
	"r5": 40, "a1": 40, "v1": 40,
	"r6": 48, "a2": 48,
	"r7": 56, "a3": 56,
	"r8": 64, "a4": 64,
	"r9": 72, "a5": 72,
	"r10": 80, "a6": 80,
	"r11": 88, "a7": 88,
	"r12": 96, "t0": 96,
	"r13": 104, "t1": 104,
	"r14": 112, "t2": 112,
	"r15": 120, "t3": 120,
	"r16": 128, "t4": 128,
	"r17": 136, "t5": 136,
	"r18": 144, "t6": 144,
	"r19": 152, "t7": 152,
	"r20": 160, "t8": 160,
	"r21": 168, "u0": 168,
	"r22": 176, "fp": 176, "s9": 176,
	"r23": 184, "s0": 184,
	"r24": 192, "s1": 192,
	"r25": 200, "s2": 200,
	"r26": 208, "s3": 208,
	"r27": 216, "s4": 216,
	"r28": 224, "s5": 224,
	"r29": 232, "s6": 232,
	"r30": 240, "s7": 240,
	"r31": 248, "s8": 248,
}

// isZero reports whether name (without '$') is the hardwired zero.
func isZero(name string) bool { return name == "zero" || name == "r0" }

// regFile is a family of numbered register names outside pt_regs: a
// prefix, the highest number it takes, and the sentinel it gives.
type regFile struct {
	prefix string
	hi     int
	err    error
	what   string
}

// otherFiles are the register names that are not general registers,
// longest prefix first so that "fa0" is not read as "f" + "a0".
var otherFiles = []regFile{
	{"fcc", 7, arch.ErrUnsupported, "condition flag register"},
	{"fa", 7, arch.ErrFloatRegister, "FP register"},
	{"ft", 15, arch.ErrFloatRegister, "FP register"},
	{"fs", 7, arch.ErrFloatRegister, "FP register"},
	{"fv", 1, arch.ErrFloatRegister, "FP register"},
	{"f", 31, arch.ErrFloatRegister, "FP register"},
	{"vr", 31, arch.ErrFloatRegister, "LSX vector register"},
	{"xr", 31, arch.ErrFloatRegister, "LASX vector register"},
}

// register resolves a '$' name of a general register (name without the
// '$'); zero is the caller's business. op is the whole operand, for the
// message.
func register(name, op string) (arch.Register, error) {
	if off, ok := ptRegs[name]; ok {
		return arch.Register{Name: name, Offset: off}, nil
	}
	for _, f := range otherFiles {
		if num, ok := strings.CutPrefix(name, f.prefix); ok && lex.IsRegisterNumber(num, f.hi) {
			return arch.Register{}, fmt.Errorf("%w: $%s (%s) in %q", f.err, name, f.what, op)
		}
	}
	if !lex.IsRegisterWord(name) {
		return arch.Register{}, fmt.Errorf("%w: %q is not a register name in %q", arch.ErrSyntax, "$"+name, op)
	}
	return arch.Register{}, fmt.Errorf("%w $%s in %q", arch.ErrUnknownRegister, name, op)
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case op[0] == '$':
		base, rest, isMem := strings.Cut(op[1:], ",")
		if isMem {
			return parseMemory(base, rest, op)
		}
		if isZero(base) {
			// Reads as 0 and has no pt_regs slot.
			return arch.Operand{Kind: arch.Const}, nil
		}
		r, err := register(base, op)
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Reg, Base: r}, nil
	case op[0] == '%':
		return arch.Operand{}, relocation(op, op)
	}
	return lex.ParseImmediateOperand(op)
}

// relocation classifies text that starts with '%': a relocation operator
// "%name(...)" is symbolic, anything else a syntax error.
func relocation(s, op string) error {
	i := 1
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || lex.IsDigit(s[i]) || s[i] == '_') {
		i++
	}
	if i > 1 && i < len(s) && s[i] == '(' && strings.HasSuffix(s, ")") && strings.Count(s, "(") == strings.Count(s, ")") {
		return fmt.Errorf("%w: relocation %s in %q", arch.ErrSymbolic, s, op)
	}
	return fmt.Errorf("%w: %q in %q (LoongArch registers are written $name)", arch.ErrSyntax, s, op)
}

// parseMemory parses "$base,offset" (gcc) or "$base, offset" (clang),
// base and rest being the text around the comma without the base's '$'.
func parseMemory(base, rest, op string) (arch.Operand, error) {
	// clang's one blank after the comma; nothing else.
	rest = strings.TrimPrefix(rest, " ")
	if rest == "" {
		return arch.Operand{}, fmt.Errorf("%w: no offset after ',' in %q", arch.ErrSyntax, op)
	}
	var b arch.Register
	if !isZero(base) {
		var err error
		if b, err = register(base, op); err != nil {
			return arch.Operand{}, err
		}
	}
	var o arch.Operand
	switch {
	case rest[0] == '$':
		idx := rest[1:]
		if isZero(idx) {
			o = arch.Operand{Kind: arch.Deref, Base: b}
			break
		}
		r, err := register(idx, op)
		if err != nil {
			return arch.Operand{}, err
		}
		o = arch.Operand{Kind: arch.SIB, Base: b, Index: r, Scale: 1}
	case rest[0] == '%':
		// "%pc_lo12(sym+N)": after pcalau12i (which rounds for the
		// sign), the compiler adds the low 12 bits of sym+N,
		// sign-extended. Other operators stay symbolic.
		name, expr, after, ok := lex.CutRelocation(rest)
		lo, isLow := lex.LowRelocation(expr, arch.SymbolLow12Signed)
		if !ok || name != "pc_lo12" || !isLow || after != "" {
			return arch.Operand{}, relocation(rest, op)
		}
		lo.Base = b
		o = lo
	default:
		disp, err := lex.ParseDisplacement(rest)
		if err != nil {
			return arch.Operand{}, fmt.Errorf("%w in %q", err, op)
		}
		o = arch.Operand{Kind: arch.Deref, Base: b, Offset: disp}
	}
	if isZero(base) {
		if o.Kind == arch.SIB {
			// $r0 + index: the index is the base.
			return arch.Operand{Kind: arch.Deref, Base: o.Index}, nil
		}
		return arch.Operand{}, fmt.Errorf("%w: absolute address %q (base register is the hardwired zero)", arch.ErrUnsupported, op)
	}
	return o, nil
}
