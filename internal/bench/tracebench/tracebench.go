package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/usdtspec/usdtspec/internal/peer"
)

// Probe is the probe of internal/bench/testdata/traceloop.c.
const Probe = "bench:loop"

// result is one traced run of traceloop.
type result struct {
	fired     int   // what traceloop says it fired
	written   int   // hits in the tracer's output, each checked
	dropped   int   // what the tracer says it lost
	loopStart int64 // CLOCK_MONOTONIC ns at the start of traceloop's loop
	loopNs    int64 // how long the loop took, traced
	end       int64 // CLOCK_MONOTONIC ns once the tracer has exited
	wall      time.Duration
	stderr    string
}

// rate is the hits written per second from the first hit fired to the
// tracer's exit: firing, reading, formatting and writing every hit,
// without the tracer's start-up and attach (which the loop does not wait
// for, as both tracers start the program only once attached).
func (r *result) rate() float64 {
	return float64(r.written) / (float64(r.end-r.loopStart) / 1e9)
}

// loopRate is how fast traceloop fired while traced, in hits per second.
func (r *result) loopRate() float64 { return float64(r.fired) / (float64(r.loopNs) / 1e9) }

// buildLoop compiles traceloop.c into out: static, so that the same file
// runs on the host and in bpftrace's Debian root.
func buildLoop(src, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.Command("gcc", "-O2", "-g0", "-Wall", "-static", "-o", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %w\n%s", cmd, err, b)
	}
	return nil
}

// parseFired reads traceloop's line "fired N start_ns loop_ns".
func parseFired(out []byte, r *result) error {
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 4 && f[0] == "fired" {
			var err error
			var n int64
			if n, err = strconv.ParseInt(f[1], 10, 64); err == nil {
				r.fired = int(n)
				if r.loopStart, err = strconv.ParseInt(f[2], 10, 64); err == nil {
					r.loopNs, err = strconv.ParseInt(f[3], 10, 64)
				}
			}
			if err != nil {
				return fmt.Errorf("traceloop's line %q: %w", l, err)
			}
			return nil
		}
	}
	return fmt.Errorf("no line \"fired N START NS\" from traceloop in %q", out)
}

func monotonic() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// checkSequence checks the loop counters a tracer wrote: each in [0, n),
// strictly increasing (one thread fires them in order; a lost hit leaves
// a gap, never a repeat or a swap).
func checkSequence(values []int64, n int) error {
	prev := int64(-1)
	for i, v := range values {
		if v <= prev || v >= int64(n) {
			return fmt.Errorf("hit %d: argument %d after %d (want increasing values below %d)", i, v, prev, n)
		}
		prev = v
	}
	return nil
}

var summaryRE = regexp.MustCompile(`usdtspec trace: (\d+) hits written, (\d+) dropped`)

// runUsdtspec runs `usdtspec trace --json -o FILE bench:loop -- PROG N`
// and checks its output: every hit a JSON object of bench:loop whose
// argument is the loop counter, as many as the summary says were
// written. The exit status is 1 when hits were dropped; that is not an
// error here, as long as the summary says so.
func runUsdtspec(cli, prog string, n int, out string) (*result, error) {
	cmd := exec.Command(cli, "trace", "--json", "-o", out, Probe, "--", prog, strconv.Itoa(n))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &result{end: monotonic(), wall: time.Since(start), stderr: stderr.String()}
	m := summaryRE.FindStringSubmatch(stderr.String())
	if m == nil {
		return nil, fmt.Errorf("%v: %v, no summary:\n%s", cmd, err, stderr.String())
	}
	written, _ := strconv.Atoi(m[1])
	r.dropped, _ = strconv.Atoi(m[2])
	if err != nil && r.dropped == 0 {
		return nil, fmt.Errorf("%v: %w\n%s", cmd, err, stderr.String())
	}
	runErr := err
	if err := parseFired(stdout.Bytes(), r); err != nil {
		return nil, err
	}
	values, err := readJSONHits(out)
	if err != nil {
		return nil, err
	}
	r.written = len(values)
	if r.written != written {
		return nil, fmt.Errorf("%s holds %d hits, the summary says %d were written", out, r.written, written)
	}
	// Every hit fired is either written or counted as dropped.
	if r.written+r.dropped != r.fired {
		return nil, fmt.Errorf("%d hits written and %d dropped, of %d fired:\n%s", r.written, r.dropped, r.fired, stderr.String())
	}
	if r.dropped > 0 && runErr == nil {
		return nil, fmt.Errorf("%d hits dropped, yet exit status 0", r.dropped)
	}
	return r, checkSequence(values, n)
}

// readJSONHits reads trace --json's lines: the loop counter of each.
func readJSONHits(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var values []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var h struct {
			Provider, Name string
			Args           []*int64
		}
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			return nil, fmt.Errorf("%s: hit %d: %w", path, len(values)+1, err)
		}
		if h.Provider+":"+h.Name != Probe || len(h.Args) != 1 || h.Args[0] == nil {
			return nil, fmt.Errorf("%s: hit %d: %s, want %s with one readable argument", path, len(values)+1, sc.Text(), Probe)
		}
		values = append(values, *h.Args[0])
	}
	return values, sc.Err()
}

var lostRE = regexp.MustCompile(`Lost (\d+) events`)

// bpftraceArgs is bpftrace's command line: print the probe's argument,
// one line per hit, to out, running PROG N as -c.
func bpftraceArgs(prog string, n int, out string) []string {
	return []string{"-o", out, "-e", fmt.Sprintf(`usdt:%s:%s { printf("%%lld\n", arg0); }`, prog, Probe), "-c", prog + " " + strconv.Itoa(n)}
}

// runBpftrace runs bpftrace on the same program, its output (and the
// program) in prog's folder, bound into its root.
func runBpftrace(tool *peer.Tool, prog string, n int, out string) (*result, error) {
	args := bpftraceArgs(prog, n, out)
	cmd := tool.Command(context.Background(), []string{filepath.Dir(prog)}, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &result{end: monotonic(), wall: time.Since(start), stderr: stderr.String()}
	if err != nil {
		return nil, fmt.Errorf("bpftrace: %w\n%s", err, stderr.String())
	}
	// With -o, bpftrace writes the -c command's output to its own stdout
	// and its messages ("Attached 1 probe", lost events) to the file.
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	if err := parseFired(stdout.Bytes(), r); err != nil {
		return nil, err
	}
	var values []int64
	for _, l := range strings.Split(string(data), "\n") {
		v, err := strconv.ParseInt(l, 10, 64)
		if err != nil {
			continue // "Attached 1 probe", blank lines
		}
		values = append(values, v)
	}
	for _, s := range []string{string(data), stderr.String()} {
		for _, m := range lostRE.FindAllStringSubmatch(s, -1) {
			lost, _ := strconv.Atoi(m[1])
			r.dropped += lost
		}
	}
	r.written = len(values)
	if r.written+r.dropped != r.fired {
		return nil, fmt.Errorf("bpftrace: %d hits written and %d reported lost, of %d fired", r.written, r.dropped, r.fired)
	}
	return r, checkSequence(values, n)
}

// findBpftrace: the host's bpftrace, else the one of the Debian root
// internal/peer/setup.sh makes (`make peer-root`).
func findBpftrace(root string) (*peer.Tool, error) {
	if t, err := peer.FindHost(); err == nil {
		return t, nil
	}
	t, err := peer.FindRoot(root)
	if err != nil {
		return nil, errors.Join(err, fmt.Errorf("no bpftrace in PATH either"))
	}
	return t, nil
}
