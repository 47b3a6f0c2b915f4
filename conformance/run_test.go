package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// needRoot skips tests that load BPF and attach uprobes.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs and attach uprobes")
	}
}

// buildCase compiles a one-file case with gcc and the system's sys/sdt.h.
func buildCase(t *testing.T, name, src string, flags ...string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	if out, err := exec.Command("sh", "-c", "echo '#include <sys/sdt.h>' | gcc -E -I/usr/include/$(gcc -print-multiarch) - >/dev/null").CombinedOutput(); err != nil {
		t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %s", out)
	}
	dir := t.TempDir()
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, name)
	multiarch, _ := exec.Command(gcc, "-print-multiarch").Output()
	args := append([]string{"-o", exe, c, "-I/usr/include/" + strings.TrimSpace(string(multiarch))}, flags...)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("building a case: %v\n%s", err, out)
	}
	return exe
}

const caseSource = `
#include <sys/sdt.h>
#include <stdio.h>
__attribute__((noinline)) void f(int a, long b, short *p, int i) {
	DTRACE_PROBE4(t, four, a, b, p[i], -9);
	printf("t:four %lld %lld %lld %lld\n", (long long)a, (long long)b, (long long)p[i], WANT_LAST);
}
int main(int argc, char **argv) {
	short arr[4] = {1, -2, 3, 4};
	setvbuf(stdout, NULL, _IOLBF, 0);
	f(argc * -5, 1L << 40, arr, argc);
	DTRACE_PROBE(t, zero);
	printf("t:zero\n");
	EXTRA
	return 0;
}
`

func source(wantLast, extra string) string {
	s := strings.Replace(caseSource, "WANT_LAST", wantLast, 1)
	return strings.Replace(s, "EXTRA", extra, 1)
}

func TestRunPasses(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "good", source("-9LL", ""), "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Hits != 2 || r.Lines != 2 || r.Sites != 2 {
		t.Fatalf("result %+v, failures %v", r, r.Failures)
	}
}

// TestRunDetectsMismatches: a runner that cannot fail proves nothing.
func TestRunDetectsMismatches(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name, wantLast, extra, reason string
	}{
		{"wrong value", "-8LL", "", "value differs"},
		{"line with no hit", "-9LL", `printf("t:zero\n");`, "line with no hit"},
		{"hit with no line", "-9LL", `DTRACE_PROBE(t, zero);`, "hit with no line"},
		{"wrong probe", "-9LL", `DTRACE_PROBE(t, zero); printf("t:other\n");`, "probe differs"},
		{"wrong count", "-9LL", `DTRACE_PROBE(t, zero); printf("t:zero 1\n");`, "arg_cnt differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe := buildCase(t, "bad", source(tt.wantLast, tt.extra), "-O2")
			r, err := Run(context.Background(), Case{Executable: exe})
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed {
				t.Fatalf("passed, want a %q failure", tt.reason)
			}
			found := false
			for _, f := range r.Failures {
				found = found || strings.Contains(f.String(), tt.reason)
			}
			if !found {
				t.Errorf("failures %v lack %q", r.Failures, tt.reason)
			}
		})
	}
}

// TestHighByteRegisters: %ah and friends (x86-64 only; the operands are
// written by hand, compilers rarely pick them).
func TestHighByteRegisters(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64 registers")
	}
	src := `
#include <sys/sdt.h>
#include <stdio.h>
#include <stdint.h>
int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	volatile uint32_t a = 0x1280a5c3u * (unsigned)argc, d = 0x7ff0u * (unsigned)argc;
	uint32_t av = a, dv = d;
	__asm__ __volatile__(STAP_PROBE_ASM(hb, regs, -1@%%ah 1@%%ah 1@%%al 2@%%ax -1@%%dh)
		:: "a"(av), "d"(dv) : "memory");
	printf("hb:regs %lld %llu %llu %llu %lld\n", (long long)(int8_t)(av >> 8), (unsigned long long)(uint8_t)(av >> 8),
		(unsigned long long)(uint8_t)av, (unsigned long long)(uint16_t)av, (long long)(int8_t)(dv >> 8));
	return 0;
}
`
	exe := buildCase(t, "highbyte", src, "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Hits != 1 {
		t.Fatalf("result %+v, failures %v", r, r.Failures)
	}
}

