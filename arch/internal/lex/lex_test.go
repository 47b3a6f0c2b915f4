package lex

import (
	"errors"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
)

func TestLex(t *testing.T) {
	tests := []struct {
		s                                  string
		digits, alnum, word, regWord, expr bool
	}{
		{"", false, false, false, false, true},
		{"0", true, true, false, false, true},
		{"31", true, true, false, false, true},
		{"r3", false, true, true, true, true},
		{"xzr", false, true, true, true, true},
		{"3r", false, true, false, false, true},
		{"a0b", false, true, true, false, true},
		{"sym+8", false, false, false, false, true},
		{"x@GOT", false, false, false, false, true},
		{"%r2", false, false, false, false, false},
		{"$5", false, false, false, false, false},
	}
	for _, tt := range tests {
		if got := IsDigits(tt.s); got != tt.digits {
			t.Errorf("IsDigits(%q) = %v", tt.s, got)
		}
		if got := IsAlnum(tt.s); got != tt.alnum {
			t.Errorf("IsAlnum(%q) = %v", tt.s, got)
		}
		if got := IsWord(tt.s); got != tt.word {
			t.Errorf("IsWord(%q) = %v", tt.s, got)
		}
		if got := IsRegisterWord(tt.s); got != tt.regWord {
			t.Errorf("IsRegisterWord(%q) = %v", tt.s, got)
		}
		if got := IsExpr(tt.s); got != tt.expr {
			t.Errorf("IsExpr(%q) = %v", tt.s, got)
		}
	}
}

func TestIsRegisterNumber(t *testing.T) {
	for _, s := range []string{"0", "7", "15", "31"} {
		if !IsRegisterNumber(s, 31) {
			t.Errorf("IsRegisterNumber(%q, 31) = false", s)
		}
	}
	for _, s := range []string{"", "32", "07", "00", "-1", "+1", "1x", "99999999999999999999"} {
		if IsRegisterNumber(s, 31) {
			t.Errorf("IsRegisterNumber(%q, 31) = true", s)
		}
	}
}

func TestCutParens(t *testing.T) {
	for _, tt := range []struct{ op, before, inner string }{
		{"8(%rbp)", "8", "%rbp"},
		{"()", "", ""},
		{"-4(%r1,%r2)", "-4", "%r1,%r2"},
	} {
		before, inner, err := CutParens(tt.op)
		if err != nil || before != tt.before || inner != tt.inner {
			t.Errorf("CutParens(%q) = %q, %q, %v; want %q, %q", tt.op, before, inner, err, tt.before, tt.inner)
		}
	}
	for _, op := range []string{"8", "(a", "a)", ")(", "((a)", "(a))", "(a)b"} {
		if _, _, err := CutParens(op); !errors.Is(err, arch.ErrSyntax) {
			t.Errorf("CutParens(%q) error %v, want arch.ErrSyntax", op, err)
		}
	}
}
