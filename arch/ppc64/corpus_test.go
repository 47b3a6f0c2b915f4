package ppc64

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/usdtspec/usdtspec/arch"
)

// corpusArches are the Debian architecture names of this grammar's files
// in the corpus.
var corpusArches = []string{"ppc64el", "ppc64"}

// expectedFailures are the sentinels a real compiler's operand may
// legitimately carry; a syntax error or an unknown register in real
// output would be a gap in the grammar.
var expectedFailures = []error{arch.ErrSymbolic, arch.ErrFloatRegister, arch.ErrSize, arch.ErrUnsupported}

// TestCorpus parses every distinct argument of the ppc64el and ppc64 files of the
// Debian corpus ($CORPUS_DIR/scan/all.jsonl, written by
// ../shared/corpus/fetch.sh; default ../../.corpus): each must parse or
// fail with one of expectedFailures.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("CORPUS_DIR")
	if dir == "" {
		dir = "../../.corpus"
	}
	f, err := os.Open(filepath.Join(dir, "scan", "all.jsonl"))
	if err != nil {
		t.Skipf("no corpus (fetch it with ARCHES=%q ../shared/corpus/fetch.sh, or set CORPUS_DIR): %v", corpusArches[0], err)
	}
	defer f.Close()
	distinct := map[string]int{} // argument -> occurrences
	files := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var e struct {
			Arch   string
			Probes []struct{ Args string }
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(corpusArches, e.Arch) {
			continue
		}
		files++
		for _, p := range e.Probes {
			for _, a := range arch.Split(p.Args) {
				distinct[a]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Skipf("corpus in %s has no %v files", dir, corpusArches)
	}
	parsed, total := 0, 0
	byErr := map[error]int{}
	for _, text := range slices.Sorted(func(yield func(string) bool) {
		for k := range distinct {
			if !yield(k) {
				return
			}
		}
	}) {
		total += distinct[text]
		_, err := arch.ParseArg(Arch, text)
		if err == nil {
			parsed++
			continue
		}
		known := false
		for _, s := range expectedFailures {
			if errors.Is(err, s) {
				known = true
				byErr[s]++
				t.Logf("  %s: %v", text, err)
			}
		}
		if !known {
			t.Errorf("ParseArg(%q): %v", text, err)
		}
	}
	t.Logf("%d files, %d arguments, %d distinct: %d parsed, %d with a specific error",
		files, total, len(distinct), parsed, len(distinct)-parsed)
	for _, s := range expectedFailures {
		if byErr[s] > 0 {
			t.Logf("  %d × %v", byErr[s], s)
		}
	}
}
