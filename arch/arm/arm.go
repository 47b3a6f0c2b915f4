// Package arm is the 32-bit Arm (EM_ARM, ELFCLASS32) operand grammar, as
// gcc and clang print sys/sdt.h operands for armhf/armv7 (registers "r0",
// "fp", "ip", "lr", immediates "#5", memory "[r3, #8]", "[sp]"), and the
// 32-bit arm kernel's struct pt_regs table.
//
// Decisions beyond what the compilers print:
//   - An immediate without '#' ("5", "-5", "0x10", also as a bracketed
//     offset "[r0, 8]") is accepted: the compilers always print '#', but
//     GNU as takes the '#' as optional in unified syntax, and reading the
//     number is unambiguous.
//   - pc (r15) is rejected with ErrUnsupported in every position, not only
//     as a memory base: an A32 instruction reading pc sees the probe's
//     address plus 8 (plus 4 in Thumb), while pt_regs holds the probe's
//     address, so no spec reads what the operand names.
//   - "[rN, -rM]" (subtracted index) and every shift other than lsl #0..3
//     are ErrUnsupported, as are the write-back forms "[rN, #N]!" and
//     "[rN], #N" / "[rN], rM".
package arm

import (
	"debug/elf"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

// Arch is 32-bit Arm on a 32-bit arm kernel. IPOffset is
// offsetof(struct pt_regs, uregs[15]), the pc.
var Arch = &arch.Arch{Name: "arm", Machine: elf.EM_ARM, Class: elf.ELFCLASS32, RegisterBytes: 4, IPOffset: 60,
	ParseOperand: parseOperand, GOARCH: []string{"arm"},
	CheckSite: checkSite, ContextSize: 18 * 4, // struct pt_regs { long uregs[18]; }
	RegisterPair: registerPair}

// registerPair: a 64-bit value named by rN has its high half in rN+1.
// gcc and clang both keep a 64-bit value in consecutive registers (the
// pair ldrd and strd load; clang's GPRPair), low half first; clang
// passes such probe arguments in memory anyway. The conformance cases'
// arm builds check it.
func registerPair(low arch.Register) (arch.Register, bool) {
	n := int(low.Offset / 4)
	if low.Offset%4 != 0 || n >= 12 {
		return arch.Register{}, false // r12 (ip) and up: no pair ends in sp
	}
	return arch.Register{Name: fmt.Sprintf("r%d", n+1), Offset: low.Offset + 4}, true
}

// pcOffset is the pc's slot, uregs[15].
const pcOffset = 60

// ptRegs is offsetof(struct pt_regs, uregs[N]) of the 32-bit arm kernel
// (arch/arm/include/uapi/asm/ptrace.h: struct pt_regs { long uregs[18]; },
// so rN is at 4*N). Besides r0..r15 it has the assembler's aliases sb (r9),
// sl (r10), fp (r11), ip (r12), sp (r13), lr (r14) and pc (r15). pc is in
// the table for its offset; the grammar rejects it as an operand.
var ptRegs = arch.RegTable{
	"r0": 0,
	"r1": 4,
	"r2": 8,
	"r3": 12,
	"r4": 16,
	"r5": 20,
	"r6": 24,
	"r7": 28,
	"r8": 32,
	"r9": 36, "sb": 36,
	"r10": 40, "sl": 40,
	"r11": 44, "fp": 44,
	"r12": 48, "ip": 48,
	"r13": 52, "sp": 52,
	"r14": 56, "lr": 56,
	"r15": 60, "pc": 60,
}

// register resolves a bare register name ("r3", "fp", "sp"). pc is
// rejected with ErrUnsupported; what says where it stood, for the message.
func register(name, what, op string) (arch.Register, error) {
	if !lex.IsRegisterWord(name) {
		return arch.Register{}, notRegister(name, op)
	}
	r, err := ptRegs.Lookup(name)
	switch {
	case err == nil && r.Offset == pcOffset:
		return arch.Register{}, fmt.Errorf("%w: pc as %s in %q (pc reads ahead of the probe's address)", arch.ErrUnsupported, what, op)
	case err == nil:
		return r, nil
	case isFloatReg(name):
		return arch.Register{}, fmt.Errorf("%w: %s (VFP/NEON register) in %q", arch.ErrFloatRegister, name, op)
	}
	return arch.Register{}, fmt.Errorf("%w in %q", err, op)
}

// notRegister classifies text in a register's place that is not shaped
// like a register name: a relocation (":lower16:sym"), a symbol, or junk.
func notRegister(s, op string) error {
	switch {
	case strings.HasPrefix(s, ":"):
		return fmt.Errorf("%w: relocated symbol %q in %q", arch.ErrSymbolic, s, op)
	case isSymbolText(s):
		return fmt.Errorf("%w: %q names a symbol in %q", arch.ErrSymbolic, s, op)
	}
	return fmt.Errorf("%w: %q is not a register, immediate or memory operand in %q", arch.ErrSyntax, s, op)
}

func parseOperand(op string) (arch.Operand, error) {
	switch {
	case op == "":
		return arch.Operand{}, fmt.Errorf("%w: empty operand", arch.ErrSyntax)
	case op[0] == '[':
		return parseMemory(op)
	case op[0] == '#':
		return immediate(op[1:], op)
	case op[0] == '-' || lex.IsDigit(op[0]):
		return immediate(op, op)
	}
	r, err := register(op, "a value", op)
	if err == nil {
		return arch.Operand{Kind: arch.Reg, Base: r}, nil
	}
	// clang prints a link-time address constant without gcc's '#':
	// "4@counter", "4@sym+8" for &counter, &sym[2]. A word shaped like a
	// register ("r16") stays an unknown register.
	if (errors.Is(err, arch.ErrUnknownRegister) && !registerShaped(op)) || errors.Is(err, arch.ErrSymbolic) {
		if sym, suffix, off, serr := lex.ParseSymbolicDisplacement(op); serr == nil && sym != "" && suffix == "" {
			return arch.Operand{Kind: arch.Const, Symbol: sym, Value: uint64(off)}, nil
		}
	}
	return arch.Operand{}, err
}

// registerShaped reports whether a word is letters then digits, the
// shape of every numbered register name ("r16", "d33", "cr7").
func registerShaped(w string) bool {
	i := 0
	for i < len(w) && (w[i] >= 'a' && w[i] <= 'z' || w[i] >= 'A' && w[i] <= 'Z') {
		i++
	}
	if i == 0 || i == len(w) {
		return false
	}
	for _, c := range w[i:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// immediate parses s, the number of operand op after any '#'.
func immediate(s, op string) (arch.Operand, error) {
	if strings.HasPrefix(s, ":") {
		return arch.Operand{}, fmt.Errorf("%w: relocated symbol in %q", arch.ErrSymbolic, op)
	}
	v, err := lex.ParseImmediate(s)
	if err != nil {
		// "sym+8": a symbol's link-time address as the value (sid's
		// non-PIE armhf python: "#_PyRuntime+49672"); the compiler adds
		// the address, in executables only.
		if sym, suffix, off, serr := lex.ParseSymbolicDisplacement(s); serr == nil && sym != "" && suffix == "" {
			return arch.Operand{Kind: arch.Const, Symbol: sym, Value: uint64(off)}, nil
		}
		// "#1.5e+0": gcc prints a float constant as a literal; ParseArg
		// turns it into the bits of the argument's size.
		if f, ok := floatLiteral(s); ok {
			return arch.Operand{Kind: arch.Const, Value: math.Float64bits(f), FloatImmediate: true}, nil
		}
		if errors.Is(err, arch.ErrSyntax) {
			if _, derr := lex.ParseDisplacement(s); errors.Is(derr, arch.ErrSymbolic) {
				return arch.Operand{}, fmt.Errorf("%w in %q", derr, op)
			}
		}
		return arch.Operand{}, fmt.Errorf("%w in %q", err, op)
	}
	return arch.Operand{Kind: arch.Const, Value: v}, nil
}

// floatLiteral parses a decimal floating-point literal with a fraction
// or an exponent ("1.5e+0", "-2.5e-1", "0.0"); not "inf", "nan", hex or a
// bare integer, which are not what gcc prints for a float.
func floatLiteral(s string) (float64, bool) {
	t := strings.TrimPrefix(s, "-")
	if t == "" || !lex.IsDigit(t[0]) || !strings.ContainsAny(t, ".eE") || strings.ContainsAny(t, "xXpP") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// parseMemory parses "[" address "]", and recognizes the write-back forms
// "[base, off]!" (pre-index) and "[base], off" (post-index) only to reject
// them: they name the address before or after the instruction's update.
func parseMemory(op string) (arch.Operand, error) {
	end := strings.IndexByte(op, ']')
	if end < 0 {
		return arch.Operand{}, fmt.Errorf("%w: missing ']' in %q", arch.ErrSyntax, op)
	}
	inner, suffix := op[1:end], op[end+1:]
	if strings.Contains(inner, "[") {
		return arch.Operand{}, fmt.Errorf("%w: nested '[' in %q", arch.ErrSyntax, op)
	}
	o, err := parseAddress(inner, op)
	if err != nil {
		return arch.Operand{}, err
	}
	if suffix == "" {
		return o, nil
	}
	rest := strings.TrimSpace(suffix)
	switch {
	case rest == "!" && strings.Contains(inner, ","):
		return arch.Operand{}, fmt.Errorf("%w: pre-indexed (write-back) address %q", arch.ErrUnsupported, op)
	case strings.HasPrefix(rest, ",") && !strings.Contains(inner, ",") && !strings.ContainsAny(rest, "[]!"):
		// "[r0], #4" is "[r0, #4]" written back after the access: if
		// the post-index part reads as an offset or index, it is one.
		_, perr := parseAddress(inner+rest, op)
		if perr == nil || errors.Is(perr, arch.ErrUnsupported) {
			return arch.Operand{}, fmt.Errorf("%w: post-indexed (write-back) address %q", arch.ErrUnsupported, op)
		}
		return arch.Operand{}, perr
	}
	return arch.Operand{}, fmt.Errorf("%w: trailing %q after ']' in %q", arch.ErrSyntax, suffix, op)
}

// parseAddress parses what is inside the brackets: base; base, offset;
// base, [+-]index; base, [+-]index, shift.
func parseAddress(inner, op string) (arch.Operand, error) {
	parts := strings.Split(inner, ",")
	if len(parts) > 3 {
		return arch.Operand{}, fmt.Errorf("%w: too many terms in %q", arch.ErrSyntax, op)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			return arch.Operand{}, fmt.Errorf("%w: empty term in %q", arch.ErrSyntax, op)
		}
	}
	base, err := register(parts[0], "a memory base", op)
	if err != nil {
		return arch.Operand{}, err
	}
	if len(parts) == 1 {
		return arch.Operand{Kind: arch.Deref, Base: base}, nil
	}

	term := parts[1]
	if isOffsetText(term) {
		if len(parts) == 3 {
			return arch.Operand{}, fmt.Errorf("%w: an immediate offset takes no shift, in %q", arch.ErrSyntax, op)
		}
		off, err := offset(term, op)
		if err != nil {
			return arch.Operand{}, err
		}
		return arch.Operand{Kind: arch.Deref, Base: base, Offset: off}, nil
	}

	negative := false
	switch term[0] {
	case '-':
		negative = true
		term = strings.TrimSpace(term[1:])
	case '+':
		term = strings.TrimSpace(term[1:])
	}
	if term == "" {
		return arch.Operand{}, fmt.Errorf("%w: sign without an index in %q", arch.ErrSyntax, op)
	}
	index, err := register(term, "an index", op)
	if err != nil {
		return arch.Operand{}, err
	}
	scale := uint8(1)
	if len(parts) == 3 {
		if scale, err = parseShift(parts[2], op); err != nil {
			return arch.Operand{}, err
		}
	}
	if negative {
		return arch.Operand{}, fmt.Errorf("%w: subtracted index in %q (a spec only adds)", arch.ErrUnsupported, op)
	}
	return arch.Operand{Kind: arch.SIB, Base: base, Index: index, Scale: scale}, nil
}

// parseShift parses the shift of a register index: "lsl #2", "lsl 2",
// "asr #1", "rrx". Only lsl #0..3 is a spec's scale.
func parseShift(s, op string) (uint8, error) {
	n := 0
	for n < len(s) && s[n] >= 'a' && s[n] <= 'z' {
		n++
	}
	name, rest := s[:n], s[n:]
	switch name {
	case "lsl", "lsr", "asr", "ror":
	case "rrx":
		if rest != "" {
			return 0, fmt.Errorf("%w: rrx takes no amount, in %q", arch.ErrSyntax, op)
		}
		return 0, fmt.Errorf("%w: index rotated (rrx) in %q", arch.ErrUnsupported, op)
	default:
		return 0, fmt.Errorf("%w: bad index shift %q in %q (want lsl #N)", arch.ErrSyntax, s, op)
	}
	if rest != "" && rest[0] != '#' && rest[0] != ' ' && rest[0] != '\t' {
		return 0, fmt.Errorf("%w: bad index shift %q in %q", arch.ErrSyntax, s, op)
	}
	rest = strings.TrimSpace(rest)
	if amount, ok := strings.CutPrefix(rest, "#"); ok {
		rest = strings.TrimSpace(amount)
	}
	if rest == "" || !lex.IsDigit(rest[0]) {
		return 0, fmt.Errorf("%w: bad shift amount %q in %q", arch.ErrSyntax, s, op)
	}
	v, err := lex.ParseImmediate(rest)
	if err != nil {
		return 0, fmt.Errorf("%w in %q", err, op)
	}
	if name != "lsl" {
		return 0, fmt.Errorf("%w: index shifted by %s in %q (a spec only scales)", arch.ErrUnsupported, name, op)
	}
	if v > 3 {
		return 0, fmt.Errorf("%w: index scaled by 1<<%d in %q (a spec scales by 1, 2, 4 or 8)", arch.ErrUnsupported, v, op)
	}
	return 1 << v, nil
}

// offset parses an immediate offset inside brackets: "#8", "#-16",
// "#0x10", "8".
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
	off, err := lex.ParseDisplacement(s)
	if err != nil {
		return 0, fmt.Errorf("%w in %q", err, op)
	}
	return off, nil
}

// isOffsetText reports whether a term in brackets is an immediate offset
// rather than a (possibly signed) index register.
func isOffsetText(s string) bool {
	if s[0] == '#' || lex.IsDigit(s[0]) {
		return true
	}
	if s[0] == '-' || s[0] == '+' {
		t := strings.TrimSpace(s[1:])
		return t == "" || lex.IsDigit(t[0])
	}
	return false
}

// isFloatReg reports whether name is a VFP/NEON register: s0..s31,
// d0..d31, q0..q15.
func isFloatReg(name string) bool {
	if len(name) < 2 {
		return false
	}
	switch name[0] {
	case 's', 'd':
		return lex.IsRegisterNumber(name[1:], 31)
	case 'q':
		return lex.IsRegisterNumber(name[1:], 15)
	}
	return false
}

// isSymbolText reports whether s looks like an assembler symbol expression
// ("foo", ".LANCHOR2", "counter.0", "sym+8").
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
