package usdt

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/compiler"
)

// TestLayoutFollowsHeader: an object built on this module's usdt.bpf.h
// gets the extended layout, whose failing and extension argument types
// only that header decodes as meant.
func TestLayoutFollowsHeader(t *testing.T) {
	l := load(t, Config{})
	if diff := cmp.Diff(compiler.LayoutUsdtspec, l.m.layout); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
}
