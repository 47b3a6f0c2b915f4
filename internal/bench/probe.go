package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/usdt"
)

// Probes of internal/bench/testdata/benchprobes.c.
const (
	sitesProbe  = "bench:sites"  // 1,000 call sites
	args12Probe = "bench:args12" // one call site, 12 arguments: v, v+1, ..., v+11
	args12Value = 5              // the v the hit runs pass
)

// target is a running benchprobes: each fire calls a probe's function n
// times and returns the nanoseconds the calls took, as the program
// measured them.
type target struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startTarget(exe string) (*target, error) {
	cmd := exec.Command(exe)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &target{cmd, in, bufio.NewReader(out)}, nil
}

func (t *target) fire(form string, n int, v int64) (time.Duration, error) {
	fmt.Fprintf(t.in, "%s %d %d\n", form, n, v)
	line, err := t.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("%s %s %d %d: %w", t.cmd.Path, form, n, v, err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	return time.Duration(ns), err
}

func (t *target) stop() {
	t.in.Close()
	t.cmd.Wait()
}

// ours is hit.bpf.c built against bpf/usdt.bpf.h, loaded through usdt.
type ours struct {
	m       *usdt.Manager
	coll    *ebpf.Collection
	empty   *ebpf.Program
	decode  *ebpf.Program
	ctxload *ebpf.Program // the floor: 12 constant context loads, no header
	// ctxCast: the header reads the context in place (Linux 6.17+), not
	// from a copy on the stack; what usdt.Prepare set.
	ctxCast bool
	// copied: the same object loaded to read registers from a copy of
	// the context, as on kernels before 6.17 (nil where this kernel is
	// one of them, or for the copy itself).
	copied  *ours
	exe     string
	version string
}

func loadOurs(exe string) (*ours, error) {
	o, err := loadOursWith(exe, false)
	if err != nil || !o.ctxCast {
		return o, err
	}
	if o.copied, err = loadOursWith(exe, true); err != nil {
		o.coll.Close()
		return nil, err
	}
	return o, nil
}

func loadOursWith(exe string, copyContext bool) (*ours, error) {
	spec, err := loadHit()
	if err != nil {
		return nil, err
	}
	m, err := usdt.Prepare(spec, usdt.Config{Targets: []usdt.Target{{Path: exe, Probe: sitesProbe}, {Path: exe, Probe: args12Probe}}, DisableContextCast: copyContext})
	if err != nil {
		return nil, err
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, err
	}
	if err := m.Bind(coll); err != nil {
		coll.Close()
		return nil, err
	}
	var ctxCast bool
	if err := spec.Variables["__usdtspec_ctx_cast"].Get(&ctxCast); err != nil {
		coll.Close()
		return nil, err
	}
	return &ours{m: m, coll: coll, empty: coll.Programs["empty"], decode: coll.Programs["decode12"], ctxload: coll.Programs["ctxload12"], ctxCast: ctxCast, exe: exe}, nil
}

// attachTimes attaches the empty program to the 1,000 call sites of
// bench:sites in every process and detaches it, runs times, after one
// warm-up.
func (o *ours) attachTimes(runs int) (attach, detach []time.Duration, err error) {
	for i := -1; i < runs; i++ {
		runtime.GC()
		t0 := time.Now()
		ln, err := o.m.Attach(o.empty, usdt.Target{Path: o.exe, Probe: sitesProbe}, nil)
		t1 := time.Now()
		if err != nil {
			return nil, nil, err
		}
		if n := len(ln.Sites()); n != 1000 {
			return nil, nil, fmt.Errorf("usdtspec attached %d call sites of %s, want 1000", n, sitesProbe)
		}
		err = ln.Close()
		t2 := time.Now()
		if err != nil {
			return nil, nil, err
		}
		if i >= 0 {
			attach = append(attach, t1.Sub(t0))
			detach = append(detach, t2.Sub(t1))
		}
	}
	return attach, detach, nil
}

// hitResult is one timed run: wall ns per hit, as the target measured
// it, and the BPF program's own ns per run from the kernel's statistics
// (meaningful only while BPF_ENABLE_STATS is on).
type hitResult struct {
	wall, prog float64
}

// hit attaches prog to bench:args12 in the target, fires it once, then
// hits times. For the decode program it checks that every hit decoded all
// 12 arguments right.
func (o *ours) hit(t *target, prog *ebpf.Program, hits int) (hitResult, error) {
	out := o.coll.Variables["out"]
	var zero hitOut
	if err := out.Set(&zero); err != nil {
		return hitResult{}, err
	}
	ln, err := o.m.Attach(prog, usdt.Target{Path: o.exe, Probe: args12Probe}, &usdt.Options{PID: t.cmd.Process.Pid})
	if err != nil {
		return hitResult{}, err
	}
	defer ln.Close()
	before, err := prog.Stats()
	if err != nil {
		return hitResult{}, err
	}
	if _, err := t.fire("args12", 1, args12Value); err != nil {
		return hitResult{}, err
	}
	d, err := t.fire("args12", hits, args12Value)
	if err != nil {
		return hitResult{}, err
	}
	after, err := prog.Stats()
	if err != nil {
		return hitResult{}, err
	}
	if prog == o.decode || prog == o.ctxload {
		var got hitOut
		if err := out.Get(&got); err != nil {
			return hitResult{}, err
		}
		if err := checkDecode("usdtspec", got.Hits, got.Last[:], hits+1); err != nil {
			return hitResult{}, err
		}
	}
	return hitResult{float64(d) / float64(hits), perRun(after.Runtime-before.Runtime, after.RunCount-before.RunCount)}, nil
}

func perRun(d time.Duration, n uint64) float64 {
	if n == 0 {
		return 0
	}
	return float64(d) / float64(n)
}

func checkDecode(who string, n uint64, last []int64, want int) error {
	if n != uint64(want) {
		return fmt.Errorf("%s: the decode program counted %d hits, want %d", who, n, want)
	}
	for i, v := range last {
		if v != args12Value+int64(i) {
			return fmt.Errorf("%s: argument %d decoded as %d, want %d (all: %d)", who, i, v, args12Value+i, last)
		}
	}
	return nil
}

// libbpf runs internal/bench/libbpf/libbpfbench, libbpf 1.7's side.
type libbpf struct {
	driver, obj, exe string
	xlated, jited    int // decode12's size as loaded: BPF bytes, machine code bytes
}

// attachTimes: one libbpfbench process, a warm-up attach, then runs
// timed ones. It also returns how libbpf attached ("uprobe_multi, 1
// link, 1000 call sites").
func (l *libbpf) attachTimes(runs int) (attach, detach []time.Duration, how string, err error) {
	provider, name, _ := strings.Cut(sitesProbe, ":")
	cmd := exec.Command(l.driver, "attach", l.obj, l.exe, provider, name, strconv.Itoa(runs+1))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", cmd, err)
	}
	first := true
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "links":
			how = fmt.Sprintf("%s, %s link, %s call sites", f[1], f[2], f[3])
			if f[3] != "1000" {
				return nil, nil, "", fmt.Errorf("libbpf attached %s call sites of %s, want 1000", f[3], sitesProbe)
			}
		case len(f) == 3 && f[0] == "run":
			if first { // the warm-up
				first = false
				continue
			}
			a, _ := strconv.ParseInt(f[1], 10, 64)
			d, _ := strconv.ParseInt(f[2], 10, 64)
			attach = append(attach, time.Duration(a))
			detach = append(detach, time.Duration(d))
		default:
			return nil, nil, "", fmt.Errorf("libbpfbench: unexpected line %q", line)
		}
	}
	if len(attach) != runs {
		return nil, nil, "", fmt.Errorf("libbpfbench: %d runs, want %d", len(attach), runs)
	}
	return attach, detach, how, nil
}

