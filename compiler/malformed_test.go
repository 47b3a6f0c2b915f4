package compiler

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/usdtspec/usdtspec/internal/malformed"
)

// TestMalformedCorpus reads every variant of internal/malformed (file
// truncated at each boundary, sizes and offsets that overflow,
// compressed notes whose header lies, bit flips, control characters)
// through Read and, from a file, through Open, and encodes every call
// site read: an error or a result, in bounded time and memory, never a
// panic. The fuzz targets explore further (make fuzz); this runs the
// same few thousand cases in every go test.
func TestMalformedCorpus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case")
	opts := &Options{DebugDirs: []string{}}
	const (
		maxTime  = 2 * time.Second
		maxAlloc = 32 << 20 // the base files are under 8 KiB
	)
	n := 0
	for _, base := range malformed.Bases() {
		for _, c := range append([]malformed.Case{base}, malformed.Variants(base)...) {
			n++
			start := time.Now()
			alloc := allocated(func() {
				if f, err := ReadWithOptions(bytes.NewReader(c.Data), opts); err == nil {
					for _, p := range f.CallSites {
						Encode(LayoutV17, f.ByteOrder, p.Arguments, 0)
						Encode(LayoutV16, f.ByteOrder, p.Arguments, 0)
					}
				}
				if err := os.WriteFile(path, c.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				OpenWithOptions(path, opts)
			})
			if d := time.Since(start); d > maxTime {
				t.Errorf("%s: %v, want under %v", c.Name, d, maxTime)
			}
			if alloc > maxAlloc {
				t.Errorf("%s: %d bytes allocated, want under %d", c.Name, alloc, maxAlloc)
			}
		}
	}
	t.Logf("%d cases", n)
}
