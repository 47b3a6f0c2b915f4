package arch

import "errors"

// MaxSiteBytes is how many bytes at a call site the compiler hands to
// [Arch.DecodeSite]: the longest instruction (x86: 15 bytes) or
// instruction sequence a decoder looks at fits.
const MaxSiteBytes = 16

// ErrSiteUnprobeable: the kernel cannot place a uprobe at the call site
// (32-bit arm: Thumb code). Attaching there would fail, or worse, corrupt
// the traced program.
var ErrSiteUnprobeable = errors.New("call site cannot be probed")

// ErrInstruction: the bytes at a call site do not decode as an
// instruction of the architecture.
var ErrInstruction = errors.New("undecodable instruction at call site")

// Code is the code at a call site, as the architecture's decoder reads
// it from the file.
type Code struct {
	// Insn is the instruction at the call site, in the assembler
	// syntax of the architecture's decoder ("nop").
	Insn string
	// Bytes are the bytes of the instruction, or of the whole sequence
	// when Combo is set. Sites may share them: read-only.
	Bytes []byte
	// Combo names a nop sequence that some kernels turn into a faster
	// uprobe ("nop+nop5"): a uprobe placed Shift bytes into it, on its
	// long nop, can be rewritten into a call instead of trapping.
	// Empty for an ordinary site.
	Combo string
	// Shift is where the long nop of Combo starts, from the call site.
	Shift uint64
	// Err is set when the bytes could not be read or decoded (wrapping
	// ErrInstruction or the reader's sentinel); the other fields are then
	// empty.
	Err error
}
