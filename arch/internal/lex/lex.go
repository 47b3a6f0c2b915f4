package lex

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
)

// Lexical helpers shared by the architecture grammars. They look at ASCII
// bytes only: operand text is assembler output.

// IsDigit reports whether c is a decimal digit.
func IsDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsLetter reports whether c is an ASCII letter.
func IsLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// IsDigits reports whether s is one or more decimal digits.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsDigit(s[i]) {
			return false
		}
	}
	return true
}

// IsAlnum reports whether s is one or more letters and digits, in any
// order ("3", "r3", "3r").
func IsAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsLetter(s[i]) && !IsDigit(s[i]) {
			return false
		}
	}
	return true
}

// IsWord reports whether s is shaped like a name: a letter, then letters
// and digits ("a0", "sp", "zero").
func IsWord(s string) bool { return s != "" && IsLetter(s[0]) && IsAlnum(s) }

// IsRegisterWord reports whether s is shaped like a register name:
// letters, then optional digits ("x3", "sp", "xzr", "r15").
func IsRegisterWord(s string) bool {
	i := 0
	for i < len(s) && IsLetter(s[i]) {
		i++
	}
	return i > 0 && (i == len(s) || IsDigits(s[i:]))
}

// IsRegisterNumber reports whether s is a decimal register number 0..hi,
// without leading zeros ("0", "7", "31"; not "07").
func IsRegisterNumber(s string, hi int) bool {
	if !IsDigits(s) || len(s) > 1 && s[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n <= hi
}

// IsExpr reports whether s uses only the characters of an assembler
// expression of symbols and numbers: letters, digits and "_.@+-".
func IsExpr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !IsLetter(c) && !IsDigit(c) && !strings.ContainsRune("_.@+-", rune(c)) {
			return false
		}
	}
	return true
}

// CutParens cuts a memory operand "D(inner)" into the text before the
// parenthesis and the text inside it. It fails with [ErrSyntax] unless op
// holds exactly one '(' and one ')', and ends with the ')'.
func CutParens(op string) (before, inner string, err error) {
	open := strings.IndexByte(op, '(')
	if open < 0 || strings.Count(op, "(") != 1 || strings.Count(op, ")") != 1 || !strings.HasSuffix(op, ")") {
		return "", "", fmt.Errorf("%w: unbalanced parentheses in %q", arch.ErrSyntax, op)
	}
	return op[:open], op[open+1 : len(op)-1], nil
}

// CutRelocation cuts a relocation operator from the start of s,
// "%name(expr)rest" ("%lo(sym+8)($2)", "%pc_lo12(sym)"), at the
// parenthesis that closes the operator's. ok is false when s does not
// start with one or its parentheses do not balance.
func CutRelocation(s string) (name, expr, rest string, ok bool) {
	i := 1
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || IsDigit(s[i]) || s[i] == '_') {
		i++
	}
	if len(s) == 0 || s[0] != '%' || i == 1 || i == len(s) || s[i] != '(' {
		return "", "", "", false
	}
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:i], s[i+1 : j], s[j+1:], true
			}
		}
	}
	return "", "", "", false
}

// LowRelocation parses the expression of a relocation operator that
// takes the low bits of an address, "sym" or "sym+N" (N may come first):
// it returns an operand with Symbol, SymbolRef ref and Offset N, for the
// grammar to add its base register to. ok is false for any other
// expression (a number, a second symbol, a nested operator).
func LowRelocation(expr string, ref arch.SymbolRef) (arch.Operand, bool) {
	sym, suffix, off, err := ParseSymbolicDisplacement(expr)
	if err != nil || sym == "" || suffix != "" {
		return arch.Operand{}, false
	}
	return arch.Operand{Kind: arch.Deref, Offset: off, Symbol: sym, SymbolRef: ref}, true
}

// IsRelocation reports whether s is a relocation operator, followed by
// nothing or by balanced parentheses: "%lo(sym)", "%lo(sym)(a5)".
func IsRelocation(s string) bool {
	_, _, rest, ok := CutRelocation(s)
	if !ok {
		return false
	}
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && (rest == "" || rest[len(rest)-1] == ')')
}
