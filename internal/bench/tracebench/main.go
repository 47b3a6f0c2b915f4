// Command tracebench is `make bench-trace`: 1,000,000 hits of one probe
// through `usdtspec trace --json -o FILE -- PROG` and through bpftrace
// printing the same argument (`bpftrace -o FILE -e 'usdt:PROG:bench:loop
// { printf(...) }' -c PROG`), and the hits per second each writes. Every
// run is checked: the hits written are the loop counters the program
// passed, in order, and written + dropped (as the tracer reports them)
// equals the hits the program fired. The figures replace the section
// between the markers below in BENCHMARKS.md (-o), or are appended.
//
// The program is internal/bench/testdata/traceloop.c, built here (gcc,
// static, so that the same file runs in bpftrace's Debian root). bpftrace
// is the host's, else sid's in the root `make peer-root` makes
// (-bpftrace-root). Root only.
//
//	go run ./internal/bench/tracebench [-o BENCHMARKS.md] [-n 1000000] [-runs 3]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	beginMarker = "<!-- bench-trace: begin (make bench-trace writes this section) -->"
	endMarker   = "<!-- bench-trace: end -->"
)

func main() {
	n := flag.Int("n", 1_000_000, "hits per run")
	runs := flag.Int("runs", 3, "runs per tracer, alternating; the median is reported")
	cli := flag.String("usdtspec", "bin/usdtspec", "usdtspec binary")
	src := flag.String("src", "internal/bench/testdata/traceloop.c", "the traced program's source")
	prog := flag.String("prog", "build/bench/traceloop", "where the traced program is built")
	btRoot := flag.String("bpftrace-root", filepath.Join(os.Getenv("USDTSPEC_CACHE"), "bpftrace/sid-root"), "Debian root with bpftrace, when the host has none")
	out := flag.String("o", "", "update the trace section of this Markdown file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("tracebench: ")
	if os.Geteuid() != 0 {
		fmt.Println("bench-trace: skipped: loading BPF and attaching uprobes needs root")
		return
	}
	exe, err := filepath.Abs(*prog)
	if err != nil {
		log.Fatal(err)
	}
	if err := buildLoop(*src, exe); err != nil {
		log.Fatal(err)
	}
	bt, err := findBpftrace(*btRoot)
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Dir(exe)

	// The program alone: how fast it fires with nothing attached.
	var bare result
	b, err := exec.Command(exe, strconv.Itoa(*n)).Output()
	if err != nil {
		log.Fatalf("%s: %v", exe, err)
	}
	if err := parseFired(b, &bare); err != nil {
		log.Fatal(err)
	}

	var ours, theirs []*result
	for i := range *runs {
		r, err := runUsdtspec(*cli, exe, *n, filepath.Join(dir, "trace-usdtspec.json"))
		if err != nil {
			log.Fatalf("usdtspec trace, run %d: %v", i+1, err)
		}
		ours = append(ours, r)
		fmt.Printf("usdtspec trace: %d fired, %d written, %d dropped, %.0f written/s, loop %.0f hits/s, %v\n",
			r.fired, r.written, r.dropped, r.rate(), r.loopRate(), r.wall.Round(time.Millisecond))
		r, err = runBpftrace(bt, exe, *n, filepath.Join(dir, "trace-bpftrace.txt"))
		if err != nil {
			log.Fatalf("bpftrace, run %d: %v", i+1, err)
		}
		theirs = append(theirs, r)
		fmt.Printf("bpftrace:       %d fired, %d written, %d dropped, %.0f written/s, loop %.0f hits/s, %v\n",
			r.fired, r.written, r.dropped, r.rate(), r.loopRate(), r.wall.Round(time.Millisecond))
	}
	os.Remove(filepath.Join(dir, "trace-usdtspec.json"))
	os.Remove(filepath.Join(dir, "trace-bpftrace.txt"))

	md := section(*n, *runs, *cli, *prog, bt.Version, bt.Root, &bare, ours, theirs)
	if *out == "" {
		fmt.Print(md)
		return
	}
	if err := replaceSection(*out, md); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote the trace section of", *out)
}

// med is the median of f over rs, with the range.
func med(rs []*result, f func(*result) float64) (m, lo, hi float64) {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2], v[0], v[len(v)-1]
}

