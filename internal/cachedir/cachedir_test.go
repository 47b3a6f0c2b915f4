package cachedir

import (
	"path/filepath"
	"testing"
)

func TestPath(t *testing.T) {
	t.Setenv("USDTSPEC_CACHE", "/c")
	if got := Path("vm", "kernels"); got != "/c/vm/kernels" {
		t.Errorf("with USDTSPEC_CACHE: %q", got)
	}
	t.Setenv("USDTSPEC_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := Path("corpus"); got != filepath.FromSlash("/home/u/.cache/usdtspec/corpus") {
		t.Errorf("with HOME: %q", got)
	}
	t.Setenv("XDG_CACHE_HOME", "/x")
	if got := Path(); got != "/x/usdtspec" {
		t.Errorf("with XDG_CACHE_HOME: %q", got)
	}
}
