package lex

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/usdtspec/usdtspec/arch"
)

// ParseImmediate reads an immediate as compilers print it: decimal or
// 0x-hex, optionally negative, anywhere in -2^63 .. 2^64-1. It returns the
// 64-bit two's complement bits, which is what a CONST spec carries.
func ParseImmediate(s string) (uint64, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	if !isNumber(digits) {
		if IsSymbolStart(digits) {
			return 0, fmt.Errorf("%w: immediate %q names a symbol", arch.ErrSymbolic, s)
		}
		return 0, fmt.Errorf("%w: bad immediate %q", arch.ErrSyntax, s)
	}
	u, err := strconv.ParseUint(digits, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: immediate %q does not fit in 64 bits", arch.ErrRange, s)
	}
	if neg {
		if u > 1<<63 {
			return 0, fmt.Errorf("%w: immediate %q is below -2^63", arch.ErrRange, s)
		}
		return -u, nil
	}
	return u, nil
}

// ParseImmediateOperand parses a bare number operand as a Const; a bare
// symbol expression ("sym+8") fails with ErrSymbolic, anything else with
// ParseImmediate's error. For grammars whose immediates have no prefix.
func ParseImmediateOperand(op string) (arch.Operand, error) {
	v, err := ParseImmediate(op)
	if err == nil {
		return arch.Operand{Kind: arch.Const, Value: v}, nil
	}
	if errors.Is(err, arch.ErrSyntax) && IsExpr(op) {
		// "sym+8", "8+sym": ParseImmediate only sees that it is not a
		// number.
		if _, derr := ParseDisplacement(op); errors.Is(derr, arch.ErrSymbolic) {
			return arch.Operand{}, derr
		}
	}
	return arch.Operand{}, err
}

// ParseDisplacement folds a displacement of one or more signed terms
// ("16", "-8", "8+16", "-8-4", "0x10-4") into one value. A term that is a
// name ("gi", "4+t1", "x@GOTPCREL") makes the operand symbolic.
func ParseDisplacement(s string) (int64, error) {
	sym, _, off, err := ParseSymbolicDisplacement(s)
	if err == nil && sym != "" {
		return 0, fmt.Errorf("%w: displacement %q names a symbol", arch.ErrSymbolic, s)
	}
	return off, err
}

// ParseSymbolicDisplacement is ParseDisplacement allowing one added
// symbol term: "8+sym", "sym+8", "counter.0", "x@GOTPCREL". It returns the
// symbol, its "@" suffix (without the "@") and the sum of the numbers.
func ParseSymbolicDisplacement(s string) (sym, suffix string, off int64, err error) {
	if s == "" {
		return "", "", 0, nil
	}
	var sum int64
	for i := 0; i < len(s); {
		sign := int64(1)
		switch s[i] {
		case '-':
			sign = -1
			i++
		case '+':
			if i == 0 {
				return "", "", 0, fmt.Errorf("%w: bad displacement %q", arch.ErrSyntax, s)
			}
			i++
		default:
			if i != 0 {
				return "", "", 0, fmt.Errorf("%w: bad displacement %q", arch.ErrSyntax, s)
			}
		}
		j := i
		for j < len(s) && s[j] != '+' && s[j] != '-' {
			j++
		}
		term := s[i:j]
		i = j
		if !isNumber(term) {
			if !IsSymbolStart(term) || !isSymbolText(term) {
				return "", "", 0, fmt.Errorf("%w: bad displacement %q", arch.ErrSyntax, s)
			}
			if sym != "" || sign < 0 {
				return "", "", 0, fmt.Errorf("%w: displacement %q is not one added symbol and numbers", arch.ErrSymbolic, s)
			}
			sym, suffix, _ = strings.Cut(term, "@")
			continue
		}
		u, err := strconv.ParseUint(term, 0, 64)
		if err != nil || u > 1<<63 || (u == 1<<63 && sign > 0) {
			return "", "", 0, fmt.Errorf("%w: displacement %q does not fit in 64 bits", arch.ErrRange, s)
		}
		v := sign * int64(u)
		if u == 1<<63 {
			v = -1 << 63
		}
		next := sum + v
		if (v > 0 && next < sum) || (v < 0 && next > sum) {
			return "", "", 0, fmt.Errorf("%w: displacement %q overflows 64 bits", arch.ErrRange, s)
		}
		sum = next
	}
	return sym, suffix, sum, nil
}

// isSymbolText reports whether s is made of symbol characters and
// "@suffix" relocation operators.
func isSymbolText(s string) bool {
	if strings.HasSuffix(s, "@") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c == '$' || c == '@' || IsLetter(c) || IsDigit(c)) {
			return false
		}
	}
	return true
}

// isNumber reports whether s is a decimal or 0x-hex literal without sign.
func isNumber(s string) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
		for i := 0; i < len(s); i++ {
			c := s[i] | 0x20
			if !(IsDigit(s[i]) || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	return IsDigits(s)
}

// IsSymbolStart reports whether s starts like an assembler symbol: with a
// letter, '_', '.' or '$'.
func IsSymbolStart(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || c == '.' || c == '$' || IsLetter(c)
}
