// Package oracle asks libbpf itself which spec it builds for each call site
// of a USDT probe, so that usdtspec's specs can be compared with libbpf's
// byte for byte (the differential test in this package).
//
// The harness is a small C program (oracle.c, oracle.bpf.c) linked with a
// libbpf built from Debian's source package by build.sh, one build per
// Debian suite: sid's libbpf 1.7 (the v1.7 spec layout) and bookworm's 1.1
// (the v1.6 layout). It attaches an empty program with
// bpf_program__attach_usdt for each probe, reads the call sites and spec
// ids back from the kernel's link info and the specs from libbpf's spec
// map, and detaches. Running it needs root.
package oracle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Harness is one build of the oracle: build.sh's output for one suite.
type Harness struct {
	Suite   string // "sid"
	Version string // the libbpf source package's version: "1.7.0-1"
	Program string // the oracle executable
	Object  string // its BPF object
}

// ErrNoHarness: the oracle for a suite is not built.
var ErrNoHarness = errors.New("oracle not built (make oracle)")

// Find returns the harness build.sh made in dir for suite.
func Find(dir, suite string) (*Harness, error) {
	h := &Harness{
		Suite:   suite,
		Program: filepath.Join(dir, suite, "oracle"),
		Object:  filepath.Join(dir, suite, "oracle.bpf.o"),
	}
	v, err := os.ReadFile(filepath.Join(dir, suite, "version"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoHarness, err)
	}
	h.Version = strings.TrimSpace(string(v))
	for _, f := range []string{h.Program, h.Object} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoHarness, err)
		}
	}
	return h, nil
}

// Report is what libbpf made of a binary's probes.
type Report struct {
	Version  string // libbpf's own MAJOR.MINOR
	SpecSize int    // the spec map's value size
	Probes   []Probe
}

// Probe is libbpf's verdict on one probe (every call site of a
// provider:name): its sites and specs, or the error it attached with.
type Probe struct {
	Provider, Name string
	Sites          []Site
	Specs          map[uint64][]byte // by spec id
	Errno          int               // when libbpf rejected the probe
	Error          string            // libbpf's warnings, or strerror
}

// Rejected reports whether libbpf refused to attach the probe.
func (p *Probe) Rejected() bool { return p.Error != "" }

// Site is one call site as the kernel holds it after libbpf attached it.
type Site struct {
	Offset       uint64 // uprobe offset in the file
	RefCtrOffset uint64 // semaphore's file offset, 0 if none
	SpecID       uint64 // the BPF cookie: the key of the site's spec
}

// Run runs the harness on binary for probes ("provider:name" each).
func (h *Harness) Run(ctx context.Context, binary string, probes []string) (*Report, error) {
	cmd := exec.CommandContext(ctx, h.Program, append([]string{h.Object, binary}, probes...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("oracle %s on %s: %w: %s", h.Suite, binary, err, bytes.TrimSpace(stderr.Bytes()))
	}
	r, err := Parse(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("oracle %s on %s: %w", h.Suite, binary, err)
	}
	if len(r.Probes) != len(probes) {
		return nil, fmt.Errorf("oracle %s on %s: %d probes asked, %d answered", h.Suite, binary, len(probes), len(r.Probes))
	}
	return r, nil
}

// ErrOutput: the harness printed something Parse does not understand.
var ErrOutput = errors.New("malformed oracle output")

// Parse reads the harness's output (see oracle.c).
func Parse(rd io.Reader) (*Report, error) {
	r := &Report{}
	sc := bufio.NewScanner(rd)
	sc.Buffer(nil, 1<<20)
	line := 0
	bad := func(why string) error {
		return fmt.Errorf("%w: line %d: %s", ErrOutput, line, why)
	}
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		var cur *Probe
		if n := len(r.Probes); n > 0 {
			cur = &r.Probes[n-1]
		}
		switch {
		case f[0] == "libbpf" && len(f) == 3:
			r.Version = f[1]
			n, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, bad(err.Error())
			}
			r.SpecSize = n
		case f[0] == "probe" && len(f) == 3:
			r.Probes = append(r.Probes, Probe{Provider: f[1], Name: f[2], Specs: map[uint64][]byte{}})
		case cur == nil:
			return nil, bad("record before the first probe")
		case f[0] == "site" && len(f) == 4:
			var s Site
			var err1, err2, err3 error
			s.Offset, err1 = strconv.ParseUint(f[1], 0, 64)
			s.RefCtrOffset, err2 = strconv.ParseUint(f[2], 0, 64)
			s.SpecID, err3 = strconv.ParseUint(f[3], 10, 64)
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, bad(err.Error())
			}
			cur.Sites = append(cur.Sites, s)
		case f[0] == "spec" && len(f) == 3:
			id, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return nil, bad(err.Error())
			}
			b, err := hex.DecodeString(f[2])
			if err != nil {
				return nil, bad(fmt.Sprintf("spec %d: %s", id, f[2]))
			}
			cur.Specs[id] = b
		case f[0] == "error" && len(f) == 3:
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, bad(err.Error())
			}
			cur.Errno, cur.Error = n, f[2]
		default:
			return nil, bad(fmt.Sprintf("%q", sc.Text()))
		}
	}
	return r, sc.Err()
}
