package arch

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Split cuts a note's argument string into operands at blanks that are not
// inside brackets or parentheses, so that arm64's "[sp, 16]" stays one
// operand, nor after a comma, so that clang's LoongArch "-4@$a1, 0" does
// (no operand ends in a comma). An empty string, or one that starts with
// ':' (libbpf's convention for "no arguments"), has no operands.
func Split(args string) []string {
	if strings.HasPrefix(args, ":") {
		return nil
	}
	var out []string
	depth, start := 0, -1
	var last byte // the last character that is not a blank
	for i := 0; i < len(args); i++ {
		c := args[i]
		if c == ' ' || c == '\t' {
			if depth == 0 && last != ',' && start >= 0 {
				out = append(out, args[start:i])
				start = -1
			}
			continue
		}
		switch {
		case c == '[' || c == '(':
			depth++
		case (c == ']' || c == ')') && depth > 0:
			depth--
		}
		if start < 0 {
			start = i
		}
		last = c
	}
	if start >= 0 {
		out = append(out, strings.TrimRight(args[start:], " \t"))
	}
	return out
}

// ParseArg parses one argument, "[-]N[f]@operand", with a's grammar.
// On error the returned Arg still carries whatever the size prefix told.
func ParseArg(a *Arch, text string) (Arg, error) {
	arg := Arg{Text: text}
	at := strings.IndexByte(text, '@')
	if at < 0 {
		return arg, fmt.Errorf("%w: no size prefix (want [-]N[f]@operand)", ErrSyntax)
	}
	prefix, op := text[:at], text[at+1:]
	if strings.HasPrefix(prefix, "-") {
		arg.Signed = true
		prefix = prefix[1:]
	}
	if strings.HasSuffix(prefix, "f") {
		arg.Float = true
		prefix = prefix[:len(prefix)-1]
	}
	n, err := strconv.ParseUint(prefix, 10, 16)
	if err != nil || prefix == "" || prefix[0] == '+' {
		return arg, fmt.Errorf("%w: malformed size prefix %q", ErrSize, text[:at+1])
	}
	arg.Size = int(n)
	if op == "" {
		return arg, fmt.Errorf("%w: empty operand", ErrSyntax)
	}
	arg.Operand, err = a.ParseOperand(op)
	if err != nil {
		return arg, err
	}
	switch arg.Size {
	case 1, 2, 4, 8:
	default:
		return arg, fmt.Errorf("%w: %d bytes (a spec holds 1, 2, 4 or 8)", ErrSize, arg.Size)
	}
	if arg.FloatImmediate {
		switch {
		case !arg.Float:
			return arg, fmt.Errorf("%w: floating-point literal %q for an integer argument", ErrSyntax, op)
		case arg.Size == 4:
			arg.Value = uint64(math.Float32bits(float32(math.Float64frombits(arg.Value))))
		case arg.Size != 8:
			return arg, fmt.Errorf("%w: %d-byte floating-point literal %q (want 4f@ or 8f@)", ErrSize, arg.Size, op)
		}
	}
	if arg.Kind == Reg && a.RegisterBytes != 0 && arg.Size > a.RegisterBytes {
		if a.RegisterPair != nil && arg.Size == 2*a.RegisterBytes {
			if hi, ok := a.RegisterPair(arg.Base); ok {
				arg.Kind, arg.Index, arg.Scale = Pair, hi, 1
				return arg, nil
			}
		}
		return arg, fmt.Errorf("%w: %d bytes named by the %d-byte register %s, which holds only the low half; the note does not say which register holds the rest", ErrPartialRegister, arg.Size, a.RegisterBytes, arg.Base.Name)
	}
	return arg, nil
}
