package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/usdt"
)

// procSource is the traced process of the process section, built by the
// bench (see its comment).
const procSource = "internal/bench/testdata/procprobes.c"

// procProbes is a running procprobes, waiting on stdin.
type procProbes struct {
	cmd   *exec.Cmd
	in    io.WriteCloser // held open: the process waits for its EOF
	files []procFile     // its mapped files with probes
	sites int            // call sites in them
	list  string         // "PATH PROVIDER NAME" per probe, for libbpfbench
	lines int
}

type procFile struct {
	path          string
	probes, sites int
}

// buildProcProbes builds the three libraries and the executable of
// procprobes.c into dir.
func buildProcProbes(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	gcc := func(args ...string) error {
		cmd := exec.Command("gcc", append([]string{"-O2", "-g0", "-Wall", "-fno-ident"}, args...)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		return nil
	}
	for _, l := range []string{"A", "B", "C"} {
		if err := gcc("-fPIC", "-shared", "-DLIB", "-DPROV=proc"+l, "-o", filepath.Join(dir, "libproc"+l+".so"), procSource); err != nil {
			return "", err
		}
	}
	exe := filepath.Join(dir, "procprobes")
	err := gcc("-fPIE", "-pie", "-DPROV=procmain", "-o", exe, procSource, "-L"+dir, "-lprocA", "-lprocB", "-lprocC",
		"-Wl,-rpath,$ORIGIN", "-Wl,--no-as-needed", "-lstdc++")
	return exe, err
}

// startProcProbes starts exe and lists the probes of the files it maps.
func startProcProbes(exe, dir string) (*procProbes, error) {
	cmd := exec.Command(exe)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &procProbes{cmd: cmd, in: in}
	// The loader maps the libraries before main reads stdin; wait for
	// them to show in /proc/PID/maps.
	var files []usdt.MappedFile
	for range 100 {
		var err error
		if files, err = usdt.ProcessFiles(cmd.Process.Pid); err != nil {
			p.stop()
			return nil, err
		}
		if slices.ContainsFunc(files, func(f usdt.MappedFile) bool { return strings.Contains(f.Path, "libstdc++") }) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var list strings.Builder
	for _, mf := range files {
		f, err := compiler.Open(mf.Open)
		if err != nil || f.Arch == nil || len(f.CallSites) == 0 {
			continue
		}
		var probes []string
		for _, s := range f.CallSites {
			probes = append(probes, s.Provider+" "+s.Name)
		}
		slices.Sort(probes)
		probes = slices.Compact(probes)
		for _, pr := range probes {
			fmt.Fprintf(&list, "%s %s\n", mf.Path, pr)
		}
		p.files = append(p.files, procFile{path: mf.Path, probes: len(probes), sites: len(f.CallSites)})
		p.sites += len(f.CallSites)
		p.lines += len(probes)
	}
	p.list = filepath.Join(dir, "procprobes.list")
	if err := os.WriteFile(p.list, []byte(list.String()), 0o644); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop closes its stdin: it fires every call site once and exits.
func (p *procProbes) stop() {
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		log.Printf("%s: %v", p.cmd.Path, err)
	}
}

// processPause comes before each attach, on both sides (libbpfbench.c's
// PROCESS_PAUSE_US): a detach leaves the kernel's rcu_sync of
// dup_mmap_sem active for a grace period or so, and an attach right after
// it skips the grace period that the first uprobe registration of a
// kernel at rest waits for; paused, every run starts from rest, as a
// tracer's one attach does.
const processPause = 100 * time.Millisecond

// processTimes: runs times, with a new Manager each (so that every run
// reads the process's files, as each libbpf call does), AttachProcess of
// the empty program to every probe of the process, then Close. warm
// reuses one Manager instead, which read the files in the untimed run:
// what is left is mostly the kernel's share.
func processTimes(spec *ebpf.CollectionSpec, coll *ebpf.Collection, p *procProbes, runs int, warm bool) (attach, detach, attachCPU, detachCPU []time.Duration, links int, err error) {
	pid := p.cmd.Process.Pid
	var m *usdt.Manager
	for i := -1; i < runs; i++ {
		if m == nil || !warm {
			if m, err = usdt.Prepare(spec.Copy(), usdt.Config{}); err != nil {
				return nil, nil, nil, nil, 0, err
			}
			if err := m.Bind(coll); err != nil {
				return nil, nil, nil, nil, 0, err
			}
		}
		runtime.GC()
		time.Sleep(processPause)
		c0, t0 := cpuTime(), time.Now()
		pl, err := m.AttachProcess(coll.Programs["empty"], pid, "", nil)
		t1, c1 := time.Now(), cpuTime()
		if err != nil {
			return nil, nil, nil, nil, 0, err
		}
		if n := len(pl.Sites()); n != p.sites {
			pl.Close()
			return nil, nil, nil, nil, 0, fmt.Errorf("usdtspec attached %d call sites in process %d, want %d", n, pid, p.sites)
		}
		links = len(pl.Files)
		c2, t2 := cpuTime(), time.Now()
		err = pl.Close()
		t3, c3 := time.Now(), cpuTime()
		if err != nil {
			return nil, nil, nil, nil, 0, err
		}
		if i >= 0 {
			attach, detach = append(attach, t1.Sub(t0)), append(detach, t3.Sub(t2))
			attachCPU, detachCPU = append(attachCPU, c1-c0), append(detachCPU, c3-c2)
		}
	}
	return attach, detach, attachCPU, detachCPU, links, nil
}

// cpuTime: this process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// processTimes: libbpfbench process, a warm-up run, then runs timed ones.
func (l *libbpf) processTimes(p *procProbes, runs int) (attach, detach, attachCPU, detachCPU []time.Duration, how string, err error) {
	cmd := exec.Command(l.driver, "process", l.obj, strconv.Itoa(p.cmd.Process.Pid), strconv.Itoa(runs+1), p.list)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, nil, nil, nil, "", fmt.Errorf("%s: %w", cmd, err)
	}
	first := true
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "links":
			how = fmt.Sprintf("%s, %s links, %s call sites", f[1], f[2], f[3])
			if f[3] != strconv.Itoa(p.sites) {
				return nil, nil, nil, nil, "", fmt.Errorf("libbpf attached %s call sites, want %d", f[3], p.sites)
			}
		case len(f) == 5 && f[0] == "run":
			if first {
				first = false
				continue
			}
			var v [4]time.Duration
			for i := range v {
				n, _ := strconv.ParseInt(f[1+i], 10, 64)
				v[i] = time.Duration(n)
			}
			attach, detach = append(attach, v[0]), append(detach, v[1])
			attachCPU, detachCPU = append(attachCPU, v[2]), append(detachCPU, v[3])
		default:
			return nil, nil, nil, nil, "", fmt.Errorf("libbpfbench: unexpected line %q", line)
		}
	}
	if len(attach) != runs {
		return nil, nil, nil, nil, "", fmt.Errorf("libbpfbench: %d runs, want %d", len(attach), runs)
	}
	return attach, detach, attachCPU, detachCPU, how, nil
}

