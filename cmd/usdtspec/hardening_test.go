package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usdtspec/usdtspec/internal/elfbuild"
	"github.com/usdtspec/usdtspec/internal/malformed"
)

// controls are what a crafted note may hold to drive a terminal: OSC 0
// (sets the window title), erase display, carriage return, line feed, an
// 8-bit CSI (not UTF-8), a right-to-left override.
var controls = []string{"\x1b]0;owned\a", "\x1b[2J", "\r", "\n", "\x9b31m", "\u202e"}

// TestTablesEscapeControls: provider, name and argument strings from a
// note reach the human-readable tables of dump and list only escaped (as
// Go quotes them), never as raw control characters; the JSON keeps them
// exact, JSON-escaped.
func TestTablesEscapeControls(t *testing.T) {
	var notes []byte
	for _, c := range controls {
		notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, binary.LittleEndian, elfbuild.Note{PC: 0x401010,
			Provider: "p" + c, Name: "n" + c, Arguments: "-4@%edi " + c + "x 8@sym" + c + "(%rip)"})
	}
	fb := elfbuild.File{Class: elf.ELFCLASS64, Order: binary.LittleEndian, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x100, DataAddr: 0x404000, DataSize: 0x10, Notes: notes}
	path := filepath.Join(t.TempDir(), "evil.elf")
	if err := os.WriteFile(path, fb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	noDebug := "--debug-dir=" + t.TempDir()

	for _, args := range [][]string{{"dump", noDebug, path}, {"list", noDebug, path}} {
		var stdout, stderr bytes.Buffer
		if status := run(args, &stdout, &stderr); status != exitOK {
			t.Fatalf("%v: status %d\n%s", args, status, stderr.String())
		}
		for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
			for _, line := range strings.Split(out, "\n") {
				for _, r := range line {
					if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u202e' || r == 0xfffd {
						t.Fatalf("%v: %s has control %U in %q", args, name, r, line)
					}
				}
			}
		}
		for _, want := range []string{`"p\x1b]0;owned\a":"n\x1b]0;owned\a"`, `"p\x1b[2J":"n\x1b[2J"`, `"p\r":"n\r"`, `"p\n":"n\n"`, `"p\x9b31m":"n\x9b31m"`, `"p\u202e":"n\u202e"`} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%v: no %s in\n%s", args, want, stdout.String())
			}
		}
		if args[0] == "dump" && !strings.Contains(stdout.String(), `    args: "-4@%edi \x1b[2Jx 8@sym\x1b[2J(%rip)"`) {
			t.Errorf("dump: argument string not escaped:\n%s", stdout.String())
		}
	}

	// JSON: the exact strings, control characters escaped by JSON.
	var stdout, stderr bytes.Buffer
	if status := run([]string{"dump", "--json", noDebug, path}, &stdout, &stderr); status != exitOK {
		t.Fatalf("dump --json: status %d\n%s", status, stderr.String())
	}
	if bytes.ContainsAny(stdout.Bytes(), "\x1b\r\a") {
		t.Errorf("dump --json: raw control characters in\n%s", stdout.String())
	}
	var doc jsonDoc
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for i, c := range controls[:4] { // the valid UTF-8 ones survive JSON exactly
		if got := doc.Files[0].CallSites[i].Provider; got != "p"+c {
			t.Errorf("JSON provider %q, want %q", got, "p"+c)
		}
	}
}

// TestDumpMalformedCorpus: dump (table and JSON) and list over every
// variant of internal/malformed, in bounded time each; errors are fine,
// panics are not. (compiler's TestMalformedCorpus bounds memory too.)
func TestDumpMalformedCorpus(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "case")
	noDebug := "--debug-dir=" + dir
	n := 0
	for _, base := range malformed.Bases() {
		for _, c := range append([]malformed.Case{base}, malformed.Variants(base)...) {
			if err := os.WriteFile(path, c.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			// The table for every case; JSON and list take turns, which
			// keeps the test to a few seconds on a shared machine.
			cmds := [][]string{{"dump", noDebug, path}, {"dump", "--json", noDebug, path}}
			if n%2 == 1 {
				cmds[1] = []string{"list", noDebug, path}
			}
			for _, args := range cmds {
				var stdout, stderr bytes.Buffer
				status := run(args, &stdout, &stderr)
				if status != exitOK && status != exitFailure {
					t.Errorf("%s: %v: status %d", c.Name, args, status)
				}
				if args[1] == "--json" && status == exitOK && !json.Valid(stdout.Bytes()) {
					t.Errorf("%s: dump --json: invalid JSON", c.Name)
				}
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s: %v, want under 2s", c.Name, d)
			}
			n++
		}
	}
	t.Logf("%d cases", n)
}
