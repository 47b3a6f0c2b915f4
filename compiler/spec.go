package compiler

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/usdtspec/usdtspec/arch"
)

// Layout is a version of libbpf's struct __bpf_usdt_spec, or usdtspec's
// extension of the newest one.
type Layout struct {
	Name    string // "v1.7", "v1.6", "v1.7+usdtspec"
	ArgSize int    // sizeof(struct __bpf_usdt_arg_spec)
	// HasSIB: the layout has arg_type SIB with idx_reg_off and
	// scale_bitshift bit-fields.
	HasSIB bool
	// Extended: usdtspec's extension of the layout, which only
	// bpf/usdt.bpf.h decodes: the argument types of the kinds libbpf
	// lacks (arch.Index, arch.TLS), and one argument's failure is that
	// argument's alone (a failing argument type, for which bpf_usdt_arg
	// returns -EINVAL, while the call site and its other arguments
	// work). The libbpf layouts are strict, all-or-nothing as libbpf:
	// an argument that does not compile fails the spec.
	Extended bool
}

// MaxArgs is BPF_USDT_MAX_ARG_CNT: a spec holds at most this many arguments.
const MaxArgs = 12

var (
	// LayoutV17 is libbpf ≥ 1.7: 24-byte arg specs, 304-byte spec.
	LayoutV17 = Layout{Name: "v1.7", ArgSize: 24, HasSIB: true}
	// LayoutV16 is libbpf 0.8 to 1.6: 16-byte arg specs, 208-byte spec, no SIB.
	LayoutV16 = Layout{Name: "v1.6", ArgSize: 16}
	// LayoutUsdtspec is LayoutV17 with usdtspec's extensions (see
	// Layout.Extended), for bpf/usdt.bpf.h. A spec that needs none of
	// them is byte for byte the LayoutV17 one ([Layout.For] says which).
	LayoutUsdtspec = Layout{Name: "v1.7+usdtspec", ArgSize: 24, HasSIB: true, Extended: true}
)

// Layouts are libbpf's layouts, newest first: the ones a spec map's value
// size tells apart.
var Layouts = []Layout{LayoutV17, LayoutV16}

// LayoutByName returns the layout called name ("v1.7", "v1.6",
// "v1.7+usdtspec").
func LayoutByName(name string) (Layout, bool) {
	for _, l := range append(Layouts, LayoutUsdtspec) {
		if l.Name == name {
			return l, true
		}
	}
	return Layout{}, false
}

// Strict returns libbpf's layout of l's size: l itself, or LayoutV17 for
// LayoutUsdtspec. It encodes what libbpf would, and refuses a spec when
// libbpf would.
func (l Layout) Strict() Layout {
	if l.Extended {
		return LayoutV17
	}
	return l
}

// For returns the layout that args' spec needs: l.Strict() when the spec
// uses none of l's extensions (its bytes are then libbpf's), else l. It
// names what a file's specs require of the BPF side.
func (l Layout) For(args []Argument) Layout {
	if !l.Extended {
		return l
	}
	for i := range args {
		if needsExtension(&args[i]) {
			return l
		}
	}
	return l.Strict()
}

// needsExtension reports whether an argument's encoding is usdtspec's own:
// a kind libbpf lacks, or a failure libbpf would refuse the spec for.
func needsExtension(a *Argument) bool {
	if a.Err != nil {
		return !Unreadable(a)
	}
	return a.Kind > arch.SIB
}

// SpecSize is sizeof(struct __bpf_usdt_spec).
func (l Layout) SpecSize() int { return l.cookieOffset() + 16 }

func (l Layout) cookieOffset() int { return MaxArgs * l.ArgSize }

// Argument types of the extended layout, beyond libbpf's enum
// __bpf_usdt_arg_type (0 to 3). They start at 0x80 so that kinds libbpf
// adds later cannot collide with them; bpf/usdt.bpf.h has the same values.
const (
	argTypeIndex    = 0x80 // *(idx<<scale + off)
	argTypeTLS      = 0x81 // *(tp + off)
	argTypeTLSDeref = 0x82 // *(tp + base + off)
	argTypeTLSSIB   = 0x83 // *(tp + base + idx<<scale + off)
	argTypeTLSIndex = 0x84 // *(tp + idx<<scale + off)
	argTypePair     = 0x85 // reg (low 32 bits) | idx_reg << 32: a 32-bit program's 64-bit value
	// ArgTypeFailing is the arg_type of an argument that does not
	// compile ([Unreadable] ones in every layout, any failure in an
	// extended one): no decoder knows it, libbpf's included, so
	// bpf_usdt_arg returns -EINVAL for that argument alone.
	ArgTypeFailing = 0xff
)