// TestUnreadableArgumentFailsAlone: an argument in an FP register, or wider
// than 64 bits, makes bpf_usdt_arg fail (-EINVAL) for that argument only;
// the call site attaches and its other arguments decode.
func TestUnreadableArgumentFailsAlone(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64 registers")
	}
	src := `
#include <sys/sdt.h>
#include <stdio.h>
int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	long a = -7L * argc, b = 1234L * argc;
	double d = 0.5 * argc;
	__asm__ __volatile__(STAP_PROBE_ASM(fp, mixed, -8@%%rdi 8f@%%xmm0 16@%%rax -8@%%rsi)
		:: "D"(a), "x"(d), "a"(0L), "S"(b) : "memory");
	/* The real values of the unreadable arguments, to see them fail. */
	printf("fp:mixed %ld 4602678819172646912 0 %ld\n", a, b);
	return 0;
}
`
	exe := buildCase(t, "unreadable", src, "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if r.Hits != 1 || r.Sites != 1 {
		t.Fatalf("the call site did not attach and fire: %+v %v", r, r.Failures)
	}
	if !r.Passed || len(r.Failures) != 0 {
		t.Errorf("failures: %v", r.Failures)
	}
	// The two unreadable arguments failed in BPF, and are listed as limits.
	var args []int
	for _, f := range r.Limits {
		if !strings.HasPrefix(f.Reason, "hardware limit") || f.Got != "error -22" {
			t.Errorf("unexpected limit: %v", f)
		}
		args = append(args, f.Arg)
	}
	if len(args) != 2 || args[0] != 1 || args[1] != 2 {
		t.Errorf("arguments at a limit %v, want [1 2] (xmm0 and the 16-byte one)", args)
	}
}

// running lists the processes running exe.
func running(t *testing.T, exe string) []string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	var pids []string
	for _, p := range procs {
		if target, err := os.Readlink(p); err == nil && target == exe {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}

// runBounded runs c and fails the test if Run takes longer than limit:
// before the timeout, a hanging case kept Run waiting forever.
func runBounded(t *testing.T, c Case, limit time.Duration) *Result {
	t.Helper()
	type ran struct {
		r   *Result
		err error
	}
	done := make(chan ran, 1)
	start := time.Now()
	go func() {
		r, err := Run(context.Background(), c)
		done <- ran{r, err}
	}()
	select {
	case got := <-done:
		if got.err != nil {
			t.Fatal(got.err)
		}
		t.Logf("Run took %v", time.Since(start))
		return got.r
	case <-time.After(limit):
		t.Fatalf("Run still waiting after %v", limit)
		return nil
	}
}

func wantFailure(t *testing.T, r *Result, reason string) {
	t.Helper()
	if r.Passed {
		t.Fatalf("passed, want a %q failure: %+v", reason, r)
	}
	for _, f := range r.Failures {
		if strings.Contains(f.String(), reason) {
			return
		}
	}
	t.Fatalf("failures %v lack %q", r.Failures, reason)
}

// TestRunTimesOut: a case that hangs after its probes fails with the
// timeout, and neither it nor the child it forked is left running.
func TestRunTimesOut(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "hang", source("-9LL", `if (fork() == 0) pause(); pause();`), "-O2", "-include", "unistd.h")
	r := runBounded(t, Case{Executable: exe, Timeout: 2 * time.Second}, 20*time.Second)
	wantFailure(t, r, "timed out after 2s")
	if r.Hits != 2 || r.Lines != 2 {
		t.Errorf("hits %d, lines %d before the hang, want 2 and 2", r.Hits, r.Lines)
	}
	if pids := running(t, exe); len(pids) > 0 {
		t.Errorf("processes of the case left running: %v", pids)
	}
}

// TestRunChildHoldingStdout: a case that exits while a child it forked
// keeps its stdout open returns without waiting for the child (Run used
// to wait for the pipe's end, forever), fails saying so, and the child is
// killed.
func TestRunChildHoldingStdout(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "forker", source("-9LL", `if (fork() == 0) { sleep(1000); return 0; }`), "-O2", "-include", "unistd.h")
	r := runBounded(t, Case{Executable: exe}, 20*time.Second)
	wantFailure(t, r, "kept its stdout open")
	if r.Hits != 2 || r.Lines != 2 {
		t.Errorf("hits %d, lines %d, want 2 and 2", r.Hits, r.Lines)
	}
	if pids := running(t, exe); len(pids) > 0 {
		t.Errorf("processes of the case left running: %v", pids)
	}
}