func section(n, runs int, cli, prog, btVersion, btRoot string, bare *result, ours, theirs []*result) string {
	var md strings.Builder
	kernel, _ := exec.Command("uname", "-r").Output()
	fmt.Fprintf(&md, "%s\n## `usdtspec trace` and bpftrace: %s hits\n\n", beginMarker, thousands(n))
	fmt.Fprintf(&md, "Written by `make bench-trace` (`go run ./internal/bench/tracebench -o BENCHMARKS.md`) on %s; kernel `%s`, %s, %d CPUs online, shared with other work (the ranges in brackets show how much a figure moves from run to run); %s; %s%s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(string(kernel)), cpuModel(), runtime.NumCPU(), runtime.Version(), btVersion,
		map[bool]string{true: " (Debian sid's, in the root `make peer-root` makes)", false: " (the host's)"}[btRoot != ""])
	fmt.Fprintf(&md, "`%s` (from `internal/bench/testdata/traceloop.c`, gcc -O2, static) fires `%s` %s times from a noinline function, the loop counter as its one argument; alone it fires %.1f M hits/s. Each tracer starts it once attached and writes one line per hit to a file; the bench checks every line (the loop counters, in order) and that hits written + hits the tracer reports dropped = hits fired. Hits written per second run from the loop's first hit to the tracer's exit (firing, reading, formatting, writing; not start-up or attach). Median of %d runs per tracer, alternating, range in brackets.\n\n",
		prog, Probe, thousands(n), bare.loopRate()/1e6, runs)
	fmt.Fprintf(&md, "| | hits written | dropped (reported) | hits written per s | loop, traced: hits fired per s | wall time of the command |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, rs []*result) {
		w, wlo, whi := med(rs, func(r *result) float64 { return float64(r.written) })
		d, _, _ := med(rs, func(r *result) float64 { return float64(r.dropped) })
		rt, rlo, rhi := med(rs, (*result).rate)
		l, llo, lhi := med(rs, (*result).loopRate)
		wall, walllo, wallhi := med(rs, func(r *result) float64 { return r.wall.Seconds() })
		fmt.Fprintf(&md, "| %s | %.0f (%.0f–%.0f) | %.0f | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %.2f s (%.2f–%.2f) |\n",
			name, w, wlo, whi, d, rt, rlo, rhi, l, llo, lhi, wall, walllo, wallhi)
	}
	row("`usdtspec trace --json`", ours)
	row("bpftrace `printf(\"%lld\\n\", arg0)`", theirs)
	ow, _, _ := med(ours, (*result).rate)
	tw, _, _ := med(theirs, (*result).rate)
	od, _, _ := med(ours, func(r *result) float64 { return float64(r.dropped) })
	td, _, _ := med(theirs, func(r *result) float64 { return float64(r.dropped) })
	fmt.Fprintf(&md, "\nusdtspec trace writes %.2fx bpftrace's hits per second; it drops %.0f%% of the hits (median), bpftrace %.0f%%. Every drop is reported (usdtspec: the summary line, and exit status 1).\n",
		ow/tw, 100*od/float64(n), 100*td/float64(n))
	fmt.Fprintf(&md, "\nCommands: `%s trace --json -o FILE %s -- %s %d`; `bpftrace -o FILE -e 'usdt:%s:%s { printf(\"%%lld\\n\", arg0); }' -c '%s %d'`.\n\n%s\n",
		cli, Probe, prog, n, prog, Probe, prog, n, endMarker)
	return md.String()
}

// cpuModel is /proc/cpuinfo's first model name.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// thousands writes n with commas: 1,000,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// replaceSection puts md between the markers of file, or at its end.
func replaceSection(file, md string) error {
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + md + strings.TrimPrefix(s[j+len(endMarker):], "\n")
	default:
		if s != "" && !strings.HasSuffix(s, "\n\n") {
			s = strings.TrimRight(s, "\n") + "\n\n"
		}
		s += md
	}
	return os.WriteFile(file, []byte(s), 0o644)
}
