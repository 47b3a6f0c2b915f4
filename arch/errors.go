package arch

import "errors"

// Sentinel errors. Every error from [ParseArg] and from an architecture's
// ParseOperand wraps exactly one of them, so callers can classify
// failures with errors.Is.
var (
	// ErrSyntax: the text does not match the architecture's grammar.
	ErrSyntax = errors.New("syntax error")
	// ErrSize: the size prefix is malformed, or names a size other than
	// 1, 2, 4 or 8 bytes, which a 64-bit spec slot cannot hold.
	ErrSize = errors.New("unsupported size")
	// ErrUnknownRegister: a register name the architecture does not have.
	ErrUnknownRegister = errors.New("unknown register")
	// ErrFloatRegister: a floating-point or vector register, which the
	// kernel does not save in pt_regs.
	ErrFloatRegister = errors.New("floating-point register not in pt_regs")
	// ErrSymbolic: the operand names a symbol (sym(%rip), #:lo12:sym, ...),
	// which needs the symbol's address and cannot be compiled yet.
	ErrSymbolic = errors.New("symbolic operand")
	// ErrUnsupported: a well-formed operand that a libbpf spec cannot
	// express (a high-byte register, a segment override, an index without
	// a base, ...).
	ErrUnsupported = errors.New("operand not expressible as a spec")
	// ErrPartialRegister: the value is wider than the register that holds
	// it (a 64-bit value "in" a 32-bit register of a 32-bit program: the
	// other half is in a register the note does not name).
	ErrPartialRegister = errors.New("value wider than its register")
	// ErrRange: a number does not fit where it is used.
	ErrRange = errors.New("number out of range")
)
