// Package arm64 is the AArch64 (EM_AARCH64) operand grammar, as gcc and
// clang print sys/sdt.h operands (registers "x0", immediates "5" or "#5",
// memory "[sp, 16]"), and the arm64 user_pt_regs table.
package arm64

import (
	"debug/elf"
	"errors"
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is AArch64.
// IPOffset is user_pt_regs.pc.
var Arch = &arch.Arch{Name: "arm64", Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, IPOffset: 256, ParseOperand: parseOperand, GOARCH: []string{"arm64"}}

// ptRegs is offsetof(struct user_pt_regs, field) for arm64
// (arch/arm64/include/uapi/asm/ptrace.h: __u64 regs[31], sp, pc, pstate).
// The kernel's struct pt_regs, which a uprobe program reads, begins with
// the same fields. Both the 64-bit xN and the 32-bit wN name read the
// whole regs[N] slot; the spec's bitshift then keeps the argument's low
// bytes. fp and lr are the assembler's aliases of x29 and x30; wsp is the
// 32-bit name of sp. pc is not an operand register in A64 and is left out.
var ptRegs = arch.RegTable{
	"x0": 0, "w0": 0,
	"x1": 8, "w1": 8,
	"x2": 16, "w2": 16,
	"x3": 24, "w3": 24,
	"x4": 32, "w4": 32,
	"x5": 40, "w5": 40,
	"x6": 48, "w6": 48,
	"x7": 56, "w7": 56,
	"x8": 64, "w8": 64,
	"x9": 72, "w9": 72,
	"x10": 80, "w10": 80,
	"x11": 88, "w11": 88,
	"x12": 96, "w12": 96,
	"x13": 104, "w13": 104,
	"x14": 112, "w14": 112,
	"x15": 120, "w15": 120,
	"x16": 128, "w16": 128,
	"x17": 136, "w17": 136,
	"x18": 144, "w18": 144,
	"x19": 152, "w19": 152,
	"x20": 160, "w20": 160,
	"x21": 168, "w21": 168,
	"x22": 176, "w22": 176,
	"x23": 184, "w23": 184,
	"x24": 192, "w24": 192,
	"x25": 200, "w25": 200,
	"x26": 208, "w26": 208,
	"x27": 216, "w27": 216,
	"x28": 224, "w28": 224,
	"x29": 232, "w29": 232, "fp": 232,
	"x30": 240, "w30": 240, "lr": 240,
	"sp": 248, "wsp": 248,
}

// gpr is what a register name denotes, as far as addressing cares.
type gpr uint8

const (
	x64  gpr = iota // x0..x30, fp, lr: a 64-bit general register
	w32             // w0..w30: the low half of one
	sp64            // sp
	sp32            // wsp
	zero            // xzr, wzr: reads as 0
)

// register resolves a bare register name ("x3", "w3", "sp", "xzr"). The
// zero registers come back with zero class and an empty Register.
func register(name string) (arch.Register, gpr, error) {
	// Only lowercase names are in the table; "X0" is shaped like a
	// register but unknown.
	if !lex.IsRegisterWord(name) {
		return arch.Register{}, 0, notRegister(name)
	}
	switch name {
	case "xzr", "wzr":
		return arch.Register{}, zero, nil
	}
	if r, err := ptRegs.Lookup(name); err == nil {
		switch {
		case name == "sp":
			return r, sp64, nil
		case name == "wsp":
			return r, sp32, nil
		case name[0] == 'w':
			return r, w32, nil
		}
		return r, x64, nil
	}
	if isFloatReg(name) {
		return arch.Register{}, 0, fmt.Errorf("%w: %s (FP/SIMD register)", arch.ErrFloatRegister, name)
	}
	_, err := ptRegs.Lookup(name)
	return arch.Register{}, 0, err
}

// notRegister classifies text in a register's place that is not shaped like
// a register name: a relocation (":lo12:sym"), a symbol, or junk.
func notRegister(s string) error {
	switch {
	case strings.HasPrefix(s, ":"):
		return fmt.Errorf("%w: relocated symbol %q", arch.ErrSymbolic, s)
	case isSymbolText(s):
		return fmt.Errorf("%w: %q names a symbol", arch.ErrSymbolic, s)
	}
	return fmt.Errorf("%w: %q is not a register, immediate or memory operand", arch.ErrSyntax, s)
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case op[0] == '[':
		return parseMemory(op)
	case op[0] == '#':
		return immediate(op[1:], op)
	case op[0] == '-' || op[0] == '+' || lex.IsDigit(op[0]):
		return immediate(op, op)
	}
	r, class, err := register(op)
	if err != nil {
		return arch.Operand{}, err
	}
	if class == zero {
		return arch.Operand{Kind: arch.Const, Value: 0}, nil
	}
	return arch.Operand{Kind: arch.Reg, Base: r}, nil
}

