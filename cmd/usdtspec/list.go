package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/usdt"
)

const listHelp = `List the USDT probes of each FILE, one line per probe (PROVIDER:NAME): the
file, the probe, how many call sites it has (places in the code where it
fires), its argument count, and whether it has a semaphore (a counter the
program checks before it prepares the arguments; attaching raises it).
A FILE may be a path or a short name: a library as the dynamic loader finds
it ("libc.so.6", "libc"), a program in $PATH ("python3").

With -p PID: every file the process has mapped (its executable and
libraries, read through /proc/PID/root, so containers work), or only the
FILEs named, resolved against what the process maps first.

Exit status: 0 when every file was read, 1 when a file or process could not
be read (the others are still listed), 2 for usage errors.

JSON (--json): {"probes": [PROBE...]}, each with file, provider, name,
call_sites, arg_counts (the distinct argument counts of its call sites,
usually one), semaphore (true or false); and pid with -p.`

type listedProbe struct {
	File      string `json:"file"`
	PID       int    `json:"pid,omitempty"`
	Provider  string `json:"provider"`
	Name      string `json:"name"`
	CallSites int    `json:"call_sites"`
	ArgCounts []int  `json:"arg_counts"`
	Semaphore bool   `json:"semaphore"`
}

// listTarget is a file to list: the path it is shown as, and the path
// that opens it.
type listTarget struct{ show, open string }

func list(args []string, stdout, stderr io.Writer) int {
	var (
		asJSON  bool
		pidText string
		probes  []string
		dirs    []string
	)
	fs := newFlags("list", "[flags] [FILE|LIBNAME...]", listHelp, []flagDef{
		{name: "json", usage: "print one JSON document (keys below) instead of the table", value: &boolFlag{p: &asJSON}},
		{name: "p", usage: "list the files process `PID` has mapped", value: &stringFlag{p: &pidText}},
		{name: "probe", usage: "only probe `PROVIDER:NAME`; each part may be a path.Match glob. " +
			"Repeatable: a probe matching any is listed", value: &listFlag{p: &probes}},
		{name: "debug-dir", usage: "look for separate debug files in `DIR` (repeatable; default /usr/lib/debug)", value: &listFlag{p: &dirs}},
	})
	names, status, done := fs.parse(args, stdout, stderr)
	if done {
		return status
	}
	pid := 0
	if pidText != "" {
		var err error
		if pid, err = strconv.Atoi(pidText); err != nil || pid <= 0 {
			return fs.usageError(stderr, "-p: %q is not a process id", pidText)
		}
	}
	if pid == 0 && len(names) == 0 {
		return fs.usageError(stderr, "no FILE and no -p PID given")
	}
	for _, p := range probes {
		if err := compiler.CheckProbePattern(p); err != nil {
			return fs.usageError(stderr, "--probe: %v", err)
		}
	}

	var targets []listTarget
	switch {
	case len(names) > 0:
		for _, name := range names {
			path, err := usdt.Resolve(name, pid)
			if err != nil {
				fmt.Fprintf(stderr, "usdtspec list: %v\n", err)
				status = exitFailure
				continue
			}
			show := path
			if pid > 0 {
				show = strings.TrimPrefix(path, fmt.Sprintf("/proc/%d/root", pid))
			}
			targets = append(targets, listTarget{show, path})
		}
	default:
		files, err := usdt.ProcessFiles(pid)
		if err != nil {
			fmt.Fprintf(stderr, "usdtspec list: %v\n", err)
			return exitFailure
		}
		for _, f := range files {
			targets = append(targets, listTarget{f.Path, f.Open})
		}
	}

	var out []listedProbe
	for _, t := range targets {
		f, err := compiler.OpenWithOptions(t.open, &compiler.Options{DebugDirs: dirs})
		if err != nil {
			fmt.Fprintf(stderr, "usdtspec list: %s: %v\n", t.show, err)
			status = exitFailure
			continue
		}
		out = append(out, probesOf(f, t.show, pid, probes)...)
	}

	if len(out) == 0 && status == exitOK {
		fmt.Fprintf(stderr, "usdtspec list: no USDT probes%s in %d files\n", map[bool]string{false: "", true: " matching --probe"}[len(probes) > 0], len(targets))
	}
	w := bufio.NewWriter(stdout)
	if asJSON {
		if out == nil {
			out = []listedProbe{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"probes": out})
	} else if len(out) > 0 {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tPROBE\tCALL SITES\tARGS\tSEMAPHORE")
		for _, p := range out {
			counts := make([]string, len(p.ArgCounts))
			for i, n := range p.ArgCounts {
				counts[i] = strconv.Itoa(n)
			}
			fmt.Fprintf(tw, "%s\t%s:%s\t%d\t%s\t%s\n", printable(p.File), printable(p.Provider), printable(p.Name),
				p.CallSites, strings.Join(counts, ","), map[bool]string{false: "no", true: "yes"}[p.Semaphore])
		}
		tw.Flush()
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "usdtspec list: write error: %v\n", err)
		return exitFailure
	}
	return status
}

// probesOf groups a file's call sites by probe, in note order.
func probesOf(f *compiler.File, show string, pid int, patterns []string) []listedProbe {
	var out []listedProbe
	index := map[string]int{}
	for i := range f.CallSites {
		s := &f.CallSites[i]
		if len(patterns) > 0 && !slices.ContainsFunc(patterns, s.Matches) {
			continue
		}
		key := s.Provider + ":" + s.Name
		j, ok := index[key]
		if !ok {
			j = len(out)
			index[key] = j
			out = append(out, listedProbe{File: show, PID: pid, Provider: s.Provider, Name: s.Name, ArgCounts: []int{}})
		}
		p := &out[j]
		p.CallSites++
		n := len(s.Arguments)
		if !slices.Contains(p.ArgCounts, n) {
			p.ArgCounts = append(p.ArgCounts, n)
			slices.Sort(p.ArgCounts)
		}
		p.Semaphore = p.Semaphore || s.Semaphore != 0
	}
	return out
}

// printable quotes a string from a file when it holds anything but
// printable text, so that a crafted note cannot drive the terminal: the
// C0 and C1 controls (ESC, CSI, BEL, CR, LF), bidirectional overrides,
// and bytes that are not UTF-8 (a lone 0x9b is CSI to a terminal not in
// UTF-8 mode) come out as Go escapes, \x1b, \u202e, \x9b. Used by
// every table of list and dump; JSON escapes by itself.
func printable(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) || r == '\t' {
			return strconv.Quote(s)
		}
	}
	return s
}
