package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/compiler"
)

// TestDumpJSONStreams: dump --json writes its document call site by call
// site; its bytes must be those of encoding/json encoding the whole
// document at once (json.Encoder, two-space indent), as it did before it
// streamed: for no file, one, several, a filter that keeps no call site,
// and files of every byte order in testdata/bin.
func TestDumpJSONStreams(t *testing.T) {
	bins, err := filepath.Glob("../../testdata/bin/*")
	if err != nil || len(bins) < 3 {
		t.Fatalf("testdata/bin: %v (%d files)", err, len(bins))
	}
	for _, tc := range []struct {
		name  string
		flags []string
		files []string
	}{
		{"one file", nil, bins[:1]},
		{"every file", nil, bins},
		{"filter keeping none", []string{"--probe", "no:such"}, bins[:2]},
		{"filter keeping some", []string{"--probe", "*:*1*"}, bins},
		{"only a bad file", nil, []string{"/nonexistent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			debugDir := t.TempDir()
			run(append(append([]string{"dump", "--json", "--debug-dir", debugDir}, tc.flags...), tc.files...), &stdout, &stderr)

			// The reference: the whole document, encoded at once.
			opts := dumpOptions{json: true, layout: compiler.LayoutUsdtspec, probes: nil}
			opts.read.DebugDirs = []string{debugDir}
			for i := 0; i+1 < len(tc.flags); i += 2 {
				if tc.flags[i] == "--probe" {
					opts.probes = append(opts.probes, tc.flags[i+1])
				}
			}
			doc := jsonDoc{Files: []jsonFile{}}
			for _, name := range tc.files {
				f, err := compiler.OpenWithOptions(name, &opts.read)
				if err != nil {
					continue
				}
				doc.Files = append(doc.Files, toJSON(f, &opts))
			}
			var want bytes.Buffer
			bw := bufio.NewWriter(&want)
			enc := json.NewEncoder(bw)
			enc.SetIndent("", "  ")
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			bw.Flush()
			if diff := cmp.Diff(want.String(), stdout.String()); diff != "" {
				t.Errorf("streamed JSON differs from json.Encoder's (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAppendJSONString: dump's string quoting is encoding/json's, on the
// strings a hostile note can hold.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "<script>&amp;</script>",
		"\x00\x01\x1f\x7f", "\b\f\n\r\t", "\x1b]0;title\a", "\u2028\u2029",
		"héllo ☃ 𝄞", "\xff\xfe bad \xc3", "\xe2\x80", "\u202e reversed",
	} {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("<a href=\"x\">\x1b[2J\u2028\xff</a>")
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString(nil, s); string(got) != string(want) {
		t.Errorf("appendJSONString(%q) = %s, want encoding/json's %s", s, got, want)
	}
}

// TestDumpKeptEqualsReread: a file with few call sites is printed from
// the call sites its first pass kept; one with many is read again. Both
// paths must print the same bytes, table and JSON, filtered or not.
func TestDumpKeptEqualsReread(t *testing.T) {
	bins, err := filepath.Glob("../../testdata/bin/*")
	if err != nil || len(bins) < 3 {
		t.Fatalf("testdata/bin: %v (%d files)", err, len(bins))
	}
	dumpWith := func(kept int, args []string) string {
		t.Helper()
		defer func(old int) { keptCallSites = old }(keptCallSites)
		keptCallSites = kept
		var stdout, stderr bytes.Buffer
		run(append([]string{"dump", "--debug-dir", t.TempDir()}, args...), &stdout, &stderr)
		return stdout.String() + stderr.String()
	}
	for _, flags := range [][]string{nil, {"--json"}, {"--probe", "*:*1*"}, {"--json", "--probe", "*:*1*"}} {
		args := append(append([]string{}, flags...), bins...)
		kept, reread := dumpWith(1<<20, args), dumpWith(0, args)
		if !strings.Contains(kept, "call_sites") && !strings.Contains(kept, "call sites") {
			t.Fatalf("dump %v printed no file:\n%s", flags, kept)
		}
		if diff := cmp.Diff(reread, kept); diff != "" {
			t.Errorf("dump %v: kept call sites print differently from a second pass (-reread +kept):\n%s", flags, diff)
		}
	}
}
