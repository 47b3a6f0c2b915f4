package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrace1M: `usdtspec trace --json -o FILE -- PROG` on 1,000,000 hits
// of one probe loses none in silence: every hit written is the loop
// counter the program passed, in order, and hits written + hits the
// summary reports dropped = hits the program says it fired (a run with
// drops also exits 1). The bench target times the same run.
func TestTrace1M(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF and attaching uprobes needs root")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed: the traced program is built from testdata/traceloop.c")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "traceloop")
	if err := buildLoop("../testdata/traceloop.c", prog); err != nil {
		if strings.Contains(err.Error(), "sdt.h") {
			t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %v", err)
		}
		t.Fatal(err)
	}
	cli := filepath.Join(dir, "usdtspec")
	if out, err := exec.Command("go", "build", "-o", cli, "github.com/usdtspec/usdtspec/cmd/usdtspec").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	start := time.Now()
	r, err := runUsdtspec(cli, prog, 1_000_000, filepath.Join(dir, "hits.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.fired != 1_000_000 {
		t.Errorf("the program fired %d hits, want 1000000", r.fired)
	}
	t.Logf("%d fired, %d written, %d dropped (reported), %.0f written/s, in %v", r.fired, r.written, r.dropped, r.rate(), time.Since(start).Round(time.Millisecond))
}

// TestCheckSequence: the check of a tracer's output rejects a repeated,
// swapped or out-of-range loop counter, and takes gaps (dropped hits).
func TestCheckSequence(t *testing.T) {
	for _, tc := range []struct {
		values []int64
		ok     bool
	}{
		{[]int64{0, 1, 2, 3}, true},
		{[]int64{0, 2, 7}, true},
		{nil, true},
		{[]int64{0, 1, 1, 2}, false},
		{[]int64{0, 2, 1}, false},
		{[]int64{-1, 0}, false},
		{[]int64{0, 8}, false},
	} {
		if err := checkSequence(tc.values, 8); (err == nil) != tc.ok {
			t.Errorf("checkSequence(%v, 8): %v, want ok %v", tc.values, err, tc.ok)
		}
	}
}

// TestParseFired reads traceloop's line and rejects anything else.
func TestParseFired(t *testing.T) {
	var r result
	if err := parseFired([]byte("fired 1000 12345 678\n"), &r); err != nil || r.fired != 1000 || r.loopStart != 12345 || r.loopNs != 678 {
		t.Errorf("parseFired: %+v, %v", r, err)
	}
	if err := parseFired([]byte("fired 1000 x 678\n"), &r); err == nil {
		t.Error("parseFired took a bad start time")
	}
	if err := parseFired([]byte("nothing\n"), &r); err == nil {
		t.Error("parseFired took no line")
	}
}