// immediate parses s, the number of operand op after any '#'.
func immediate(s, op string) (arch.Operand, error) {
	if strings.HasPrefix(s, ":") {
		return arch.Operand{}, fmt.Errorf("%w: relocated symbol %q", arch.ErrSymbolic, op)
	}
	v, err := lex.ParseImmediate(s)
	if err != nil {
		if errors.Is(err, arch.ErrSyntax) {
			// "8+sym": ParseImmediate only sees that it is not a number.
			if _, derr := lex.ParseDisplacement(s); errors.Is(derr, arch.ErrSymbolic) {
				return arch.Operand{}, derr
			}
		}
		if s != op {
			err = fmt.Errorf("%w in %q", err, op)
		}
		return arch.Operand{}, err
	}
	return arch.Operand{Kind: arch.Const, Value: v}, nil
}

// parseMemory parses "[" address "]", and recognizes the write-back forms
// "[base, off]!" (pre-index) and "[base], off" (post-index) only to reject
// them: they name the address before or after the instruction's update,
// which is not what the probe site sees.
func parseMemory(op string) (arch.Operand, error) {
	end := strings.IndexByte(op, ']')
	if end < 0 {
		return arch.Operand{}, fmt.Errorf("%w: missing ']' in %q", arch.ErrSyntax, op)
	}
	inner, suffix := op[1:end], op[end+1:]
	if strings.ContainsAny(inner, "[") {
		return arch.Operand{}, fmt.Errorf("%w: nested '[' in %q", arch.ErrSyntax, op)
	}
	o, terms, err := parseAddress(inner, op)
	if err != nil {
		return arch.Operand{}, err
	}
	if suffix == "" {
		return o, nil
	}
	rest := strings.TrimSpace(suffix)
	switch {
	case rest == "!" && terms == 2 && o.Kind == arch.Deref:
		return arch.Operand{}, fmt.Errorf("%w: pre-indexed (write-back) address %q", arch.ErrUnsupported, op)
	case strings.HasPrefix(rest, ",") && terms == 1:
		post := strings.TrimSpace(rest[1:])
		if post != "" && !strings.ContainsAny(post, ",]") {
			if _, err := offset(post, op); err == nil {
				return arch.Operand{}, fmt.Errorf("%w: post-indexed (write-back) address %q", arch.ErrUnsupported, op)
			}
			if _, class, err := register(post); err == nil && class == x64 {
				return arch.Operand{}, fmt.Errorf("%w: post-indexed (write-back) address %q", arch.ErrUnsupported, op)
			}
		}
	}
	return arch.Operand{}, fmt.Errorf("%w: trailing %q after ']' in %q", arch.ErrSyntax, suffix, op)
}

// parseAddress parses what is inside the brackets: base; base, offset;
// base, index; base, index, shift. It also returns the number of
// comma-separated terms.
func parseAddress(inner, op string) (arch.Operand, int, error) {
	parts := strings.Split(inner, ",")
	if len(parts) > 3 {
		return arch.Operand{}, 0, fmt.Errorf("%w: too many terms in %q", arch.ErrSyntax, op)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			return arch.Operand{}, 0, fmt.Errorf("%w: empty term in %q", arch.ErrSyntax, op)
		}
	}
	base, class, err := register(parts[0])
	if err != nil {
		return arch.Operand{}, 0, err
	}
	if class != x64 && class != sp64 {
		return arch.Operand{}, 0, fmt.Errorf("%w: %s cannot be a base register (want xN or sp) in %q", arch.ErrSyntax, parts[0], op)
	}
	if len(parts) == 1 {
		return arch.Operand{Kind: arch.Deref, Base: base}, 1, nil
	}

	if rel, ok := lo12(parts[1]); ok {
		// "#:lo12:sym+N": the low 12 bits of sym+N, added to a base
		// that adrp loaded with its 4 KiB page.
		sym, suffix, off, err := lex.ParseSymbolicDisplacement(rel)
		if err != nil || sym == "" || suffix != "" || len(parts) == 3 {
			return arch.Operand{}, 0, fmt.Errorf("%w: relocated symbol offset in %q", arch.ErrSymbolic, op)
		}
		return arch.Operand{Kind: arch.Deref, Base: base, Offset: off, Symbol: sym, SymbolRef: arch.SymbolLow12}, 2, nil
	}
	if isOffsetText(parts[1]) {
		if len(parts) == 3 {
			return arch.Operand{}, 0, fmt.Errorf("%w: an immediate offset takes no shift, in %q", arch.ErrSyntax, op)
		}
		off, err := offset(parts[1], op)
		if err != nil {
			return arch.Operand{}, 0, err
		}
		return arch.Operand{Kind: arch.Deref, Base: base, Offset: off}, 2, nil
	}

	index, iclass, err := register(parts[1])
	if err != nil {
		return arch.Operand{}, 0, err
	}
	if iclass == sp64 || iclass == sp32 {
		return arch.Operand{}, 0, fmt.Errorf("%w: %s cannot be an index register in %q", arch.ErrSyntax, parts[1], op)
	}
	wide := iclass == x64 || parts[1] == "xzr"
	scale, extend := uint8(1), ""
	if len(parts) == 3 {
		extend, scale, err = parseExtend(parts[2], op)
		if err != nil {
			return arch.Operand{}, 0, err
		}
	}
	switch {
	case extend == "" && !wide:
		return arch.Operand{}, 0, fmt.Errorf("%w: 32-bit index %s needs uxtw or sxtw, in %q", arch.ErrSyntax, parts[1], op)
	case (extend == "lsl" || extend == "sxtx") && !wide:
		return arch.Operand{}, 0, fmt.Errorf("%w: %s needs a 64-bit index, in %q", arch.ErrSyntax, extend, op)
	case (extend == "uxtw" || extend == "sxtw") && wide:
		return arch.Operand{}, 0, fmt.Errorf("%w: %s needs a 32-bit index, in %q", arch.ErrSyntax, extend, op)
	case iclass == zero:
		// The zero register as index adds nothing.
		return arch.Operand{Kind: arch.Deref, Base: base}, len(parts), nil
	case extend == "uxtw" || extend == "sxtw":
		// A SIB spec adds the whole 64-bit slot; the hardware adds the
		// extended low 32 bits, and the high half is not known to be clear.
		return arch.Operand{}, 0, fmt.Errorf("%w: %s-extended 32-bit index in %q", arch.ErrUnsupported, extend, op)
	}
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: scale}, len(parts), nil
}

