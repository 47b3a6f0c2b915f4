// Command bench is `make bench`: it measures, in one run, usdtspec against
// its peers and writes the figures, with the commands that produced them
// and the kernel they ran on, to BENCHMARKS.md (-o):
//
//   - attach and detach of one probe with 1,000 call sites: usdt's
//     Manager.Attach and Link.Close (uprobe_multi) against libbpf 1.7's
//     bpf_program__attach_usdt and bpf_link__destroy (root);
//   - a 12-argument probe hit 1,000,000 times per run: nothing attached,
//     an empty BPF program, the floor (12 context loads at constant
//     offsets) and a program that fetches all 12 arguments with BPF_USDT,
//     built from the same source (hit.bpf.c) against usdtspec's
//     bpf/usdt.bpf.h and against libbpf 1.7's usdt.bpf.h (root);
//   - one program attached to every probe of a process that maps several
//     libraries with probes (testdata/procprobes.c, built by the bench,
//     and libstdc++): usdt's AttachProcess against libbpf's
//     bpf_program__attach_usdt per probe and file (root);
//   - `usdtspec dump` against `readelf -n --wide` on synthetic ELFs with
//     100,000 and 1,000,000 probes, and the largest files of the Debian
//     corpus in $CORPUS_DIR (by size and by probe count), when it is there.
//
// libbpf's side is internal/bench/libbpf (built by its build.sh against the
// libbpf 1.7 that internal/oracle/build.sh builds); the traced program is
// internal/bench/testdata/benchprobes.c. The Makefile's bench target builds
// both first.
//
//	go run ./internal/bench [-o BENCHMARKS.md] [-sections attach,hit,process,dump] [-n 5] [-hits 1000000] [-rounds 7] [-attach-runs 21] [-process-runs 9]
package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

type flags struct {
	runs        int
	tool        string
	dir         string
	out         string
	probes      string
	driver      string
	libbpfObj   string
	attachRuns  int
	processRuns int
	hits        int
	rounds      int
	sections    string
}

// traceSectionBegin starts the section make bench-trace writes.
const traceSectionBegin = "<!-- bench-trace: begin"

