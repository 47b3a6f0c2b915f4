package peer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/usdtspec/usdtspec/conformance"
	"github.com/usdtspec/usdtspec/internal/peer"
)

func TestScript(t *testing.T) {
	got := peer.Script([]peer.Probe{
		{Path: "/b/x", Provider: "p", Name: "zero"},
		{Path: "/b/libx.so", Provider: "p", Name: "two", Signed: []bool{true, false}},
	})
	want := `config = { missing_probes = "warn" }
BEGIN { printf("usdtspec-peer-ready\n"); }
usdt:/b/x:p:zero { printf("%d %llu p:zero\n", pid, nsecs); }
usdt:/b/libx.so:p:two { printf("%d %llu p:two %lld %llu\n", pid, nsecs, arg0, arg1); }
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Script (-want +got):\n%s", diff)
	}
}

func TestParseOutput(t *testing.T) {
	out := "Attached 3 probes\nusdtspec-peer-ready\n12 500 p:two -1 18446744073709551615\n" +
		"12 400 p:zero\nnot a hit line\n"
	hits, ready, other := peer.ParseOutput([]byte(out))
	want := []peer.Hit{
		{Pid: 12, Nsecs: 500, Probe: "p:two", Tokens: []string{"-1", "18446744073709551615"}},
		{Pid: 12, Nsecs: 400, Probe: "p:zero", Tokens: []string{}},
	}
	if diff := cmp.Diff(want, hits); diff != "" || !ready {
		t.Errorf("ParseOutput: ready %v, hits (-want +got):\n%s", ready, diff)
	}
	if diff := cmp.Diff([]string{"Attached 3 probes", "not a hit line"}, other); diff != "" {
		t.Errorf("other lines (-want +got):\n%s", diff)
	}
	if _, ready, _ := peer.ParseOutput([]byte("12 1 p:zero\n")); ready {
		t.Error("ready without the ready line")
	}
}

// bpftrace 0.27's stderr and stdout (-d libbpf, cut) when libbpf rejects
// two probes.
const skipped = `WARNING: Could not read functions from /sys/kernel/debug/tracing/available_filter_functions.
WARNING: Failed to attach usdt probe: Invalid argument
WARNING: Unable to attach probe: usdt:/work/b/floats-gcc-O2-pie:floats:mixed. Skipping.
WARNING: Failed to attach usdt probe: Invalid argument
WARNING: Unable to attach probe: usdt:/work/b/fl:o.ats:floats:f64. Skipping.
Attached 2 probes
`

const libbpfDebug = `[DEBUG] libbpf: usdt: probe for 'floats:f64' in lib  '/work/b/fl:o.ats': addr 0x1 args '8f@%rbx'
[DEBUG] libbpf: usdt: probe for 'floats:mixed' in lib  '/work/b/floats-gcc-O2-pie': addr 0x1654 args '-4@%edi 4f@%eax'
[WARN] libbpf: usdt: unrecognized arg #1 spec '4f@%eax'
[DEBUG] libbpf: usdt: probe for 'floats:ok' in lib  '/work/b/floats-gcc-O2-pie': addr 0x1700 args '-4@%edi'
`

func TestAttachFailures(t *testing.T) {
	got := peer.AttachFailures([]byte(skipped), []byte(libbpfDebug))
	want := map[string]string{
		"floats:mixed": "usdt: unrecognized arg #1 spec '4f@%eax' (Failed to attach usdt probe: Invalid argument)",
		"floats:f64":   "Failed to attach usdt probe: Invalid argument",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AttachFailures (-want +got):\n%s", diff)
	}
}

func TestCompare(t *testing.T) {
	probes := []peer.Probe{
		{Provider: "p", Name: "ok", Signed: []bool{true, false}},
		{Provider: "p", Name: "wrong", Signed: []bool{true}},
		{Provider: "p", Name: "missing"},
		{Provider: "p", Name: "skipped", Signed: []bool{true}},
		{Provider: "p", Name: "count", Signed: []bool{true}},
	}
	lines := []conformance.Line{
		{Probe: "p:ok", Tokens: []string{"-1", "*"}},
		{Probe: "p:wrong", Tokens: []string{"-2"}},
		{Probe: "p:missing"},
		{Probe: "p:ok", Tokens: []string{"255", "7"}},
		{Probe: "p:wrong", Tokens: []string{"-3"}},
		{Probe: "p:skipped", Tokens: []string{"1"}},
		{Probe: "p:count", Tokens: []string{"1"}},
	}
	// Out of time order on purpose: the second p:ok hit printed first.
	hits := []peer.Hit{
		{Nsecs: 40, Probe: "p:ok", Tokens: []string{"255", "7"}},
		{Nsecs: 10, Probe: "p:ok", Tokens: []string{"18446744073709551615", "99"}},
		{Nsecs: 20, Probe: "p:wrong", Tokens: []string{"-2"}},
		{Nsecs: 50, Probe: "p:wrong", Tokens: []string{"253"}},
		{Nsecs: 60, Probe: "p:count", Tokens: []string{"1"}},
		{Nsecs: 61, Probe: "p:count", Tokens: []string{"1"}},
		{Nsecs: 70, Probe: "p:stray"},
	}
	got := peer.Compare(probes, map[string]string{"p:skipped": "Invalid argument"}, hits, lines)
	want := []peer.Verdict{
		{Probe: "p:ok", Attached: true},
		{Probe: "p:wrong", Attached: true, Reason: "hit 2 arg0: got 253 (0xfd), want -3 (0xfffffffffffffffd)"},
		{Probe: "p:missing", Attached: true, Reason: "0 hits, 1 lines"},
		{Probe: "p:skipped", Reason: "attach failed: Invalid argument"},
		{Probe: "p:count", Attached: true, Reason: "2 hits, 1 lines"},
		{Probe: "p:stray", Attached: true, Reason: "1 hits and 0 lines of a probe not in the file"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	r := &peer.Result{Verdicts: got}
	if r.OK() {
		t.Error("Result.OK with failing probes")
	}
	if s := r.Summary(); !strings.HasPrefix(s, "attach failed 1/6: p:skipped: Invalid argument; wrong values 4/6: p:wrong: hit 2") {
		t.Errorf("Summary = %q", s)
	}
	if r := (&peer.Result{Verdicts: got[:1]}); !r.OK() || r.Summary() != "ok" {
		t.Errorf("one good probe: OK %v, Summary %q", r.OK(), r.Summary())
	}
}

// repoRoot is where cases.list's relative paths start.
const repoRoot = "../.."

// TestPeer runs every native conformance build (build/conformance/
// cases.list) under bpftrace and under usdtspec's own runner, prints the
// table (case | bpftrace | usdtspec), and fails where usdtspec fails on a
// probe that bpftrace reads right.
//
// Environment: PEER_DIR (setup.sh's output, holding sid-root) or
// PEER_BPFTRACE=host (the host's bpftrace; the test skips without either), PEER_CASES (a regexp on
// the build names; default all), PEER_JOBS (cases at a time; default 2),
// PEER_REPORT (a directory for the table, peer-bpftrace.txt).
func TestPeer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bpftrace and the conformance runner attach uprobes: needs root")
	}
	// It takes minutes, and make peer makes the sid root first: run by
	// that target, not by every go test ./...
	var tool *peer.Tool
	var err error
	switch dir := os.Getenv("PEER_DIR"); {
	case dir != "":
		tool, err = peer.FindRoot(filepath.Join(dir, "sid-root"))
	case os.Getenv("PEER_BPFTRACE") == "host":
		tool, err = peer.FindHost()
	default:
		t.Skip("neither PEER_DIR nor PEER_BPFTRACE=host set: run make peer (it makes a sid root with bpftrace in $USDTSPEC_CACHE/bpftrace, then runs this test)")
	}
	if err != nil {
		t.Skipf("%v: run make peer", err)
	}
	cases := readCases(t)
	if len(cases) == 0 {
		t.Skip("no conformance builds selected: make conformance-cases (and check PEER_CASES)")
	}
	how := "host"
	if tool.Root != "" {
		how = "chroot " + tool.Root
	}
	t.Logf("%s (%s), %d builds", tool.Version, how, len(cases))

	jobs := runtime.NumCPU()
	if n, err := strconv.Atoi(os.Getenv("PEER_JOBS")); err == nil && n > 0 {
		jobs = n
	}
	type row struct {
		c   conformance.Case
		bt  *peer.Result
		us  *conformance.Result
		err error
	}
	rows := make([]row, len(cases))
	var wg sync.WaitGroup
	work := make(chan int)
	for range jobs {
		wg.Go(func() {
			for i := range work {
				r := &rows[i]
				r.c = cases[i]
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				r.bt, r.err = tool.Run(ctx, r.c)
				if r.err == nil {
					r.us, r.err = conformance.Run(ctx, r.c)
				}
				cancel()
			}
		})
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()

	var tab strings.Builder
	tw := tabwriter.NewWriter(&tab, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tbpftrace\tusdtspec")
	var (
		btOK, usOK, btProbes, btProbesOK int
		reverse                          []string
	)
	for _, r := range rows {
		if r.err != nil {
			t.Errorf("%s: %v", r.c.Name(), r.err)
			fmt.Fprintf(tw, "%s\t(harness error)\t%v\n", r.c.Name(), r.err)
			continue
		}
		if r.bt.OK() {
			btOK++
		}
		if r.us.Passed {
			usOK++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.c.Name(), clip(r.bt.Summary(), 150), clip(usdtspecCell(r.us), 150))
		usFail := usdtspecFailing(r.us)
		for _, v := range r.bt.Verdicts {
			btProbes++
			if !v.OK() {
				continue
			}
			btProbesOK++
			if why, bad := usFail[v.Probe]; bad {
				reverse = append(reverse, fmt.Sprintf("%s %s: bpftrace reads it right, usdtspec: %s", r.c.Name(), v.Probe, why))
			} else if why, bad := usFail[""]; bad {
				reverse = append(reverse, fmt.Sprintf("%s %s: bpftrace reads it right, usdtspec: %s", r.c.Name(), v.Probe, why))
			}
		}
	}
	tw.Flush()
	summary := fmt.Sprintf("%s: %d/%d builds ok (%d/%d probes); usdtspec: %d/%d builds ok; usdtspec wrong where bpftrace is right: %d probes",
		tool.Version, btOK, len(rows), btProbesOK, btProbes, usOK, len(rows), len(reverse))
	t.Logf("\n%s%s", tab.String(), summary)
	if dir := os.Getenv("PEER_REPORT"); dir != "" {
		path := filepath.Join(dir, "peer-bpftrace.txt")
		text := fmt.Sprintf("# %s (%s)\n\n%s\n%s\n", tool.Version, how, tab.String(), summary)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Error(err)
		} else {
			t.Logf("table: %s", path)
		}
	}
	for _, r := range reverse {
		t.Errorf("usdtspec fails where bpftrace is right: %s", r)
	}
	// A harness that sees no hits would find bpftrace wrong everywhere
	// and the reverse empty: it must have seen bpftrace read some right.
	if btProbesOK == 0 {
		t.Errorf("bpftrace read no probe right in %d builds: the harness is broken", len(rows))
	}
}

// readCases reads cases.list (and each build's .libs), keeping the
// builds PEER_CASES matches.
func readCases(t *testing.T) []conformance.Case {
	list := filepath.Join(repoRoot, "build/conformance/cases.list")
	f, err := os.Open(list)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var re *regexp.Regexp
	if s := os.Getenv("PEER_CASES"); s != "" {
		re = regexp.MustCompile(s)
	}
	var cases []conformance.Case
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		exe := strings.TrimSpace(sc.Text())
		if exe == "" || re != nil && !re.MatchString(filepath.Base(exe)) {
			continue
		}
		c := conformance.Case{Executable: filepath.Join(repoRoot, exe)}
		if b, err := os.ReadFile(c.Executable + ".libs"); err == nil {
			for _, l := range strings.Fields(string(b)) {
				c.Libraries = append(c.Libraries, filepath.Join(repoRoot, l))
			}
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func usdtspecCell(r *conformance.Result) string {
	if r.Passed {
		s := "ok"
		if len(r.Limits) > 0 {
			s += fmt.Sprintf(" (%d hardware-limit args)", len(r.Limits))
		}
		return s
	}
	s := fmt.Sprintf("FAIL %d: %s", len(r.Failures), r.Failures[0])
	if r.Known != "" {
		s = "known " + s
	}
	return s
}

// usdtspecFailing maps the probes usdtspec got wrong to its first
// failure; "" stands for every probe (a failure not tied to one: the
// case did not run, or hits and lines fell out of step).
func usdtspecFailing(r *conformance.Result) map[string]string {
	m := map[string]string{}
	for _, f := range r.Failures {
		key := f.Probe
		if f.Probe == r.Case || strings.HasPrefix(f.Reason, "probe differs") {
			key = ""
		}
		if _, seen := m[key]; !seen {
			m[key] = f.String()
		}
	}
	return m
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