// hit: libbpfbench attaches prog to bench:args12 in the target and says
// ready; the target fires once, then hits times; libbpfbench then reports
// the decode program's hits and last arguments and detaches.
func (l *libbpf) hit(t *target, prog string, hits int) (hitResult, error) {
	provider, name, _ := strings.Cut(args12Probe, ":")
	cmd := exec.Command(l.driver, "hit", l.obj, prog, l.exe, provider, name, strconv.Itoa(t.cmd.Process.Pid))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return hitResult{}, err
	}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return hitResult{}, err
	}
	if err := cmd.Start(); err != nil {
		return hitResult{}, err
	}
	defer cmd.Wait()
	defer in.Close()
	out := bufio.NewReader(pipe)
	if line, err := out.ReadString('\n'); err != nil || line != "ready\n" {
		return hitResult{}, fmt.Errorf("libbpfbench hit %s: %q, %v", prog, line, err)
	}
	if _, err := t.fire("args12", 1, args12Value); err != nil {
		return hitResult{}, err
	}
	d, err := t.fire("args12", hits, args12Value)
	if err != nil {
		return hitResult{}, err
	}
	fmt.Fprintln(in, "done")
	line, err := out.ReadString('\n')
	if err != nil {
		return hitResult{}, fmt.Errorf("libbpfbench hit %s: %w", prog, err)
	}
	f := strings.Fields(line)
	if len(f) != 18 || f[0] != "hits" {
		return hitResult{}, fmt.Errorf("libbpfbench hit %s: %q", prog, line)
	}
	if prog == "decode12" || prog == "ctxload12" {
		n, _ := strconv.ParseUint(f[1], 10, 64)
		last := make([]int64, 12)
		for i := range last {
			last[i], _ = strconv.ParseInt(f[2+i], 10, 64)
		}
		if err := checkDecode("libbpf", n, last, hits+1); err != nil {
			return hitResult{}, err
		}
	}
	if prog == "decode12" {
		l.xlated, _ = strconv.Atoi(f[16])
		l.jited, _ = strconv.Atoi(f[17])
	}
	rt, _ := strconv.ParseInt(f[14], 10, 64)
	cnt, _ := strconv.ParseUint(f[15], 10, 64)
	return hitResult{float64(d) / float64(hits), perRun(time.Duration(rt), cnt)}, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