// parseExtend parses the shift or extend of a register index: "lsl 3",
// "lsl #3", "sxtx", "uxtw #2". It returns the operator and the scale.
func parseExtend(s, op string) (string, uint8, error) {
	n := 0
	for n < len(s) && s[n] >= 'a' && s[n] <= 'z' {
		n++
	}
	name, rest := s[:n], s[n:]
	switch name {
	case "lsl", "sxtx", "uxtw", "sxtw":
	default:
		return "", 0, fmt.Errorf("%w: bad index shift %q in %q (want lsl #N)", arch.ErrSyntax, s, op)
	}
	if rest != "" && rest[0] != '#' && rest[0] != ' ' && rest[0] != '\t' {
		return "", 0, fmt.Errorf("%w: bad index shift %q in %q", arch.ErrSyntax, s, op)
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		if name == "lsl" {
			return "", 0, fmt.Errorf("%w: lsl without an amount in %q", arch.ErrSyntax, op)
		}
		return name, 1, nil
	}
	if amount, ok := strings.CutPrefix(rest, "#"); ok {
		rest = strings.TrimSpace(amount)
	}
	if rest == "" || !lex.IsDigit(rest[0]) {
		return "", 0, fmt.Errorf("%w: bad shift amount %q in %q", arch.ErrSyntax, s, op)
	}
	v, err := lex.ParseImmediate(rest)
	if err != nil {
		return "", 0, err
	}
	if v > 3 {
		return "", 0, fmt.Errorf("%w: index scaled by 1<<%d in %q (a spec scales by 1, 2, 4 or 8)", arch.ErrUnsupported, v, op)
	}
	return name, 1 << v, nil
}

// offset parses an immediate offset inside brackets: "8", "#-16", "#0x10".
func offset(s, op string) (int64, error) {
	if t, ok := strings.CutPrefix(s, "#"); ok {
		s = strings.TrimSpace(t)
	}
	switch {
	case s == "":
		return 0, fmt.Errorf("%w: empty offset in %q", arch.ErrSyntax, op)
	case s[0] == ':':
		return 0, fmt.Errorf("%w: relocated symbol offset in %q", arch.ErrSymbolic, op)
	}
	return lex.ParseDisplacement(s)
}

// lo12 returns the symbol expression of a ":lo12:" offset term ("#:lo12:sym+8",
// ":lo12:sym"); other relocation operators (":got_lo12:", ":tprel_lo12:")
// are not it.
func lo12(term string) (string, bool) {
	term = strings.TrimSpace(strings.TrimPrefix(term, "#"))
	return strings.CutPrefix(term, ":lo12:")
}

// isOffsetText reports whether a term in brackets is an immediate offset
// rather than an index register.
func isOffsetText(s string) bool {
	c := s[0]
	return c == '#' || c == '-' || c == '+' || lex.IsDigit(c)
}

// isFloatReg reports whether name is an FP/SIMD register (v, b, h, s, d, q
// views of v0..v31) or an SVE vector register (z0..z31).
func isFloatReg(name string) bool {
	if len(name) < 2 || !strings.ContainsRune("vbhsdqz", rune(name[0])) {
		return false
	}
	return lex.IsRegisterNumber(name[1:], 31)
}

// isSymbolText reports whether s looks like an assembler symbol expression
// ("foo", ".LANCHOR2", "counter.0", "sym+8", "x@GOT").
func isSymbolText(s string) bool {
	if !lex.IsSymbolStart(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !lex.IsLetter(c) && !lex.IsDigit(c) && !strings.ContainsRune("_.$@+-", rune(c)) {
			return false
		}
	}
	return true
}
