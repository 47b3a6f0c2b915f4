package compiler

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/usdtspec/usdtspec/internal/malformed"
)

// TestStreamMatchesOpen: every pass of Stream.Walk hands out the call
// sites, note errors and debug file fields that OpenWithOptions gives,
// and fails where it fails, for the probe binaries and every malformed
// variant; a Walk stopped early stops.
func TestStreamMatchesOpen(t *testing.T) {
	paths, err := filepath.Glob("../testdata/bin/*")
	if err != nil || len(paths) < 3 {
		t.Fatalf("testdata/bin: %v (%d files)", err, len(paths))
	}
	dir := t.TempDir()
	for i, base := range malformed.Bases() {
		for j, c := range append([]malformed.Case{base}, malformed.Variants(base)...) {
			p := filepath.Join(dir, fmt.Sprintf("case-%d-%d", i, j))
			if err := os.WriteFile(p, c.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	opts := &Options{DebugDirs: []string{}}
	for _, path := range paths {
		want, wantErr := OpenWithOptions(path, opts)
		s, err := OpenStream(path, opts)
		if err != nil {
			if wantErr == nil || err.Error() != wantErr.Error() {
				t.Errorf("%s: OpenStream: %v, Open: %v", path, err, wantErr)
			}
			continue
		}
		for pass := range 2 {
			var got []CallSite
			err := s.Walk(func(p *CallSite) bool {
				got = append(got, *p)
				return true
			})
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Errorf("%s: pass %d: Walk: %v, Open: %v", path, pass, err, wantErr)
				break
			}
			if err != nil {
				break
			}
			f := *s.File
			f.CallSites = got
			if len(got) == 0 {
				f.CallSites = want.CallSites // nil or empty
			}
			if !reflect.DeepEqual(&f, want) {
				t.Errorf("%s: pass %d: Walk gives\n%+v\nOpen gives\n%+v", path, pass, &f, want)
			}
		}
		if wantErr == nil && len(want.CallSites) > 1 {
			n := 0
			s.Walk(func(*CallSite) bool { n++; return false })
			if n != 1 {
				t.Errorf("%s: Walk stopped at the first call site went on to %d", path, n)
			}
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

// TestStreamHoldsNoCallSites: what a Walk holds does not grow with the
// call sites, where Open holds each (144 bytes): checked at the last of
// 100,000, after a GC.
func TestStreamHoldsNoCallSites(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 8 MB file")
	}
	const n = 100_000
	path := filepath.Join(t.TempDir(), "big.elf")
	if err := os.WriteFile(path, syntheticFile(n), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := OpenStream(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := 0
	if err := s.Walk(func(*CallSite) bool {
		if seen++; seen == n {
			runtime.GC()
			runtime.ReadMemStats(&during)
		}
		return true
	}); err != nil || seen != n {
		t.Fatalf("Walk: %v, %d call sites", err, seen)
	}
	held := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d bytes held at the last call site", held)
	if held > 2<<20 {
		t.Errorf("%d bytes held at the last call site, want under 2 MiB (Open would hold %d)", held, n*144)
	}
}
