// Package setup holds the scripts that install what the build and the
// tests need (deps.sh); its test checks .ci/run, the CI entry point.
package setup

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCIRunTempFiles: .ci/run runs as root on a shared machine, so every
// file it writes under the temporary directory must be in a directory
// mktemp made for it: a fixed name (it once logged to
// ${TMPDIR:-/tmp}/usdtspec-corpus.log) can be planted beforehand by a
// local user as a symlink to a file that root then overwrites.
func TestCIRunTempFiles(t *testing.T) {
	b, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	tmp := regexp.MustCompile(`\$\{TMPDIR[^}]*\}|\$TMPDIR|/tmp\b`)
	mktemp := 0
	for i, line := range strings.Split(string(b), "\n") {
		code, _, _ := strings.Cut(line, "#")
		if !tmp.MatchString(code) {
			continue
		}
		if !strings.Contains(code, "mktemp") {
			t.Errorf(".ci/run:%d: a path under the temporary directory not made by mktemp: %s", i+1, strings.TrimSpace(line))
			continue
		}
		mktemp++
	}
	if mktemp == 0 {
		t.Error(".ci/run makes no private temporary directory (mktemp -d) for its logs")
	}
}