func main() {
	var fl flags
	flag.IntVar(&fl.runs, "n", 5, "runs per dump command; the median is reported")
	flag.StringVar(&fl.tool, "usdtspec", "bin/usdtspec", "usdtspec binary")
	flag.StringVar(&fl.dir, "dir", "build/bench", "where synthetic files are written")
	flag.StringVar(&fl.out, "o", "", "write the report (Markdown) to this file")
	flag.StringVar(&fl.probes, "probes", "build/bench/benchprobes", "internal/bench/testdata/benchprobes.c, built")
	flag.StringVar(&fl.driver, "libbpf", "build/bench/libbpfbench", "libbpf's side (internal/bench/libbpf/build.sh)")
	flag.StringVar(&fl.libbpfObj, "libbpf-obj", "build/bench/hit.libbpf.bpf.o", "hit.bpf.c built against libbpf's usdt.bpf.h")
	flag.IntVar(&fl.attachRuns, "attach-runs", 21, "timed attach/detach runs per side; the median is reported")
	flag.IntVar(&fl.processRuns, "process-runs", 9, "timed whole-process attach/detach runs per side; the median is reported")
	flag.IntVar(&fl.hits, "hits", 1_000_000, "probe hits per timed run")
	flag.IntVar(&fl.rounds, "rounds", 7, "timed runs of each per-hit state, interleaved; the median is reported")
	flag.StringVar(&fl.sections, "sections", "attach,hit,process,dump", "which figures: attach, hit, process, dump")
	flag.Parse()
	log.SetFlags(0)

	var md strings.Builder
	header(&md, fl)
	if os.Geteuid() != 0 {
		msg := "skipped: loading BPF and attaching uprobes needs root"
		fmt.Println("attach and per-hit figures:", msg)
		fmt.Fprintf(&md, "## Attach, detach and per-hit cost\n\n%s.\n\n", msg)
	} else if fl.has("attach") || fl.has("hit") || fl.has("process") {
		probeFigures(&md, fl)
	}
	if fl.has("dump") {
		dumpFigures(&md, fl)
	}
	if fl.out != "" {
		// make bench-trace's section (internal/bench/tracebench) is
		// its own: kept as it is, at the end.
		if old, err := os.ReadFile(fl.out); err == nil {
			if i := bytes.Index(old, []byte(traceSectionBegin)); i >= 0 {
				md.WriteString("\n")
				md.Write(old[i:])
			}
		}
		if err := os.WriteFile(fl.out, []byte(md.String()), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", fl.out)
	}
}

func (fl flags) has(section string) bool {
	return slices.Contains(strings.Split(fl.sections, ","), section)
}

func header(md *strings.Builder, fl flags) {
	kernel := strings.TrimSpace(output("uname", "-r"))
	fmt.Fprintf(md, "# Benchmarks\n\n")
	fmt.Fprintf(md, "Written by `make bench` (`go run ./internal/bench -o BENCHMARKS.md`) on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(md, "| | |\n|---|---|\n")
	fmt.Fprintf(md, "| kernel (`uname -r`) | `%s` |\n", kernel)
	fmt.Fprintf(md, "| CPU | %s, %d CPUs online, shared with other work while measuring: the ranges in brackets show how much a figure moves from run to run |\n", cpuModel(), runtime.NumCPU())
	fmt.Fprintf(md, "| Go | %s |\n", runtime.Version())
	if v, err := os.ReadFile(filepath.Join(filepath.Dir(fl.driver), "libbpf.version")); err == nil {
		fmt.Fprintf(md, "| libbpf | %s (Debian sid's source package, built by `internal/oracle/build.sh`) |\n", strings.TrimSpace(string(v)))
	}
	fmt.Fprintf(md, "\nEvery ratio against libbpf or readelf comes from the same run.\n\n")
	fmt.Println("kernel", kernel)
}

func output(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return string(b)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// probeFigures: attach/detach of 1,000 call sites, then the per-hit cost.
func probeFigures(md *strings.Builder, fl flags) {
	for _, f := range []string{fl.probes, fl.driver, fl.libbpfObj} {
		if _, err := os.Stat(f); err != nil {
			log.Fatalf("%v (make bench builds it)", err)
		}
	}
	o, err := loadOurs(fl.probes)
	if err != nil {
		log.Fatal(err)
	}
	defer o.coll.Close()
	lb := &libbpf{driver: fl.driver, obj: fl.libbpfObj, exe: fl.probes}
	if !o.m.UsesUprobeMulti() {
		log.Fatal("this kernel has no uprobe_multi links: the attach figures compare uprobe_multi attachments")
	}

	if fl.has("attach") {
		attachFigures(md, fl, o, lb)
	}
	if fl.has("hit") {
		hitFigures(md, fl, o, lb)
	}
	if fl.has("process") {
		processFigures(md, fl, lb)
	}
}

// attachFigures: (a) attach and detach, in three blocks per side, the
// sides alternating.
func attachFigures(md *strings.Builder, fl flags, o *ours, lb *libbpf) {
	const blocks = 3
	per := max(1, fl.attachRuns/blocks)
	var oa, od, la, ld []time.Duration
	var how string
	for range blocks {
		a, d, h, err := lb.attachTimes(per)
		if err != nil {
			log.Fatal(err)
		}
		la, ld, how = append(la, a...), append(ld, d...), h
		a, d, err = o.attachTimes(per)
		if err != nil {
			log.Fatal(err)
		}
		oa, od = append(oa, a...), append(od, d...)
	}
	fmt.Printf("attach 1000 sites: usdtspec %v, libbpf %v; detach: usdtspec %v, libbpf %v (medians of %d)\n",
		median(oa), median(la), median(od), median(ld), len(oa))
	fmt.Fprintf(md, "## Attach and detach: one probe, 1,000 call sites\n\n")
	fmt.Fprintf(md, "Probe `%s` of `%s` (built from `internal/bench/testdata/benchprobes.c`: 1,000 call sites from a macro loop, each with the argument `-8@%%rdi`), attached in every process (pid -1 for libbpf, 0 for usdt) with a BPF program that returns at once, then detached; no process of the file is running. Median of %d runs per side (%d blocks of %d, the sides alternating, each block after one untimed attach; range in brackets), wall time around the calls. Most of either time is the kernel's (registering and unregistering 1,000 uprobes, waiting for grace periods), which varies a lot from run to run on this shared machine.\n\n",
		sitesProbe, fl.probes, len(oa), blocks, per)
	rng := func(d []time.Duration) string {
		return fmt.Sprintf("%.1f–%.1f", float64(slices.Min(d))/1e6, float64(slices.Max(d))/1e6)
	}
	fmt.Fprintf(md, "| | attach | detach | how |\n|---|---:|---:|---|\n")
	fmt.Fprintf(md, "| usdtspec: `usdt.Manager.Attach`, `Link.Close` | %s (%s) | %s (%s) | uprobe_multi, 1 link, 1000 call sites |\n", ms(median(oa)), rng(oa), ms(median(od)), rng(od))
	fmt.Fprintf(md, "| libbpf: `bpf_program__attach_usdt`, `bpf_link__destroy` | %s (%s) | %s (%s) | %s |\n", ms(median(la)), rng(la), ms(median(ld)), rng(ld), how)
	fmt.Fprintf(md, "| libbpf / usdtspec | %.2fx | %.2fx | |\n\n", float64(median(la))/float64(median(oa)), float64(median(ld))/float64(median(od)))
	fmt.Fprintf(md, "Both attach times include computing the specs; libbpf's also reading the ELF file's notes, each time, where usdtspec's `Manager` reads a file once per version (device, inode, size, mtime) and reuses it, so its timed runs, after the untimed one, do not read the notes again (the whole-process figures below use a new `Manager` per run). Commands: `go run ./internal/bench` (usdtspec's side, in process); `%s attach %s %s bench sites %d` (libbpf's side, each block; the first run is the untimed one).\n\n",
		fl.driver, fl.libbpfObj, fl.probes, per+1)

}

// hitFigures: (b) the per-hit cost of bench:args12 in each state: first
// wall time per hit, then, with the kernel's BPF statistics on, the
// programs' own run time per hit.
func hitFigures(md *strings.Builder, fl flags, o *ours, lb *libbpf) {
	t, err := startTarget(fl.probes)
	if err != nil {
		log.Fatal(err)
	}
	defer t.stop()
	states := []struct {
		name string
		run  func() (hitResult, error)
	}{
		{"none", func() (hitResult, error) {
			d, err := t.fire("args12", fl.hits, args12Value)
			return hitResult{wall: float64(d) / float64(fl.hits)}, err
		}},
		{"usdtspec empty", func() (hitResult, error) { return o.hit(t, o.empty, fl.hits) }},
		{"floor", func() (hitResult, error) { return o.hit(t, o.ctxload, fl.hits) }},
		{"usdtspec decode", func() (hitResult, error) { return o.hit(t, o.decode, fl.hits) }},
		// The steps of usdtspec's decode12 (BPF run time only).
		{"step cookie", func() (hitResult, error) { return o.hit(t, o.coll.Programs["step_cookie"], fl.hits) }},
		{"step lookup", func() (hitResult, error) { return o.hit(t, o.coll.Programs["step_lookup"], fl.hits) }},
		{"step copy", func() (hitResult, error) { return o.hit(t, o.coll.Programs["step_copy"], fl.hits) }},
		{"step decode1", func() (hitResult, error) { return o.hit(t, o.coll.Programs["step_decode1"], fl.hits) }},
		{"step decode copied", func() (hitResult, error) {
			if o.copied == nil {
				return hitResult{}, nil
			}
			return o.copied.hit(t, o.copied.decode, fl.hits)
		}},
		{"libbpf empty", func() (hitResult, error) { return lb.hit(t, "empty", fl.hits) }},
		{"libbpf decode", func() (hitResult, error) { return lb.hit(t, "decode12", fl.hits) }},
	}
	// Warm the target up (page faults, frequency) before the timed rounds.
	if _, err := t.fire("args12", fl.hits/4, args12Value); err != nil {
		log.Fatal(err)
	}
	run := func(pass string, rounds int, stats bool) map[string][]hitResult {
		got := map[string][]hitResult{}
		for r := range rounds {
			for _, s := range states {
				if stats && s.name == "none" || !stats && strings.HasPrefix(s.name, "step ") {
					continue
				}
				res, err := s.run()
				if err != nil {
					log.Fatalf("%s: %v", s.name, err)
				}
				got[s.name] = append(got[s.name], res)
				fmt.Printf("%s round %d: %-16s %7.1f ns/hit wall, %6.1f ns/run in BPF\n", pass, r+1, s.name, res.wall, res.prog)
			}
		}
		return got
	}
	wall := run("wall", fl.rounds, false)
	// BPF_ENABLE_STATS: the kernel times every program run while the
	// returned fd is open (which costs a little per run, hence a pass
	// of its own).
	const bpfStatsRunTime = 0 // BPF_STATS_RUN_TIME
	statsFD, err := ebpf.EnableStats(bpfStatsRunTime)
	if err != nil {
		log.Fatalf("BPF_ENABLE_STATS: %v", err)
	}
	prog := run("stats", fl.rounds, true)
	statsFD.Close()

	pick := func(got map[string][]hitResult, name string, f func(hitResult) float64) []float64 {
		var v []float64
		for _, r := range got[name] {
			v = append(v, f(r))
		}
		return v
	}
	wallOf := func(r hitResult) float64 { return r.wall }
	progOf := func(r hitResult) float64 { return r.prog }
	med := func(v []float64) float64 {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	cell := func(v []float64, prec int) string {
		return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, med(v), prec, slices.Min(v), prec, slices.Max(v))
	}
	// The overhead per argument pairs each round's decode run with the
	// empty run of the same side just before it, then takes the median
	// over the rounds: the machine's drift between rounds moves both
	// alike.
	perArg := func(got map[string][]hitResult, state, base string, f func(hitResult) float64) []float64 {
		dec, emp := pick(got, state, f), pick(got, base, f)
		var d []float64
		for r := range dec {
			d = append(d, (dec[r]-emp[r])/12)
		}
		return d
	}
	type perArgs struct{ ours, lib, floor, above []float64 }
	per := func(got map[string][]hitResult, f func(hitResult) float64) perArgs {
		return perArgs{
			ours:  perArg(got, "usdtspec decode", "usdtspec empty", f),
			lib:   perArg(got, "libbpf decode", "libbpf empty", f),
			floor: perArg(got, "floor", "usdtspec empty", f),
			above: perArg(got, "usdtspec decode", "floor", f),
		}
	}
	pw, pp := per(wall, wallOf), per(prog, progOf)
	sizes := func(name string) string {
		if name == "libbpf" {
			return fmt.Sprintf("%d instructions (%d bytes of x86-64)", lb.xlated/8, lb.jited)
		}
		return progSize(o.decode)
	}

	fmt.Fprintf(md, "## Per hit: a 12-argument probe\n\n")
	fmt.Fprintf(md, "Probe `%s` of the same program: one call site with 12 arguments (`v`, `v+1`, …, `v+11`; gcc puts all 12 in registers: `-8@%%rdi -8@%%rax … -8@%%r12`), fired %d times in a loop by the program itself, which times the loop (`CLOCK_MONOTONIC`); ns per hit include the call of the noinline function around the probe. The uprobe is attached to that process only (its pid, both sides), through uprobe_multi. The BPF programs are `internal/bench/hit.bpf.c`, compiled twice: `empty` returns at once; `ctxload12`, the floor, loads the 12 registers straight from the context at constant offsets (what a decoder that knew the operands at compile time would do; no header involved) and stores them; `decode12` is `BPF_USDT(decode12, a0, …, a11)`, which fetches the 12 arguments as `bpf_usdt_arg` does and stores them the same way. Once built against usdtspec's `bpf/usdt.bpf.h` (bpf2go, `internal/bench/hit_bpfel.o`, loaded and attached through the `usdt` package), once against libbpf 1.7's own `usdt.bpf.h` (`%s`, loaded and attached by libbpf in `%s hit`). After each run the bench checks that every hit decoded all 12 arguments right.\n\n",
		args12Probe, fl.hits, fl.libbpfObj, fl.driver)
	how := "reads the context in place (the kernel, 6.17 or later, lets `bpf_rdonly_cast(ctx, 0)` make it untrusted memory that a variable offset may index; the verifier turns the kfunc call into a move)"
	if !o.ctxCast {
		how = "copies the context's registers to the stack once (this kernel, before 6.17, allows only constant offsets into the context, but a bounded variable one into the stack)"
	}
	fmt.Fprintf(md, "How each `decode12` fetches an argument, as the kernel runs it (`bpftool prog dump xlated`): libbpf's `BPF_USDT` calls its `bpf_usdt_arg` subprogram once per argument, which calls `bpf_get_attach_cookie`, looks the spec up again and reads the register with a `bpf_probe_read_kernel` call: three calls and returns per argument, %s in all. usdtspec's looks the spec up once per hit, %s, then fetches every argument as a register operand in straight-line code (per argument: its register offset, the register, shift and sign, extended by masks, its type folded into one check word), one branch per hit keeping the values; where some argument is not a register, an unrolled pass with a branch per argument fetches them again, any other operand kind through one subprogram: %s.\n\n",
		sizes("libbpf"), how, sizes("usdtspec"))
	fmt.Fprintf(md, "Two passes of %d rounds, the states interleaved in the order of the tables; medians, range in brackets. The overhead per argument is the median over the rounds of (decode − empty) / 12, each decode run paired with the empty run of the same side just before it; the floor's, (ctxload12 − empty) / 12, is what one context load and one store per argument cost.\n\n", fl.rounds)
	table := func(got map[string][]hitResult, f func(hitResult) float64, p perArgs, unit string, prec int, none bool) {
		fmt.Fprintf(md, "| %s | usdtspec | libbpf 1.7 |\n|---|---:|---:|\n", unit)
		if none {
			fmt.Fprintf(md, "| nothing attached | %s | %s |\n", cell(pick(got, "none", f), 1), cell(pick(got, "none", f), 1))
		}
		fmt.Fprintf(md, "| empty BPF program | %s | %s |\n", cell(pick(got, "usdtspec empty", f), prec), cell(pick(got, "libbpf empty", f), prec))
		fmt.Fprintf(md, "| floor: 12 context loads (`ctxload12`, the same program on both sides; run through usdt) | %s | |\n", cell(pick(got, "floor", f), prec))
		fmt.Fprintf(md, "| 12 arguments decoded | %s | %s |\n", cell(pick(got, "usdtspec decode", f), prec), cell(pick(got, "libbpf decode", f), prec))
		fmt.Fprintf(md, "| **decode overhead per argument**: (decode − empty) / 12 | **%s** | **%s** |\n", cell(p.ours, 1), cell(p.lib, 1))
		fmt.Fprintf(md, "| floor per argument: (ctxload12 − empty) / 12 | %s | |\n", cell(p.floor, 1))
		fmt.Fprintf(md, "| above the floor per argument: (decode − ctxload12) / 12 | %s | |\n\n", cell(p.above, 1))
	}
	fmt.Fprintf(md, "**Wall time per hit** (what the traced program pays), kernel BPF statistics off:\n\n")
	table(wall, wallOf, pw, "ns per hit", 0, true)
	fmt.Fprintf(md, "**BPF program run time per hit** (the kernel's own count, `BPF_ENABLE_STATS`: `run_time_ns / run_cnt` of each program; the uprobe's trap and return are outside it, so most of the machine's noise is too; the empty program's figure is mostly the statistics' own clock reads):\n\n")
	table(prog, progOf, pp, "ns per run", 1, false)
	// usdtspec's decode12 step by step, from the stats pass.
	fmt.Fprintf(md, "**usdtspec's `decode12` step by step** (BPF run time, the same pass; each program of `hit.bpf.c` does one step more than the one above; medians):\n\n")
	fmt.Fprintf(md, "| program | ns per run | the step |\n|---|---:|---:|\n")
	prev := 0.0
	for i, st := range []struct{ state, what string }{
		{"usdtspec empty", "`empty`: returns at once"},
		{"step cookie", "`step_cookie`: the spec id, a `bpf_get_attach_cookie` call"},
		{"step lookup", "`step_lookup`: and the spec's lookup in the array map (inlined)"},
		{"step decode1", "`step_decode1`: `BPF_USDT` with 1 argument (all of the above, and one argument)"},
		{"usdtspec decode", "`decode12`: `BPF_USDT` with 12 arguments"},
	} {
		v := med(pick(prog, st.state, progOf))
		step := ""
		if i > 0 {
			step = fmt.Sprintf("%+.1f", v-prev)
		}
		fmt.Fprintf(md, "| %s | %.1f | %s |\n", st.what, v, step)
		prev = v
	}
	copied := med(pick(prog, "step copy", progOf)) - med(pick(prog, "step lookup", progOf))
	decodeCopied := med(pick(prog, "step decode copied", progOf))
	further := (med(pick(prog, "usdtspec decode", progOf)) - med(pick(prog, "step decode1", progOf))) / 11
	fmt.Fprintf(md, "\nEach argument beyond the first costs usdtspec %.1f ns; the rest of its overhead is per hit, most of it the `bpf_get_attach_cookie` call, which libbpf's `bpf_usdt_arg` makes once per argument. ", further)
	if o.ctxCast {
		fmt.Fprintf(md, "On kernels before 6.17, `BPF_USDT` first copies the context's 19 registers to the stack: %+.1f ns per hit here (`step_copy`: `step_lookup` and the copy); the same `decode12` loaded to read from that copy (`usdt.Config.DisableContextCast`) runs %.1f ns, against %.1f reading the context in place, i.e. %.1f ns per argument over the empty program.\n\n",
			copied, decodeCopied, med(pick(prog, "usdtspec decode", progOf)), (decodeCopied-med(pick(prog, "usdtspec empty", progOf)))/12)
	} else {
		fmt.Fprintf(md, "Of that, the copy of the context's 19 registers to the stack (`step_copy`: `step_lookup` and the copy) costs %+.1f ns per hit; kernels from 6.17 on read the context in place instead.\n\n", copied)
	}
	fmt.Printf("usdtspec per further argument: %.1f ns of BPF run time\n", further)

	verdict := func(p perArgs) string {
		o, l := med(p.ours), med(p.lib)
		overlap := "the two sides' ranges overlap"
		if slices.Max(p.ours) < slices.Min(p.lib) {
			overlap = "the two sides' ranges do not overlap"
		}
		switch {
		case o <= 0:
			return "usdtspec's overhead is below what this run resolves; " + overlap
		case l/o >= 10:
			return fmt.Sprintf("libbpf's overhead per argument is **%.1fx** usdtspec's (usdtspec's is %.0f%% of libbpf's, %.1f ns above the floor of a context load): **met**; %s", l/o, 100*o/l, med(p.above), overlap)
		default:
			return fmt.Sprintf("libbpf's overhead per argument is **%.1fx** usdtspec's (usdtspec's is %.0f%% of libbpf's, %.1f ns above the floor of a context load): **not met**; %s", l/o, 100*o/l, med(p.above), overlap)
		}
	}
	fmt.Fprintf(md, "Target of issue 17: usdtspec's decode overhead per argument at most a tenth of libbpf's. Wall time: %s. BPF run time: %s.\n\n", verdict(pw), verdict(pp))
	fmt.Fprintf(md, "Commands: `go run ./internal/bench` (the target, usdtspec's side in process); `%s hit %s PROGRAM %s bench args12 PID` (libbpf's side, one process per run); the target reads `args12 %d %d` on stdin and prints the loop's ns. Why the ratio differs from machine to machine: see [docs/bench.md](docs/bench.md).\n\n",
		fl.driver, fl.libbpfObj, fl.probes, fl.hits, args12Value)
	fmt.Printf("per argument (ns, medians): wall usdtspec %.1f libbpf %.1f (%.2fx) floor %.1f; BPF run time usdtspec %.1f libbpf %.1f (%.2fx) floor %.1f\n",
		med(pw.ours), med(pw.lib), med(pw.lib)/med(pw.ours), med(pw.floor), med(pp.ours), med(pp.lib), med(pp.lib)/med(pp.ours), med(pp.floor))
}

// progSize: a loaded program's size as the kernel runs it.
func progSize(p *ebpf.Program) string {
	info, err := p.Info()
	if err != nil {
		return "?"
	}
	x, err1 := info.TranslatedSize()
	j, err2 := info.JitedSize()
	if err1 != nil || err2 != nil {
		return "?"
	}
	return fmt.Sprintf("%d instructions (%d bytes of x86-64)", x/8, j)
}

// dumpFigures times `usdtspec dump` against `readelf -n --wide`.
func dumpFigures(md *strings.Builder, fl flags) {
	if _, err := exec.LookPath("readelf"); err != nil {
		log.Fatal("readelf (binutils) is needed as the peer")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		log.Fatal("GNU time (/usr/bin/time, Debian package time) is needed to measure peak RSS")
	}
	if err := os.MkdirAll(fl.dir, 0o755); err != nil {
		log.Fatal(err)
	}
	var files []string
	for _, n := range []int{100_000, 1_000_000} {
		p := filepath.Join(fl.dir, fmt.Sprintf("synthetic-%d.elf", n))
		if err := os.WriteFile(p, synthetic(n), 0o644); err != nil {
			log.Fatal(err)
		}
		files = append(files, p)
	}
	files = append(files, corpusFiles(os.Getenv("CORPUS_DIR"))...)

	fmt.Fprintf(md, "## `usdtspec dump` against `readelf -n --wide`\n\n")
	fmt.Fprintf(md, "Each file dumped with `%s dump FILE`, `dump --json FILE` and with `readelf -n --wide FILE`, output to /dev/null, under GNU time for the peak RSS; median wall time of %d runs each (41 for a file whose commands take under 100 ms), the three commands taking turns, after one untimed round. The synthetic files (x86-64, every operand kind) are written by the bench; corpus files (the largest and the one with the most probes under `$CORPUS_DIR`, see `make corpus`) are used when there.\n\n", fl.tool, fl.runs)
	fmt.Fprintf(md, "| file | command | MB | probes | usdtspec | readelf | readelf / usdtspec | usdtspec RSS | readelf RSS | RSS usdtspec / readelf |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Printf("%-58s %9s %7s %12s %12s %7s %12s %12s\n", "file", "MB", "probes", "usdtspec", "readelf", "ratio", "usdtspec RSS", "readelf RSS")
	// Where a small file's time goes: the start of a Go program, then
	// the start of usdtspec, measured with the most-probed file.
	hello, err := buildHello(fl.dir)
	if err != nil {
		log.Fatal(err)
	}
	var helloT, startT time.Duration
	var helloRSS, startRSS int64
	type probedFile struct {
		path          string
		probes        int
		readelf, dump time.Duration
	}
	var mostProbed probedFile // of the corpus files
	// Part 1's memory target, on the file of a million call sites read
	// whole: the heap its File holds per call site, after a GC with it
	// alive, less the heap before.
	big := files[1]
	var perSite float64
	var bigSites int
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			log.Fatal(err)
		}
		var before, after runtime.MemStats
		if f == big {
			runtime.GC()
			runtime.ReadMemStats(&before)
		}
		cf, err := compiler.Open(f)
		if err != nil {
			log.Fatal(err)
		}
		if f == big {
			runtime.GC()
			runtime.ReadMemStats(&after)
			bigSites = len(cf.CallSites)
			perSite = float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc)) / float64(bigSites)
		}
		if !strings.HasPrefix(filepath.Base(f), "synthetic-") && len(cf.CallSites) > mostProbed.probes {
			mostProbed = probedFile{f, len(cf.CallSites), 0, 0}
		}
		modes := [][]string{{"dump"}, {"dump", "--json"}}
		// The start-up floor (a Go program that prints one line, then
		// usdtspec version) takes its turns with each file's commands.
		timed := timeCmds(fl.runs, [][]string{{"readelf", "-n", "--wide", f}, {fl.tool, "dump", f}, {fl.tool, "dump", "--json", f}, {hello}, {fl.tool, "version"}})
		if f == mostProbed.path || mostProbed.path == "" {
			helloT, helloRSS, startT, startRSS = timed[3].median, timed[3].rss, timed[4].median, timed[4].rss
		}
		peer, peerRSS := timed[0].median, timed[0].rss
		for i, mode := range modes {
			ours, rss := timed[1+i].median, timed[1+i].rss
			if f == mostProbed.path && i == 0 {
				mostProbed.readelf, mostProbed.dump = peer, ours
			}
			name := shorten(f) + " " + strings.Join(mode[1:], "")
			fmt.Printf("%-58s %9.1f %7d %12v %12v %6.2fx %9.1f MB %9.1f MB\n", name, float64(st.Size())/1e6, len(cf.CallSites),
				ours.Round(time.Microsecond), peer.Round(time.Microsecond), float64(peer)/float64(ours), float64(rss)/1024, float64(peerRSS)/1024)
			fmt.Fprintf(md, "| `%s` | `%s` | %.1f | %d | %s | %s | %.2fx | %.1f MB | %.1f MB | %.2fx |\n", shorten(f), strings.Join(mode, " "), float64(st.Size())/1e6, len(cf.CallSites),
				ms(ours), ms(peer), float64(peer)/float64(ours), float64(rss)/1024, float64(peerRSS)/1024, float64(rss)/float64(peerRSS))
		}
	}
	fmt.Println("ratio = readelf time / usdtspec time (above 1: usdtspec is faster); medians, output to /dev/null")
	fmt.Fprintf(md, "\nAbove 1, usdtspec is faster.\n\n")

	verdict := "met"
	if perSite > 300 {
		verdict = "**not met**"
	}
	fmt.Printf("compiler.Open %s: %.1f bytes of heap per call site\n", shorten(big), perSite)
	fmt.Fprintf(md, "Reading a file whole, `compiler.Open` on `%s` (%d call sites) holds %.1f bytes of heap per call site (the heap after a GC with the `File` alive, less the heap before; target of issue 17: at most 300): %s. Most of it is the `CallSite` structs themselves; their argument lists, instructions and strings are shared. `dump` does not hold them: it reads a file this size twice (`compiler.OpenStream`), printing in the second pass. Also `go test -bench 'BenchmarkOpen|BenchmarkStream' ./compiler` (heapB/site).\n\n",
		shorten(big), bigSites, perSite, verdict)

	fmt.Printf("start-up: Go program printing one line %v %.1f MB; usdtspec version %v %.1f MB\n", helloT.Round(time.Microsecond), float64(helloRSS)/1024, startT.Round(time.Microsecond), float64(startRSS)/1024)
	fmt.Fprintf(md, "Start-up, measured the same way, in the rounds of the most-probed file (or the last file): a Go program that prints one line (built by the bench with this Go) takes %s and %.1f MB; `%s version` %s and %.1f MB. Each dump row includes the latter; on a small file that is most of usdtspec's time and RSS, and the Go runtime's own share of it (the former) is about readelf's whole time on such a file.\n\n",
		ms(helloT), float64(helloRSS)/1024, fl.tool, ms(startT), float64(startRSS)/1024)
	if mostProbed.path == "" {
		return
	}
	fmt.Fprintf(md, "Target of issue 17: `dump` at most readelf's time on the corpus's largest and most-probed files. Where the time goes on the most-probed, `%s` (%d call sites: readelf %s, `dump` %s): before `main` runs, the Go runtime's own start (`runtime.schedinit`, whose CPU feature probe, `internal/cpu.Initialize`, executes `cpuid`, which this virtual machine traps; the cgroup CPU limit read for `GOMAXPROCS`) and the initialisers of the 80-odd packages the command links (cilium/ebpf's among them, which bring `encoding/xml`, `go/format` and `html/template`), with about 350 page faults against readelf's 120 for its whole run; then the dump itself: reading and compiling the call sites once (a file of at most 4096 call sites is printed from the ones the first pass kept), appending the output, and the fresh heap that takes (about half of the dump's own samples are in the allocator growing the heap: `perf record -g` of 200 runs, `perf stat` for the faults). `%s version` alone takes %s, %.0f%% of readelf's whole run on that file, which leaves %s for the dump's own work where it takes %s.\n",
		shorten(mostProbed.path), mostProbed.probes, ms(mostProbed.readelf), ms(mostProbed.dump), fl.tool, ms(startT), 100*float64(startT)/float64(mostProbed.readelf),
		ms(max(0, mostProbed.readelf-startT)), ms(max(0, mostProbed.dump-startT)))
}

