package amd64

import (
	"bytes"
	"fmt"
	"sync"

	"golang.org/x/arch/x86/x86asm"

	"github.com/usdtspec/usdtspec/arch"
)

// Nop combos: sys/sdt.h puts a one-byte nop at a call site; libbpf's
// usdt.h puts a long nop after it, so that a kernel with the uprobe
// syscall can rewrite the long nop into a call to its uprobe trampoline
// instead of trapping on an int3 (survey section 1.4, has_nop_combo).
// libbpf 1.7 and Linux 6.18 use the 5-byte nopl, whose call overwrites
// the red zone below %rsp; the fix ("uprobes/x86: Move optimized uprobe
// from nop5 to nop10") moved both to this 10-byte cs nopw, the only long
// nop such a kernel optimizes. 6.18 refuses a uprobe on the nopw at all
// (EOPNOTSUPP: is_prefix_bad rejects its cs prefix), so which combo
// moves must follow the kernel (optimizedCombo).
var combos = []struct {
	name  string
	bytes []byte
}{
	{"nop+nop5", []byte{0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00}},
	{"nop+nop10", []byte{0x90, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},
}

// The call-site fields of Arch are set here, next to their code, rather
// than in its literal in amd64.go.
func init() {
	Arch.DecodeSite = SiteDecoder(64)
	Arch.OptimizedCombo = optimizedCombo
}

// SiteDecoder returns a call-site decoder for x86 code of the given mode
// (64, or 32 for i386 programs).
func SiteDecoder(mode int) func(code []byte) arch.Code {
	return func(code []byte) arch.Code { return decodeSite(code, mode) }
}

func decodeSite(code []byte, mode int) arch.Code {
	// The usual sites need no decoding once cached (x86asm allocates
	// per instruction): the nop combos and sys/sdt.h's one-byte nop,
	// which is the whole instruction whatever follows.
	key, combo := []byte(nil), ""
	for _, c := range combos {
		if bytes.HasPrefix(code, c.bytes) {
			key, combo = code[:len(c.bytes)], c.name
			break
		}
	}
	if key == nil && len(code) > 0 && code[0] == 0x90 {
		key = code[:1]
	}
	if s, ok := sites.lookup(key, mode); ok {
		return s
	}
	// Any other site: by the whole window, which repeats where the code
	// around call sites does (generated code, zero-filled test files).
	window := key == nil
	if window {
		if s, ok := sites.lookup(code, mode); ok {
			return s
		}
	}
	inst, err := x86asm.Decode(code, mode)
	// x86asm gives Op 0 (printed "prefix(0x..)") rather than an error for
	// some truncated or invalid sequences.
	if err == nil && inst.Op == 0 {
		err = x86asm.ErrUnrecognized
	}
	if err != nil {
		return arch.Code{Err: fmt.Errorf("%w: % x: %v", arch.ErrInstruction, code, err)}
	}
	if key == nil {
		key = code[:inst.Len]
		if s, ok := sites.lookup(key, mode); ok {
			return s
		}
	}
	// A copy: the caller's buffer may be reused.
	s := arch.Code{Insn: x86asm.GNUSyntax(inst, 0, nil), Bytes: bytes.Clone(key)}
	if combo != "" {
		// The long nop starts after the one-byte nop.
		s.Combo, s.Shift = combo, 1
	}
	sites.add(string(s.Bytes), s, mode)
	if window {
		sites.add(string(code), s, mode)
	}
	return s
}

// siteCache memoizes decoded sites by their bytes: a file has thousands
// of call sites and nearly all are the same nop, so its Sites share one
// Insn and one Bytes (read-only, as arch.Site says) instead of
// allocating them per site.
type siteCache struct {
	mu sync.Mutex
	m  [2]map[string]arch.Code // by mode: 64, 32
}

var sites siteCache

// siteCacheMax bounds the memory of the cache: past it, unusual sites
// are decoded each time.
const siteCacheMax = 4096

func (c *siteCache) lookup(key []byte, mode int) (arch.Code, bool) {
	if key == nil {
		return arch.Code{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[cacheIndex(mode)][string(key)]
	return s, ok
}

func (c *siteCache) add(key string, s arch.Code, mode int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := cacheIndex(mode)
	if c.m[i] == nil {
		c.m[i] = map[string]arch.Code{}
	}
	if len(c.m[i]) < siteCacheMax {
		c.m[i][key] = s
	}
}

func cacheIndex(mode int) int {
	if mode == 32 {
		return 1
	}
	return 0
}
