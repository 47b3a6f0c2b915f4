package arch_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/internal/lex"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{":", nil},
		{":anything", nil},
		{"-4@%edi", []string{"-4@%edi"}},
		{"-4@%edi 8@-8(%rbp) -2@(%rcx,%rdi,2)", []string{"-4@%edi", "8@-8(%rbp)", "-2@(%rcx,%rdi,2)"}},
		{"8@[sp, 16] -4@x0", []string{"8@[sp, 16]", "-4@x0"}},
		{"  -4@x0   8@[x1,  8]  ", []string{"-4@x0", "8@[x1,  8]"}},
		{"4@[x21, #:lo12:.LANCHOR2]", []string{"4@[x21, #:lo12:.LANCHOR2]"}},
		{"-4@0(%r2,%r4)\t8@%r3", []string{"-4@0(%r2,%r4)", "8@%r3"}},
		// clang's LoongArch memory operand: a blank after the comma.
		{"-4@$a1, 0 8@$a2", []string{"-4@$a1, 0", "8@$a2"}},
		{"-4@$a1,  -8\t-8@$sp, 16 ", []string{"-4@$a1,  -8", "-8@$sp, 16"}},
		// An unbalanced bracket swallows the rest: the parser then reports it.
		{"8@[sp, 16 -4@x0", []string{"8@[sp, 16 -4@x0"}},
		{"8@sp] -4@x0", []string{"8@sp]", "-4@x0"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, arch.Split(tt.in)); diff != "" {
			t.Errorf("Split(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseImmediate(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  error
	}{
		{"0", 0, nil},
		{"-1", 1<<64 - 1, nil},
		{"0x10", 16, nil},
		{"-0x10", 1<<64 - 16, nil},
		{"18446744073709551615", 1<<64 - 1, nil},
		{"-9223372036854775808", 1 << 63, nil},
		{"18446744073709551616", 0, arch.ErrRange},
		{"-9223372036854775809", 0, arch.ErrRange},
		{"sym", 0, arch.ErrSymbolic},
		{"1x", 0, arch.ErrSyntax},
		{"", 0, arch.ErrSyntax},
		{"-", 0, arch.ErrSyntax},
		{"+5", 0, arch.ErrSyntax},
	}
	for _, tt := range tests {
		got, err := lex.ParseImmediate(tt.in)
		if !errors.Is(err, tt.err) || (err == nil && got != tt.want) {
			t.Errorf("ParseImmediate(%q) = %#x, %v; want %#x, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseDisplacement(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"", 0, nil},
		{"16", 16, nil},
		{"-8", -8, nil},
		{"8+16", 24, nil},
		{"-8-4", -12, nil},
		{"0x10-4", 12, nil},
		{"-9223372036854775808", -1 << 63, nil},
		{"9223372036854775807", 1<<63 - 1, nil},
		{"9223372036854775808", 0, arch.ErrRange},
		{"9223372036854775807+1", 0, arch.ErrRange},
		{"-9223372036854775808-1", 0, arch.ErrRange},
		{"4+t1", 0, arch.ErrSymbolic},
		{"counter.0", 0, arch.ErrSymbolic},
		{"+4", 0, arch.ErrSyntax},
		{"4+", 0, arch.ErrSyntax},
		{"4--4", 0, arch.ErrSyntax},
	}
	for _, tt := range tests {
		got, err := lex.ParseDisplacement(tt.in)
		if !errors.Is(err, tt.err) || (err == nil && got != tt.want) {
			t.Errorf("ParseDisplacement(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