// buildHello builds a Go program that prints one line, the floor of any
// Go command's start-up.
func buildHello(dir string) (string, error) {
	src, err := filepath.Abs(filepath.Join(dir, "hello"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n"), 0o644); err != nil {
		return "", err
	}
	exe := filepath.Join(src, "hello")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Dir, cmd.Stderr = src, os.Stderr
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w", exe, err)
	}
	return exe, nil
}

// timedCmd is a command's median wall time and largest peak RSS (KB).
type timedCmd struct {
	median time.Duration
	rss    int64
}

// timeCmds runs each command (name and arguments) with stdout to
// /dev/null, one untimed round and then n timed ones, the commands taking
// turns within each round so that a slow spell of this shared machine
// falls on all of them. Commands of under 100 ms get at least 41 rounds:
// a few runs of a few milliseconds each say little here. The RSS comes
// from GNU time, which forks the command itself: a child of this process
// would inherit this process's RSS high-water mark through exec.
func timeCmds(n int, cmds [][]string) []timedCmd {
	out, err := os.CreateTemp("", "bench-rss-")
	if err != nil {
		log.Fatal(err)
	}
	out.Close()
	defer os.Remove(out.Name())
	run := func(c []string) (time.Duration, int64) {
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", out.Name()}, c...)...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			log.Fatalf("%v: %v", c, err)
		}
		d := time.Since(start)
		b, _ := os.ReadFile(out.Name())
		kb, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return d, kb
	}
	slowest := time.Duration(0)
	for _, c := range cmds {
		d, _ := run(c)
		slowest = max(slowest, d)
	}
	if slowest < 100*time.Millisecond {
		n = max(n, 41)
	}
	times := make([][]time.Duration, len(cmds))
	res := make([]timedCmd, len(cmds))
	for range n {
		for i, c := range cmds {
			d, kb := run(c)
			times[i] = append(times[i], d)
			res[i].rss = max(res[i].rss, kb)
		}
	}
	for i := range res {
		res[i].median = median(times[i])
	}
	return res
}

