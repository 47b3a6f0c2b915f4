package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/usdtspec/usdtspec/conformance"
)

const conformHelp = `Run conformance cases natively (root): attach a BPF program built on
bpf/usdt.bpf.h to every call site of every probe of EXECUTABLE and the
LIBRARY files, run the case, and compare each argument the BPF side decoded
with what the case printed. A case is a program whose probes print the
values they passed (conformance/doc.go). With --vm, the cases run in QEMU
guests instead, one per ARCH[:SUITE].

Exit status: 0 when no case failed, 1 otherwise, 2 for usage errors.`

func conform(args []string, stdout, stderr io.Writer) int {
	var (
		asJSON  bool
		list    string
		object  string
		timeout = conformance.DefaultTimeout.String()
		vms     []string
		// --consumer, --report: internal/consumer, cmd/usdtspec/consumer.go.
		consumers []string
		reportDir string
		vmo       = vmOptions{kernelDir: cacheDir("vm", "kernels"), rootDir: cacheDir("vm", "roots")}
	)
	fs := newFlags("conform", "[flags] EXECUTABLE [LIBRARY...]\n[flags] --cases LIST", conformHelp, []flagDef{
		{name: "json", usage: "print one JSON document instead of the report", value: &boolFlag{p: &asJSON}},
		{name: "cases", usage: "run the case executables listed in the file `LIST`, one per line, " +
			"relative to LIST's folder (# starts a comment); EXE.libs lists the libraries of EXE. " +
			"With --vm, {arch} in LIST is replaced by each guest's architecture " +
			"(build/conformance-{arch}/cases.list)", value: &stringFlag{p: &list}},
		{name: "bpf-object", usage: "load `FILE`, a build of conformance/conform.bpf.c, instead of the embedded one " +
			"(native runs only; e.g. built against libbpf's own usdt.bpf.h with -DCONFORM_LIBBPF_HEADER)", value: &stringFlag{p: &object}},
		{name: "timeout", usage: "kill a case, and every process of its process group, that runs longer than `DURATION` " +
			"(e.g. 30s, 2m), and fail it (native runs only; default " + conformance.DefaultTimeout.String() + ")", value: &stringFlag{p: &timeout}},
		{name: "consumer", usage: consumerFlagUsage, value: &listFlag{p: &consumers}},
		{name: "report", usage: reportFlagUsage, value: &stringFlag{p: &reportDir}},
		{heading: "VM flags (run the cases in QEMU guests instead of natively):"},
		{name: "vm", usage: "run the cases in one QEMU guest per `ARCH[:SUITE],...`: e.g. arm64, amd64:sid, " +
			"or a matrix, arm64,s390x,amd64:sid. Repeatable: the guests of every --vm are run", value: &listFlag{p: &vms}},
		{name: "kernel", usage: "the Debian `SUITE` of the guest kernel of every --vm entry without its own " +
			"(default: the architecture's first)", value: &stringFlag{p: &vmo.kernel}},
		{name: "vm-init", usage: "the guests' static init program (internal/vm/guestinit; `PATH` may contain " +
			"{goarch}, replaced by each guest's GOARCH; default: usdtspec-guestinit-linux-GOARCH " +
			"next to this executable)", value: &stringFlag{p: &vmo.init}},
		{name: "kernel-dir", usage: "the kernel cache `DIR` (default $USDTSPEC_CACHE/vm/kernels; USDTSPEC_CACHE: ~/.cache/usdtspec)", value: &stringFlag{p: &vmo.kernelDir}},
		{name: "root-dir", usage: "the `DIR` of private package roots, for guests whose QEMU or libraries " +
			"come from a newer Debian suite (loong64: sid's); made there on first use " +
			"(default $USDTSPEC_CACHE/vm/roots)", value: &stringFlag{p: &vmo.rootDir}},
		{name: "vm-keep", usage: "keep each VM's initramfs and console log in `DIR`", value: &stringFlag{p: &vmo.keep}},
	})
	files, status, done := fs.parse(args, stdout, stderr)
	if done {
		return status
	}
	vmo.vms = strings.Join(vms, ",")
	if vmo.vms == "" {
		for _, name := range []string{"kernel", "vm-init", "kernel-dir", "root-dir", "vm-keep"} {
			if fs.isSet(name) {
				return fs.usageError(stderr, "--%s needs --vm", name)
			}
		}
	}
	if reportDir != "" && len(consumers) == 0 {
		return fs.usageError(stderr, "--report needs --consumer")
	}
	if len(consumers) > 0 && (vmo.vms != "" || object != "") {
		return fs.usageError(stderr, "--consumer is for native runs, not with --vm or --bpf-object")
	}
	caseTimeout, err := time.ParseDuration(timeout)
	if err != nil || caseTimeout <= 0 {
		return fs.usageError(stderr, "--timeout %q: want a positive duration such as 30s or 2m", timeout)
	}
	var cases []conformance.Case
	switch {
	case list != "" && len(files) > 0:
		return fs.usageError(stderr, "--cases and EXECUTABLE are exclusive")
	case vmo.vms != "":
		if list == "" && len(files) == 0 {
			return fs.usageError(stderr, "no EXECUTABLE given")
		}
		if object != "" {
			return fs.usageError(stderr, "--bpf-object is for native runs only, not with --vm")
		}
		if fs.isSet("timeout") {
			return fs.usageError(stderr, "--timeout is for native runs only, not with --vm (a guest has its own timeout)")
		}
		return conformVMs(&vmo, list, files, asJSON, stdout, stderr)
	case list != "":
		var err error
		if cases, err = readCaseList(list); err != nil {
			fmt.Fprintf(stderr, "usdtspec conform: %v\n", err)
			return exitFailure
		}
	case len(files) > 0:
		cases = []conformance.Case{{Executable: files[0], Libraries: files[1:]}}
	default:
		return fs.usageError(stderr, "no EXECUTABLE given")
	}
	if len(consumers) > 0 {
		return conformConsumers(consumers, cases, reportDir, asJSON, stdout, stderr)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintf(stderr, "usdtspec conform: %v; run as root\n", conformance.ErrNotRoot)
		return exitFailure
	}

	// On SIGINT or SIGTERM, Run kills the running case's process group
	// (which a terminal's ^C does not reach: the case has a group of its
	// own) before the runner stops.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var results []*conformance.Result
	passed, failed, known := 0, 0, 0
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	for i, c := range cases {
		c.BPFObject, c.Timeout = object, caseTimeout
		r, err := conformance.Run(ctx, c)
		if ctx.Err() != nil {
			w.Flush()
			fmt.Fprintf(stderr, "usdtspec conform: interrupted during %s (case %d of %d); its processes were killed\n", c.Name(), i+1, len(cases))
			return exitFailure
		}
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
		if !asJSON {
			writeResult(w, r, status)
		}
	}
	if asJSON {
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
