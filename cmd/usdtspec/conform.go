package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/usdtspec/usdtspec/conformance"
)

const conformUsage = `usage: usdtspec conform [--json] [VM FLAGS] EXECUTABLE [LIBRARY...]
       usdtspec conform [--json] [VM FLAGS] --cases LIST

VM flags (run the cases in QEMU guests instead of natively):
  --vm ARCH[:SUITE][,ARCH[:SUITE]...]   e.g. arm64, amd64:sid, or a matrix
  --kernel SUITE      Debian suite of the guest kernel (default: the arch's first)
  --vm-init PATH      the guest's static init (default: usdtspec-guestinit-linux-GOARCH
                      next to this executable; {goarch} is replaced)
  --kernel-dir DIR    kernel cache (default .cache/vm/kernels)
  --root-dir DIR      private package roots, for guests whose QEMU or libraries
                      come from a newer Debian suite (loong64: sid's; default
                      .cache/vm/roots; made there on first use)
  --vm-keep DIR       keep each VM's initramfs and console log there
  --bpf-object FILE   load this build of conformance/conform.bpf.c instead of the
                      embedded one (native runs only; e.g. built against libbpf's
                      own usdt.bpf.h with -DCONFORM_LIBBPF_HEADER)
LIST may contain {arch} or {goarch}, replaced by each VM's architecture, or
{cases}, by the name of its conformance build (GOARCH; i386 for i386).
`

func conform(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print one JSON document")
	list := fs.String("cases", "", "file listing case executables, one per line (libraries in EXECUTABLE.libs)")
	object := fs.String("bpf-object", "", "conformance BPF program to load instead of the embedded one")
	var vmo vmOptions
	fs.StringVar(&vmo.vms, "vm", "", "run in QEMU guests: ARCH[:SUITE],...")
	fs.StringVar(&vmo.kernel, "kernel", "", "Debian suite of the guest kernel")
	fs.StringVar(&vmo.init, "vm-init", "", "the guest's static init program (internal/vm/guestinit)")
	fs.StringVar(&vmo.kernelDir, "kernel-dir", ".cache/vm/kernels", "kernel cache")
	fs.StringVar(&vmo.rootDir, "root-dir", ".cache/vm/roots", "private package roots")
	fs.StringVar(&vmo.keep, "vm-keep", "", "keep each VM's initramfs and console log in this folder")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			fmt.Fprintf(stderr, "usdtspec conform: %v\n%s", err, conformUsage)
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	var cases []conformance.Case
	switch {
	case *list != "" && len(files) > 0:
		fmt.Fprintf(stderr, "usdtspec conform: --cases and EXECUTABLE are exclusive\n%s", conformUsage)
		return exitUsage
	case vmo.vms != "":
		if *list == "" && len(files) == 0 {
			fmt.Fprintf(stderr, "usdtspec conform: no EXECUTABLE given\n%s", conformUsage)
			return exitUsage
		}
		return conformVMs(&vmo, *list, files, *asJSON, stdout, stderr)
	case vmo.kernel != "":
		fmt.Fprintf(stderr, "usdtspec conform: --kernel needs --vm\n%s", conformUsage)
		return exitUsage
	case *list != "":
		var err error
		if cases, err = readCaseList(*list); err != nil {
			fmt.Fprintf(stderr, "usdtspec conform: %v\n", err)
			return exitFailure
		}
	case len(files) > 0:
		cases = []conformance.Case{{Executable: files[0], Libraries: files[1:]}}
	default:
		fmt.Fprintf(stderr, "usdtspec conform: no EXECUTABLE given\n%s", conformUsage)
		return exitUsage
	}
	if os.Geteuid() != 0 {
		fmt.Fprintf(stderr, "usdtspec conform: %v; run as root\n", conformance.ErrNotRoot)
		return exitFailure
	}

	var results []*conformance.Result
	passed, failed, known := 0, 0, 0
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	for i, c := range cases {
		c.BPFObject = *object
		r, err := conformance.Run(context.Background(), c)
		if err != nil {
			r = conformance.FailedResult(c, err.Error())
		}
		results = append(results, r)
		status := "PASS"
		switch {
		case r.Passed:
			passed++
		case r.Known != "":
			known++
			status = "KNOWN FAILURE"
		default:
			failed++
			status = "FAIL"
		}
		if len(cases) > 1 {
			fmt.Fprintf(stderr, "[%d/%d] %-40s %s\n", i+1, len(cases), c.Name(), status)
		}
		if !*asJSON {
			writeResult(w, r, status)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"results": results, "passed": passed, "failed": failed, "known_failures": known})
	} else {
		if known > 0 {
			fmt.Fprintf(w, "known failures (not counted as passing):\n")
			for _, r := range results {
				if !r.Passed && r.Known != "" {
					fmt.Fprintf(w, "  %s: %s (%d mismatches)\n", r.Case, r.Known, len(r.Failures))
				}
			}
		}
		fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	}
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}

func writeResult(w io.Writer, r *conformance.Result, status string) {
	fmt.Fprintf(w, "%-13s %s: %d call sites, %d hits, %d lines, attach %v (%s)",
		status, r.Case, r.Sites, r.Hits, r.Lines, r.AttachTime, r.Mode)
	if len(r.Limits) > 0 {
		fmt.Fprintf(w, ", %d arguments at a hardware limit (not compared), e.g. %s", len(r.Limits), r.Limits[0])
	}
	fmt.Fprintln(w)
	const show = 20
	for i, f := range r.Failures {
		if i == show {
			fmt.Fprintf(w, "    ... %d more\n", len(r.Failures)-show)
			break
		}
		fmt.Fprintf(w, "    %s\n", f)
	}
}

// readCaseList reads executables, one per line, relative to the list's
// folder; EXE.libs lists the shared libraries of EXE.
func readCaseList(path string) ([]conformance.Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return filepath.Join(dir, p)
	}
	var cases []conformance.Case
	for _, ln := range strings.Split(string(data), "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" || strings.HasPrefix(ln, "#") {
			continue
		}
		c := conformance.Case{Executable: resolve(ln)}
		libs, err := os.ReadFile(c.Executable + ".libs")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, l := range strings.Fields(string(libs)) {
			c.Libraries = append(c.Libraries, resolve(l))
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s lists no cases", path)
	}
	return cases, nil
}
