package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/conformance"
	"github.com/usdtspec/usdtspec/internal/vm"
)

type vmOptions struct {
	vms, kernel, init, kernelDir, rootDir, keep string
}

type vmTarget struct {
	arch  string
	suite string
}

func parseVMs(s, defaultSuite string) ([]vmTarget, error) {
	var out []vmTarget
	for _, item := range strings.Split(s, ",") {
		a, suite, _ := strings.Cut(strings.TrimSpace(item), ":")
		if suite == "" {
			suite = defaultSuite
		}
		if compiler.ArchNamed(a) == nil {
			return nil, fmt.Errorf("unknown architecture %q", a)
		}
		if vm.MachineFor(a) == nil {
			return nil, fmt.Errorf("%s: %w", a, vm.ErrNoVM)
		}
		out = append(out, vmTarget{a, suite})
	}
	return out, nil
}

// conformVMs runs the cases in one QEMU guest per --vm entry, then prints
// one row per VM and the total.
func conformVMs(o *vmOptions, list string, files []string, asJSON bool, stdout, stderr io.Writer) int {
	targets, err := parseVMs(o.vms, o.kernel)
	if err != nil {
		fmt.Fprintf(stderr, "usdtspec conform: --vm: %v\n", err)
		return exitUsage
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	type row struct {
		Arch, Suite           string
		Passed, Failed, Known int
		Seconds               float64
		Error                 string                `json:",omitempty"`
		Results               []*conformance.Result `json:",omitempty"`
	}
	var rows []row
	status := exitOK
	for _, t := range targets {
		r := row{Arch: t.arch, Suite: t.suite}
		rep, err := runVM(o, vm.MachineFor(t.arch), t.suite, list, files, stderr)
		if rep != nil {
			r.Passed, r.Failed, r.Known = rep.Counts()
			r.Seconds = rep.Elapsed.Seconds()
			r.Suite = rep.Suite
			r.Results = rep.Results
		}
		if err != nil {
			r.Error = err.Error()
			status = exitFailure
			fmt.Fprintf(stderr, "usdtspec conform: %v\n", err)
			if rep != nil && len(rep.Tail) > 0 {
				fmt.Fprintf(stderr, "--- console tail (%s %s) ---\n%s\n---\n", t.arch, rep.Suite, strings.Join(rep.Tail, "\n"))
			}
		}
		if r.Failed > 0 {
			status = exitFailure
		}
		if !asJSON && rep != nil {
			for _, res := range rep.Results {
				if !res.Passed {
					st := "FAIL"
					if res.Known != "" {
						st = "KNOWN FAILURE"
					}
					writeResult(w, res, st+" ["+t.arch+" "+rep.Suite+"]")
				}
			}
		}
		rows = append(rows, r)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"vms": rows})
		return status
	}
	tp, tf := 0, 0
	fmt.Fprintf(w, "%-8s %-9s %7s %7s %7s %8s  %s\n", "arch", "kernel", "passed", "failed", "known", "seconds", "error")
	for _, r := range rows {
		fmt.Fprintf(w, "%-8s %-9s %7d %7d %7d %8.1f  %s\n", r.Arch, r.Suite, r.Passed, r.Failed, r.Known, r.Seconds, r.Error)
		tp += r.Passed
		tf += r.Failed
		if r.Error != "" && r.Failed == 0 {
			tf++ // a VM that did not finish is a failure even with no case result
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", tp, tf)
	return status
}

func runVM(o *vmOptions, m *vm.Machine, suite, list string, files []string, stderr io.Writer) (*vm.Report, error) {
	var cases []conformance.Case
	if list != "" {
		var err error
		// The cases cross-built for a guest are named by its architecture:
		// build/conformance-{arch}/cases.list.
		path := strings.ReplaceAll(list, "{arch}", m.Arch)
		if cases, err = readCaseList(path); err != nil {
			return nil, err
		}
	} else {
		cases = []conformance.Case{{Executable: files[0], Libraries: files[1:]}}
	}
	init := o.init
	if init == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		init = filepath.Join(filepath.Dir(self), "usdtspec-guestinit-linux-{goarch}")
	}
	init = strings.ReplaceAll(init, "{goarch}", m.GOARCH)
	if _, err := os.Stat(init); err != nil {
		return nil, fmt.Errorf("guest init for %s: %w (build it with `make vm-init`, or pass --vm-init)", m.Arch, err)
	}
	ctx := context.Background()
	kernel, err := vm.Kernel(ctx, o.kernelDir, m, suite, stderr)
	if err != nil {
		return nil, err
	}
	root, err := vm.Root(ctx, o.rootDir, m, stderr)
	if err != nil {
		return nil, err
	}
	if o.keep != "" {
		if err := os.MkdirAll(o.keep, 0o755); err != nil {
			return nil, err
		}
	}
	return vm.Run(ctx, vm.Config{Machine: m, Suite: suite, Kernel: kernel, Init: init, Cases: cases, Progress: stderr, WorkDir: o.keep, Root: root})
}