// processFigures: (c) one program attached to every probe of a process
// that maps several libraries with probes.
func processFigures(md *strings.Builder, fl flags, lb *libbpf) {
	dir := filepath.Join(fl.dir, "proc")
	exe, err := buildProcProbes(dir)
	if err != nil {
		log.Fatal(err)
	}
	p, err := startProcProbes(exe, dir)
	if err != nil {
		log.Fatal(err)
	}
	defer p.stop()
	spec, err := loadHit()
	if err != nil {
		log.Fatal(err)
	}
	// The collection's own Manager sizes the spec map (the default
	// capacity, 1,024 specs); each run's Manager is bound to it afresh.
	load := spec.Copy()
	if _, err := usdt.Prepare(load, usdt.Config{}); err != nil {
		log.Fatal(err)
	}
	coll, err := ebpf.NewCollection(load)
	if err != nil {
		log.Fatal(err)
	}
	defer coll.Close()

	const blocks = 3
	per := max(1, fl.processRuns/blocks)
	var oa, od, oac, odc, la, ld, lac, ldc, wa, wac []time.Duration
	var how string
	links := 0
	for range blocks {
		a, d, ac, dc, h, err := lb.processTimes(p, per)
		if err != nil {
			log.Fatal(err)
		}
		la, ld, lac, ldc, how = append(la, a...), append(ld, d...), append(lac, ac...), append(ldc, dc...), h
		a, d, ac, dc, n, err := processTimes(spec, coll, p, per, false)
		if err != nil {
			log.Fatal(err)
		}
		oa, od, oac, odc, links = append(oa, a...), append(od, d...), append(oac, ac...), append(odc, dc...), n
		a, _, ac, _, _, err = processTimes(spec, coll, p, per, true)
		if err != nil {
			log.Fatal(err)
		}
		wa, wac = append(wa, a...), append(wac, ac...)
	}
	fmt.Printf("attach process (%d call sites, %d probes, %d files): usdtspec %v (CPU %v), libbpf %v (CPU %v); detach: usdtspec %v, libbpf %v (medians of %d)\n",
		p.sites, p.lines, len(p.files), median(oa), median(oac), median(la), median(lac), median(od), median(ld), len(oa))

	rng := func(d []time.Duration) string {
		return fmt.Sprintf("%.1f–%.1f", float64(slices.Min(d))/1e6, float64(slices.Max(d))/1e6)
	}
	cell := func(d []time.Duration) string { return fmt.Sprintf("%s (%s)", ms(median(d)), rng(d)) }
	ratio := func(o, l []time.Duration) string { return fmt.Sprintf("%.2f", float64(median(o))/float64(median(l))) }
	fmt.Fprintf(md, "## Whole process: every probe of every mapped file\n\n")
	fmt.Fprintf(md, "`%s` (built by the bench from `%s`: the executable and three shared libraries of its own, each with 20 probes at 10 call sites, 2 arguments each, linked with libstdc++, which brings its own probes) runs, waiting on stdin; one BPF program that returns at once is attached to every call site of every probe in every file it maps, for that process only (its pid), then detached. Median of %d runs per side (%d blocks of %d, the sides alternating, each block after one untimed run; range in brackets): wall time around the calls, and the CPU time (user and system, `getrusage`) the attaching process spent in them. Each attach comes 100 ms after the previous detach, on both sides, so that it starts from a kernel at rest (see below).\n\n",
		exe, procSource, len(oa), blocks, per)
	fmt.Fprintf(md, "| file | probes | call sites |\n|---|---:|---:|\n")
	for _, f := range p.files {
		fmt.Fprintf(md, "| `%s` | %d | %d |\n", f.path, f.probes, f.sites)
	}
	fmt.Fprintf(md, "| all | %d | %d |\n\n", p.lines, p.sites)
	fmt.Fprintf(md, "| | attach | detach | attach, CPU | detach, CPU | how |\n|---|---:|---:|---:|---:|---|\n")
	fmt.Fprintf(md, "| usdtspec: `usdt.Manager.AttachProcess` (pid), `ProcessLink.Close` | %s | %s | %s | %s | uprobe_multi, %d links (one per file), %d call sites |\n",
		cell(oa), cell(od), cell(oac), cell(odc), links, p.sites)
	fmt.Fprintf(md, "| libbpf: `bpf_program__attach_usdt` (pid) per probe and file, `bpf_link__destroy` each | %s | %s | %s | %s | %s |\n",
		cell(la), cell(ld), cell(lac), cell(ldc), how)
	fmt.Fprintf(md, "| usdtspec / libbpf | %s | %s | %s | %s | |\n", ratio(oa, la), ratio(od, ld), ratio(oac, lac), ratio(odc, ldc))
	fmt.Fprintf(md, "| usdtspec, files already read (one `Manager` reused: `/proc/PID/maps`, the spec map's writes and the links; mostly the kernel's share) | %s | | %s | | the same |\n\n", cell(wa), cell(wac))
	target := func(o, l []time.Duration) string {
		if 2*median(o) <= median(l) {
			return "met"
		}
		return "**not met**"
	}
	fmt.Fprintf(md, "Target of issue 17: usdtspec at most half of libbpf's time, same run. Wall time: attach %s, detach %s. CPU time: attach %s, detach %s.\n\n",
		target(oa, la), target(od, ld), target(oac, lac), target(odc, ldc))
	fmt.Fprintf(md, "How far the attach is, and why: with its files already read (the last row), usdtspec's attach takes %s, %.2f of libbpf's, against %s from cold (%.2f): reading `/proc/PID/maps` and the files, and compiling the specs (done while the previous file's link waits in the kernel), is hidden behind the kernel's work. What is left is the kernel's: the RCU grace period below and registering the %d uprobes (`perf record -g` of the bench: under `bpf_uprobe_multi_link_attach`, mostly `register_for_each_vma` and `uprobe_write_opcode`, most of usdtspec's attach samples), which libbpf pays as well; libbpf's extra time is its own per-call work (each call opening and parsing the file, one link per probe). So on this kernel usdtspec's attach cannot go below about %.2f of libbpf's while libbpf registers the same uprobes.\n\n",
		ms(median(wa)), float64(median(wa))/float64(median(la)), ms(median(oa)), float64(median(oa))/float64(median(la)), p.sites,
		float64(min(median(wa), median(oa)))/float64(median(la)))
	fmt.Fprintf(md, "Each usdtspec run uses a new `usdt.Manager` (bound to the same loaded collection, outside the timing), so it reads `/proc/PID/maps` and every mapped file's notes again, as every libbpf call reads its file. usdtspec makes one uprobe_multi link per file, with every call site of the file in it, in a goroutine of its own while the next file is read, so that reading overlaps the kernel's wait below; libbpf one link per probe and file, each call opening and parsing the file anew. Where the wall time goes on this kernel (`perf record -e sched:sched_switch -g`): attaching, the first uprobe registered waits for an RCU grace period in `register_for_each_vma` (`percpu_down_write(&dup_mmap_sem)` → `rcu_sync_enter` → `synchronize_rcu`), which both sides pay once per run (unless an attach follows a detach within a grace period or so, hence the pause before each run) and which is most of either attach time; detaching, each uprobe_multi link's release waits for its own grace periods (`synchronize_srcu`, `synchronize_rcu_tasks_trace` in `uprobe_unregister_sync`), so the time grows with the number of links: %d for usdtspec, %s for libbpf.\n\n",
		links, strings.Fields(how)[1])
	fmt.Fprintf(md, "Commands: `go run ./internal/bench -sections process` (usdtspec's side, in process); `%s process %s PID %d %s` (libbpf's side, each block; the list holds `PATH PROVIDER NAME` per probe; the first run is the untimed one).\n\n",
		fl.driver, fl.libbpfObj, per+1, p.list)
}