// synthetic builds an x86-64 ELF with n call sites whose arguments use
// every operand kind.
func synthetic(n int) []byte {
	order := binary.LittleEndian
	args := []string{"-4@%edi 8@-8(%rbp)", "-2@(%rcx,%rdi,2) -4@$5 8@%rax", "8@16(%rsp) -1@%cl 4@%r8d -8@$-9", ""}
	var notes []byte
	base := uint64(0x402000)
	for i := range n {
		notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{
			PC: 0x401000 + uint64(i%0x1000), Base: base, Provider: "bench",
			Name: fmt.Sprintf("probe_%d", i%1000), Arguments: args[i%len(args)],
		})
	}
	f := elfbuild.File{Class: elf.ELFCLASS64, Order: order, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x1000, DataAddr: 0x404000, DataSize: 0x100, StapsdtBase: &base, Notes: notes}
	return f.Bytes()
}

// corpusFiles picks the largest corpus file and the one with the most
// probes among the architectures usdtspec supports.
func corpusFiles(dir string) []string {
	if dir == "" {
		return nil
	}
	var bySize, byProbes string
	var maxSize int64
	maxProbes := 0
	filepath.WalkDir(filepath.Join(dir, "x"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		f, err := compiler.Open(p)
		if err != nil || f.Arch == nil || len(f.CallSites) == 0 {
			return nil
		}
		info, _ := d.Info()
		if info.Size() > maxSize {
			maxSize, bySize = info.Size(), p
		}
		if len(f.CallSites) > maxProbes {
			maxProbes, byProbes = len(f.CallSites), p
		}
		return nil
	})
	if bySize == "" {
		fmt.Fprintf(os.Stderr, "no corpus under %s (make corpus); timing synthetic files only\n", dir)
		return nil
	}
	if bySize == byProbes {
		return []string{bySize}
	}
	return []string{bySize, byProbes}
}

func shorten(p string) string {
	if len(p) > 58 {
		return "…" + p[len(p)-57:]
	}
	return p
}
