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
	"github.com/usdtspec/usdtspec/internal/consumer"
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

// repoRoot is where cases.list's relative paths start.
const repoRoot = "../.."

// TestPeer runs every native conformance build (build/conformance/
// cases.list) under bpftrace and under usdtspec, both as consumers of
// internal/consumer (which pairs hits with lines for every consumer),
// prints the table (case | bpftrace | usdtspec), and fails where usdtspec
// does not read right a probe that bpftrace reads right.
//
// Environment: PEER_DIR (setup.sh's output, holding sid-root) or
// PEER_BPFTRACE=host (the host's bpftrace; the test skips without either), PEER_CASES (a regexp on
// the build names; default all), PEER_JOBS (cases at a time; default the CPUs),
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
		// make peer made the root and set PEER_DIR: a bpftrace that
		// does not run there is a failure, not a reason to skip.
		t.Fatalf("%v (make peer-root makes the root)", err)
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
	bt := consumer.Bpftrace(tool)
	us, err := consumer.Open("usdtspec", consumer.Config{})
	if err != nil {
		t.Fatal(err)
	}

	jobs := runtime.NumCPU()
	if n, err := strconv.Atoi(os.Getenv("PEER_JOBS")); err == nil && n > 0 {
		jobs = n
	}
	type row struct {
		c      conformance.Case
		bt, us *consumer.Result
		err    error
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
				r.bt, r.err = bt.Run(ctx, r.c)
				if r.err == nil {
					r.us, r.err = us.Run(ctx, r.c)
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
		btTotal, usTotal consumer.Counts
		reverse          []string
	)
	for _, r := range rows {
		if r.err != nil {
			t.Errorf("%s: %v", r.c.Name(), r.err)
			fmt.Fprintf(tw, "%s\t(harness error)\t%v\n", r.c.Name(), r.err)
			continue
		}
		btTotal.Plus(r.bt.Counts())
		usTotal.Plus(r.us.Counts())
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.c.Name(), clip(cell(r.bt), 150), clip(cell(r.us), 150))
		for _, p := range r.bt.Probes {
			if p.Outcome != consumer.Right {
				continue
			}
			switch q := r.us.Find(p.Probe); {
			case r.us.Error != "":
				reverse = append(reverse, fmt.Sprintf("%s %s: bpftrace reads it right, usdtspec did not run: %s", r.c.Name(), p.Probe, r.us.Error))
			case q == nil:
				reverse = append(reverse, fmt.Sprintf("%s %s: bpftrace reads it right, usdtspec judged no such probe", r.c.Name(), p.Probe))
			case q.Outcome != consumer.Right:
				reverse = append(reverse, fmt.Sprintf("%s %s: bpftrace reads it right, usdtspec: %s: %s", r.c.Name(), p.Probe, q.Outcome, q.Message))
			}
		}
	}
	tw.Flush()
	summary := fmt.Sprintf("%s: %s; usdtspec: %s; %d builds; usdtspec not right where bpftrace is right: %d probes",
		tool.Version, btTotal, usTotal, len(rows), len(reverse))
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
	if btTotal.Right == 0 {
		t.Errorf("bpftrace read no probe right in %d builds: the harness is broken", len(rows))
	}
}

// cell is a table cell: the counts, and the first probe not right.
func cell(r *consumer.Result) string {
	if r.Error != "" {
		return "did not run: " + r.Error
	}
	s := r.Counts().String()
	for _, p := range r.Probes {
		if p.Outcome != consumer.Right {
			return fmt.Sprintf("%s; %s %s: %s", s, p.Outcome, p.Probe, p.Message)
		}
	}
	return s
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

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
