package compiler

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
)

// Layout is a version of libbpf's struct __bpf_usdt_spec.
type Layout struct {
	Name    string // "v1.7"
	ArgSize int    // sizeof(struct __bpf_usdt_arg_spec)
	// HasSIB: the layout has arg_type SIB with idx_reg_off and
	// scale_bitshift bit-fields.
	HasSIB bool
}

// MaxArgs is BPF_USDT_MAX_ARG_CNT: a spec holds at most this many arguments.
const MaxArgs = 12

var (
	// LayoutV17 is libbpf ≥ 1.7: 24-byte arg specs, 304-byte spec.
	LayoutV17 = Layout{Name: "v1.7", ArgSize: 24, HasSIB: true}
	// LayoutV16 is libbpf 0.8 to 1.6: 16-byte arg specs, 208-byte spec, no SIB.
	LayoutV16 = Layout{Name: "v1.6", ArgSize: 16}
)

// Layouts are the supported layouts, newest first.
var Layouts = []Layout{LayoutV17, LayoutV16}

// LayoutByName returns the layout called name ("v1.7", "v1.6").
func LayoutByName(name string) (Layout, bool) {
	for _, l := range Layouts {
		if l.Name == name {
			return l, true
		}
	}
	return Layout{}, false
}

// SpecSize is sizeof(struct __bpf_usdt_spec).
func (l Layout) SpecSize() int { return l.cookieOffset() + 16 }

func (l Layout) cookieOffset() int { return MaxArgs * l.ArgSize }

// argTypeUnreadable is the arg_type of an [Unreadable] argument: no
// decoder knows it, so bpf_usdt_arg fails for that argument.
const argTypeUnreadable arch.Kind = 0xff

// Unreadable reports whether an argument failed for a known hardware
// limit: its value is in a register pt_regs does not hold (FP/vector), is
// wider than 64 bits, or is wider than the one register that holds it. Such an argument does not stop its call site's
// spec: [Encode] gives it an argument type that makes bpf_usdt_arg fail for
// it alone. Any other failure (an operand not understood, a symbol not
// found) makes the whole spec fail: the value's place is not known.
func Unreadable(a *Argument) bool {
	return a.Err != nil && (errors.Is(a.Err, arch.ErrFloatRegister) || errors.Is(a.Err, arch.ErrPartialRegister) ||
		errors.Is(a.Err, arch.ErrSize) && a.Size > 8)
}

// Sentinel errors of [Encode].
var (
	// ErrTooManyArgs: more than [MaxArgs] arguments.
	ErrTooManyArgs = errors.New("more arguments than a spec holds")
	// ErrLayout: the argument needs a newer spec layout.
	ErrLayout = errors.New("operand not expressible in this spec layout")
	// ErrArgument: an argument did not compile, so neither does the spec.
	ErrArgument = errors.New("argument did not compile")
)

// Encode returns the bytes of struct __bpf_usdt_spec for a call site's
// arguments, in byte order order, as libbpf's usdt.bpf.h reads them.
func Encode(l Layout, order binary.ByteOrder, args []Argument, cookie uint64) ([]byte, error) {
	b, err := AppendSpec(nil, l, order, args, cookie)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// AppendSpec is [Encode] appending to buf.
func AppendSpec(buf []byte, l Layout, order binary.ByteOrder, args []Argument, cookie uint64) ([]byte, error) {
	if len(args) > MaxArgs {
		return buf, fmt.Errorf("%w: %d arguments, at most %d", ErrTooManyArgs, len(args), MaxArgs)
	}
	start := len(buf)
	buf = append(buf, make([]byte, l.SpecSize())...)
	spec := buf[start:]
	for i, a := range args {
		if a.Err != nil && !Unreadable(&a) {
			return buf[:start], fmt.Errorf("%w: %w", ErrArgument, a.Err)
		}
		arg := &a.Arg
		if a.Err != nil {
			// bpf_usdt_arg rejects an unknown arg_type with -EINVAL,
			// in libbpf's decoder as in ours: this argument fails, the
			// others of the call site still work.
			arg = &arch.Arg{Size: min(a.Size, 8), Signed: a.Signed, Operand: arch.Operand{Kind: argTypeUnreadable}}
		}
		if err := l.putArg(spec[i*l.ArgSize:(i+1)*l.ArgSize], order, arg); err != nil {
			return buf[:start], &ArgError{Index: i, Operand: a.Text, Err: err}
		}
	}
	order.PutUint64(spec[l.cookieOffset():], cookie)
	order.PutUint16(spec[l.cookieOffset()+8:], uint16(len(args)))
	return buf, nil
}

// putArg fills one struct __bpf_usdt_arg_spec. Byte positions are those
// of gcc and clang for both byte orders (see the survey, section 1.1).
func (l Layout) putArg(b []byte, order binary.ByteOrder, a *arch.Arg) error {
	val := a.Value
	if a.Kind != arch.Const {
		val = uint64(a.Offset)
	}
	order.PutUint64(b[0:], val)
	bitshift := byte(64 - 8*a.Size)
	signed := byte(0)
	if a.Signed {
		signed = 1
	}
	if !l.HasSIB {
		if a.Kind == arch.SIB {
			return fmt.Errorf("%w: %s index register needs libbpf ≥ 1.7", ErrLayout, a.Kind)
		}
		// enum arg_type (4 bytes) @8, short reg_off @12,
		// bool arg_signed @14, char arg_bitshift @15.
		order.PutUint32(b[8:], uint32(a.Kind))
		order.PutUint16(b[12:], a.Base.Offset)
		b[14], b[15] = signed, bitshift
		return nil
	}
	var scaleShift uint16
	if a.Kind == arch.SIB {
		if a.Index.Offset >= 1<<12 {
			return fmt.Errorf("%w: index register offset %d needs more than 12 bits", ErrLayout, a.Index.Offset)
		}
		switch a.Scale {
		case 1, 2, 4, 8:
		default:
			return fmt.Errorf("%w: scale %d", ErrLayout, a.Scale)
		}
		for s := a.Scale; s > 1; s >>= 1 {
			scaleShift++
		}
	}
	// Bit-fields: arg_type:8, idx_reg_off:12, scale_bitshift:4, __reserved:8.
	// Little-endian allocates from the low bits of each unit, big-endian
	// from the high bits, and the declaration order is reversed on
	// big-endian, so arg_type ends up at byte 8 (LE) or byte 12 (BE).
	var idxScale uint16
	if isLittleEndian(order) {
		b[8] = byte(a.Kind)
		idxScale = a.Index.Offset | scaleShift<<12
	} else {
		b[12] = byte(a.Kind)
		idxScale = a.Index.Offset<<4 | scaleShift
	}
	order.PutUint16(b[10:], idxScale)
	order.PutUint16(b[14:], a.Base.Offset)
	b[16], b[17] = signed, bitshift
	return nil
}

// isLittleEndian works for any ByteOrder value, binary.NativeEndian too.
func isLittleEndian(order binary.ByteOrder) bool {
	var b [2]byte
	order.PutUint16(b[:], 1)
	return b[0] == 1
}