// TestRunBareName: a bare name is the file in the current folder, for
// the attach and the run alike. "true" used to attach ./true and run
// /usr/bin/true, which passed with nothing compared.
func TestRunBareName(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "true", source("-9LL", ""), "-O2")
	t.Chdir(filepath.Dir(exe))
	r, err := Run(context.Background(), Case{Executable: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Hits != 2 || r.Lines != 2 {
		t.Fatalf("result %+v, failures %v; want a pass with 2 hits of ./true", r, r.Failures)
	}
}

// TestRunNothingComparedFails: a program that fires no probe and prints
// nothing compared nothing, and must not pass.
func TestRunNothingComparedFails(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "silent", strings.Replace(source("-9LL", ""), "setvbuf", "if (argc < 9) return 0; setvbuf", 1), "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	wantFailure(t, r, "no hit and no line")
}

// manyHitsSource fires one probe n times, more than the 4 MiB ring buffer
// holds at once (about 18,000 hits).
const manyHitsSource = `
#include <sys/sdt.h>
#include <stdio.h>
int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < HITS; i++) {
		DTRACE_PROBE1(t, many, i);
		printf("t:many %ld\n", i);
	}
	return 0;
}
`

// TestRunManyHits: the ring buffer is read while the case runs, so a case
// firing more hits than it holds passes. Read only after the case exited,
// it lost those beyond ~18,000, reported as lines with no hit.
func TestRunManyHits(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "many", manyHitsSource, "-O2", "-DHITS=20000")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Hits != 20000 || r.Dropped != 0 {
		t.Fatalf("hits %d, lines %d, dropped %d, failures %v; want a pass with 20000 hits", r.Hits, r.Lines, r.Dropped, firstFew(r.Failures))
	}
}

// TestRunReportsDrops: hits the full ring buffer loses are counted in BPF
// and reported as drops, not as probes that did not fire.
func TestRunReportsDrops(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "drops", manyHitsSource, "-O2", "-DHITS=2000")
	// One page holds 17 hits: the reader cannot keep up.
	r, err := run(context.Background(), Case{Executable: exe}, runOptions{ringSize: uint32(os.Getpagesize())})
	if err != nil {
		t.Fatal(err)
	}
	if r.Dropped == 0 || r.Hits+r.Dropped != 2000 {
		t.Fatalf("hits %d + dropped %d, want 2000 with some dropped", r.Hits, r.Dropped)
	}
	wantFailure(t, r, "hits dropped by the ring buffer")
	for _, f := range r.Failures {
		if strings.Contains(f.Reason, "did not fire") {
			t.Errorf("a drop reported as a probe that did not fire: %v", f)
		}
	}
}

func firstFew(fs []Failure) []Failure { return fs[:min(len(fs), 3)] }

// TestRunCanceled: when ctx is done (the CLI's SIGINT or SIGTERM), Run
// kills the case's process group, which a terminal's ^C does not reach,
// and returns ctx's error.
func TestRunCanceled(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "hang", source("-9LL", `if (fork() == 0) pause(); pause();`), "-O2", "-include", "unistd.h")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := Run(ctx, Case{Executable: exe})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "hang") {
		t.Fatalf("Run: %v, want the context's error naming the case", err)
	}
	if pids := running(t, exe); len(pids) > 0 {
		t.Errorf("processes of the case left running: %v", pids)
	}
}

// TestCompareFetched: BPF_USDT's values must match bpf_usdt_arg's, with 0
// where bpf_usdt_arg failed and past the call site's last argument.
func TestCompareFetched(t *testing.T) {
	agree := func() conformHit {
		h := conformHit{ArgCnt: 2, FetchedAll: 1}
		h.Value[0], h.Value[1] = 7, -1
		h.Ret[1] = -14 // bpf_usdt_arg failed: BPF_USDT gives 0
		h.Fetched[0] = 7
		return h
	}
	tests := []struct {
		name   string
		change func(*conformHit)
		want   []string // failure reasons, by argument
	}{
		{"agree", func(*conformHit) {}, nil},
		{"libbpf header", func(h *conformHit) { h.FetchedAll, h.Fetched[0] = 0, 9 }, nil},
		{"value", func(h *conformHit) { h.Fetched[0] = 8 }, []string{"0: BPF_USDT differs from bpf_usdt_arg"}},
		{"failed fetch not 0", func(h *conformHit) { h.Fetched[1] = -1 }, []string{"1: BPF_USDT differs from bpf_usdt_arg"}},
		{"past the last", func(h *conformHit) { h.Fetched[5] = 3 }, []string{"5: BPF_USDT differs from bpf_usdt_arg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := agree()
			tt.change(&h)
			var got []string
			for _, f := range compareFetched(&h, 1, "t:p", siteInfo{}) {
				got = append(got, fmt.Sprintf("%d: %s", f.Arg, f.Reason))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
}