// Unreadable reports whether an argument failed for a known hardware
// limit: its value is in a register pt_regs does not hold (FP/vector), is
// wider than 64 bits, or is wider than the one register that holds it.
// Such an argument does not stop its call site's spec in any layout:
// [Encode] gives it [ArgTypeFailing]. Any other failure (an operand not
// understood, a symbol not found) makes a strict (libbpf) layout's spec
// fail, as libbpf does; an extended layout fails that argument alone.
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
	// ErrArgument: an argument did not compile, so neither does the spec
	// (strict layouts).
	ErrArgument = errors.New("argument did not compile")
)

// Encode returns the bytes of struct __bpf_usdt_spec for a call site's
// arguments, in byte order order, as libbpf's usdt.bpf.h reads them (or,
// for an extended layout, bpf/usdt.bpf.h).
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
		if a.Err != nil && !Unreadable(&a) && !l.Extended {
			return buf[:start], fmt.Errorf("%w: %w", ErrArgument, a.Err)
		}
		b := spec[i*l.ArgSize : (i+1)*l.ArgSize]
		if a.Err == nil {
			err := l.putArg(b, order, &a.Arg)
			if err == nil {
				continue
			}
			switch {
			case a.Kind == arch.Pair && !l.Extended:
				// A register pair is a hardware limit to libbpf: it reads
				// the named register alone, the low half. Strict layouts
				// keep the failing argument such an operand always had.
			case !l.Extended:
				return buf[:start], &ArgError{Index: i, Operand: a.Text, Err: err}
			}
			clear(b)
		}
		// bpf_usdt_arg rejects an unknown arg_type with -EINVAL, in
		// libbpf's decoder as in ours: this argument fails, the others
		// of the call site still work.
		failing := arch.Arg{Size: min(a.Size, 8), Signed: a.Signed}
		l.putType(b, order, ArgTypeFailing, &failing)
	}
	order.PutUint64(spec[l.cookieOffset():], cookie)
	order.PutUint16(spec[l.cookieOffset()+8:], uint16(len(args)))
	return buf, nil
}

// argType is the arg_type of an argument of kind a.Kind in layout l.
func (l Layout) argType(a *arch.Arg) (byte, error) {
	switch {
	case a.Kind == arch.SIB && !l.HasSIB:
		return 0, fmt.Errorf("%w: %s index register needs libbpf ≥ 1.7", ErrLayout, a.Kind)
	case a.Kind <= arch.SIB:
		return byte(a.Kind), nil
	case !l.Extended:
		return 0, fmt.Errorf("%w: %s operands need %s (bpf/usdt.bpf.h)", ErrLayout, a.Kind, LayoutUsdtspec.Name)
	case a.Kind == arch.Index:
		return argTypeIndex, nil
	case a.Kind == arch.Pair:
		return argTypePair, nil
	case a.Kind == arch.TLS:
		switch base, idx := a.Base.Name != "", a.Index.Name != ""; {
		case base && idx:
			return argTypeTLSSIB, nil
		case base:
			return argTypeTLSDeref, nil
		case idx:
			return argTypeTLSIndex, nil
		}
		return argTypeTLS, nil
	}
	return 0, fmt.Errorf("%w: kind %s", ErrLayout, a.Kind)
}

// putArg fills one struct __bpf_usdt_arg_spec.
func (l Layout) putArg(b []byte, order binary.ByteOrder, a *arch.Arg) error {
	t, err := l.argType(a)
	if err != nil {
		return err
	}
	return l.putType(b, order, t, a)
}

// putType fills one struct __bpf_usdt_arg_spec with arg_type t. Byte
// positions are those of gcc and clang for both byte orders (see the
// survey, section 1.1).
func (l Layout) putType(b []byte, order binary.ByteOrder, t byte, a *arch.Arg) error {
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
		// enum arg_type (4 bytes) @8, short reg_off @12,
		// bool arg_signed @14, char arg_bitshift @15.
		order.PutUint32(b[8:], uint32(t))
		order.PutUint16(b[12:], a.Base.Offset)
		b[14], b[15] = signed, bitshift
		return nil
	}
	var scaleShift uint16
	if a.Kind == arch.SIB || a.Index.Name != "" {
		// SIB, and the extension kinds with an index register.
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
		b[8] = t
		idxScale = a.Index.Offset | scaleShift<<12
	} else {
		b[12] = t
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
