package report

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"context"

	"github.com/usdtspec/usdtspec/internal/consumer"
)

// sample is a run of two consumers on two cases, written by hand.
func sample() *Report {
	return &Report{
		Consumers: []Consumer{{Name: "usdtspec", Version: "usdtspec (conformance.Run)"}, {Name: "libbpf", Version: "libbpf 1.7.0-1"},
			{Name: "bcc", Error: "bcc: consumer not installed: no python3-bpfcc (`make deps`)"}},
		Results: []*consumer.Result{
			{Consumer: "usdtspec", Case: "floats-gcc-O2-pie", Probes: []consumer.Probe{
				{Probe: "floats:f32", Outcome: consumer.Right, Hits: 2, Lines: 2, Args: []consumer.Arg{{Index: 0, Operand: "4f@%r13d", Expected: "0 (0x0)", Decoded: "0 (0x0)"}}},
				{Probe: "floats:f64", Outcome: consumer.Right, Hits: 2, Lines: 2}}},
			{Consumer: "usdtspec", Case: "ints-gcc-O2-pie", Probes: []consumer.Probe{
				{Probe: "ints:char", Outcome: consumer.Right, Hits: 1, Lines: 1}}},
			{Consumer: "libbpf", Case: "floats-gcc-O2-pie", Probes: []consumer.Probe{
				{Probe: "floats:f32", Outcome: consumer.Refused, Lines: 2, Message: "libbpf: usdt: unrecognized arg #0 spec '4f@%r13d 4f@%r12d'",
					Args: []consumer.Arg{{Index: 0, Operand: "4f@%r13d", Expected: "0", Outcome: consumer.Refused}}},
				{Probe: "floats:f64", Outcome: consumer.Refused, Lines: 2, Message: "libbpf: usdt: unrecognized arg #0 spec '8f@%r13'"}}},
			{Consumer: "libbpf", Case: "ints-gcc-O2-pie", Probes: []consumer.Probe{
				{Probe: "ints:char", Outcome: consumer.Wrong, Hits: 1, Lines: 1, Message: "hit 1: arg #0 -1@%dil: got 0x80, want 0xffffffffffffff80",
					Args: []consumer.Arg{{Index: 0, Operand: "-1@%dil", Expected: "-128", Decoded: "128 (0x80)", Outcome: consumer.Wrong, Message: "got 0x80, want 0xffffffffffffff80"}}}}},
		},
		Cases: []string{"floats-gcc-O2-pie", "ints-gcc-O2-pie"},
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 4 || back.Results[3].Probes[0].Outcome != consumer.Wrong || back.Results[3].Probes[0].Args[0].Decoded != "128 (0x80)" {
		t.Errorf("report.json does not round-trip: %+v", back.Results)
	}
	if back.Totals["libbpf"] != (consumer.Counts{Wrong: 1, Refused: 2}) || back.Totals["usdtspec"] != (consumer.Counts{Right: 3}) {
		t.Errorf("totals = %+v", back.Totals)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| case | usdtspec | libbpf | bcc |",
		"| floats-gcc-O2-pie | 2/0/0/0 | 0/0/2/0 | — |",
		"| ints-gcc-O2-pie | 1/0/0/0 | 0/1/0/0 | — |",
		"| **total** | **3/0/0/0** | **0/1/2/0** | **0/0/0/0** |",
		"- **bcc**: did not run: bcc: consumer not installed",
		"## wrong (1 probes)",
		"| libbpf | ints-gcc-O2-pie | ints:char | hit 1: arg #0 -1@%dil: got 0x80, want 0xffffffffffffff80 |",
		"## refused (2 probes)",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md has no %q:\n%s", want, md)
		}
	}
	// Wrong is listed before refused.
	if strings.Index(string(md), "## wrong") > strings.Index(string(md), "## refused") {
		t.Error("report.md lists refused before wrong")
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing fetched.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import|https?://`).Find(page); m != nil {
		t.Errorf("report.html refers to something outside it: %q", m)
	}
	for _, want := range []string{
		`data-consumer="libbpf" data-case="ints-gcc-O2-pie" data-sort="1000000"`,
		`>0/1/0/0</td>`, `class="cell wrong"`, `class="cell refused"`, `class="cell right"`,
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html has no %q", want)
		}
	}
}

// TestHTMLInBrowser opens report.html in headless Chromium: the script
// must run (body data-ready), sort the table by a consumer's column with
// the worst case first, and open a cell's per-argument details; a
// screenshot is kept in the test's artifact directory (go test -artifacts).
func TestHTMLInBrowser(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium: apt-get install chromium (make deps)")
	}
	dir := t.TempDir()
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.Join(dir, "report.html") + "#cell=libbpf/ints-gcc-O2-pie;sort=libbpf"
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,900"}
	run := func(extra ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, browser, append(append(args, extra...), url)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", browser, err, stderr.String())
		}
		return out
	}
	dom := string(run("--dump-dom"))
	if !strings.Contains(dom, `data-ready="1"`) {
		t.Fatalf("the page's script did not run:\n%s", dom)
	}
	for _, want := range []string{
		`<h2 id="details-title">libbpf on ints-gcc-O2-pie</h2>`,
		"-1@%dil", "128 (0x80)", "wrong: got 0x80, want 0xffffffffffffff80", `class="cell wrong open"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page has no %q", want)
		}
	}
	// Sorted by libbpf, worst first: ints (1 wrong) before floats (refused).
	if i, f := strings.Index(dom, `<td class="case">ints-gcc-O2-pie`), strings.Index(dom, `<td class="case">floats-gcc-O2-pie`); i < 0 || f < 0 || i > f {
		t.Errorf("rows not sorted by libbpf's column, worst first (ints at %d, floats at %d)", i, f)
	}
	shot := filepath.Join(t.ArtifactDir(), "report.png")
	run("--screenshot=" + shot)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10000 {
		t.Errorf("screenshot %s: %d bytes, not a page's PNG", shot, len(png))
	}
	t.Logf("screenshot: %s", shot)
}
