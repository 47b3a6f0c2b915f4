package consumer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/usdtspec/usdtspec/conformance"
)

var testProbes = []ProbeInfo{
	{Provider: "p", Name: "ok", Operands: [][]string{{"-4@%edi"}, {"8@%rsi", "8@(%rax)"}}},
	{Provider: "p", Name: "bad", Operands: [][]string{{"-1@%ah"}}},
	{Provider: "p", Name: "off", Operands: [][]string{{"4@%eax"}}},
	{Provider: "p", Name: "sema"},
	{Provider: "p", Name: "err", Operands: [][]string{{"8f@%xmm0"}}},
	{Provider: "p", Name: "extra", Operands: [][]string{{"4@%eax"}}},
	{Provider: "p", Name: "silent"},
}

func TestCompare(t *testing.T) {
	lines := []conformance.Line{
		{Probe: "p:ok", Tokens: []string{"-1", "7"}},
		{Probe: "p:bad", Tokens: []string{"-128"}},
		{Probe: "p:off", Tokens: []string{"5"}},
		{Probe: "p:ok", Tokens: []string{"2", "*"}},
		{Probe: "p:sema"},
		{Probe: "p:sema"},
		{Probe: "p:err", Tokens: []string{"1"}},
		{Probe: "p:extra", Tokens: []string{"1"}},
	}
	hits := []Hit{
		{Probe: "p:ok", Values: []Value{{V: 0xffffffffffffffff}, {V: 7}}},
		{Probe: "p:bad", Values: []Value{{V: 0x80}}},
		{Probe: "p:ok", Values: []Value{{V: 2}, {V: 99}}},
		{Probe: "p:sema"},
		{Probe: "p:err", Values: []Value{{Err: "bpf_usdt_arg: error -22"}}},
		{Probe: "p:extra", Values: []Value{{V: 1}}},
		{Probe: "p:extra", Values: []Value{{V: 1}}},
		{Probe: "q:stray"},
	}
	got := Compare(testProbes, map[string]string{"p:off": "usdt: unrecognized register '%eax'"}, hits, lines)
	want := []Probe{
		{Probe: "p:ok", Outcome: Right, Hits: 2, Lines: 2, Args: []Arg{
			{Index: 0, Operand: "-4@%edi", Expected: "-1 (0xffffffffffffffff)", Decoded: "18446744073709551615 (0xffffffffffffffff)"},
			{Index: 1, Operand: "8@%rsi | 8@(%rax)", Expected: "7 (0x7)", Decoded: "7 (0x7)"}}},
		{Probe: "p:bad", Outcome: Wrong, Hits: 1, Lines: 1, Message: "hit 1: arg #0 -1@%ah: got 0x80, want 0xffffffffffffff80",
			Args: []Arg{{Index: 0, Operand: "-1@%ah", Expected: "-128", Decoded: "128 (0x80)", Outcome: Wrong, Message: "got 0x80, want 0xffffffffffffff80"}}},
		{Probe: "p:off", Outcome: Refused, Lines: 1, Message: "usdt: unrecognized register '%eax'",
			Args: []Arg{{Index: 0, Operand: "4@%eax", Expected: "5", Outcome: Refused}}},
		{Probe: "p:sema", Outcome: NotFired, Hits: 1, Lines: 2, Message: "fired 1 times of 2"},
		{Probe: "p:err", Outcome: Refused, Hits: 1, Lines: 1, Message: "arg #0 8f@%xmm0: bpf_usdt_arg: error -22",
			Args: []Arg{{Index: 0, Operand: "8f@%xmm0", Expected: "1", Decoded: "error: bpf_usdt_arg: error -22", Outcome: Refused, Message: "bpf_usdt_arg: error -22"}}},
		{Probe: "p:extra", Outcome: Wrong, Hits: 2, Lines: 1, Message: "2 hits for 1 lines: hits the probe did not make",
			Args: []Arg{{Index: 0, Operand: "4@%eax", Expected: "1 (0x1)", Decoded: "1 (0x1)"}}},
		{Probe: "q:stray", Outcome: Wrong, Hits: 1, Message: "1 hits and 0 lines of a probe not in the case's files"},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	r := &Result{Probes: got}
	if c := r.Counts(); c != (Counts{Right: 1, Wrong: 3, Refused: 2, NotFired: 1}) {
		t.Errorf("Counts = %+v", c)
	}
}

func TestCompareNotFired(t *testing.T) {
	got := Compare(testProbes[:1], nil, nil, []conformance.Line{{Probe: "p:ok", Tokens: []string{"1", "2"}}})
	if len(got) != 1 || got[0].Outcome != NotFired || got[0].Args[1].Expected != "2" {
		t.Errorf("Compare with no hits = %+v", got)
	}
}

func TestOutcomeJSON(t *testing.T) {
	b, err := json.Marshal([]Outcome{Right, NotFired, Refused, Wrong})
	if err != nil || string(b) != `["right","not fired","refused","wrong"]` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var o []Outcome
	if err := json.Unmarshal(b, &o); err != nil || len(o) != 4 || o[3] != Wrong {
		t.Errorf("Unmarshal = %v, %v", o, err)
	}
	if err := json.Unmarshal([]byte(`["bogus"]`), &o); err == nil {
		t.Error("Unmarshal of an unknown outcome: no error")
	}
}

func TestParseLibbpf(t *testing.T) {
	out := "libbpf\t1.7\nattached\t0\nrefused\t1\t22\tlibbpf: usdt: unrecognized register 'ah'\nready\n" +
		"hit\t99\t0\t2\t-1:0 7:0 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2\n" +
		"hit\t12\t0\t2\t5:0 5:0 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2\n" +
		"hit\t99\t0\t2\t3:0 0:-22 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2 0:-2\n"
	refused, hits, err := parseLibbpf([]byte(out), testProbes, 99)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"p:bad": "libbpf: usdt: unrecognized register 'ah'"}, refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	want := []Hit{
		{Probe: "p:ok", Values: []Value{{V: 0xffffffffffffffff}, {V: 7}}},
		{Probe: "p:ok", Values: []Value{{V: 3}, {Err: "bpf_usdt_arg: error -22"}}},
	}
	if diff := cmp.Diff(want, hits); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if _, _, err := parseLibbpf([]byte("hit\t99\t42\t1\t1:0\n"), testProbes, 99); err == nil {
		t.Error("a probe index out of range: no error")
	}
}

func TestParseBcc(t *testing.T) {
	out := "bcc\t0.26.0\nrefused\t3\tFailed to enable USDT probe 'p:sema':\nready\n" +
		"hit\t7\t0\t200\t2:0 9:0\nhit\t7\t0\t100\t-1:0 7:0\nhit\t8\t0\t50\t0:0 0:0\nhit\t7\t6\t300\t\n"
	refused, hits, err := parseBcc([]byte(out), testProbes, 7)
	if err != nil {
		t.Fatal(err)
	}
	if refused["p:sema"] != "Failed to enable USDT probe 'p:sema':" || len(refused) != 1 {
		t.Errorf("refused = %v", refused)
	}
	// In time order, whatever the order of the CPUs' buffers.
	want := []Hit{
		{Probe: "p:ok", Values: []Value{{V: 0xffffffffffffffff}, {V: 7}}},
		{Probe: "p:ok", Values: []Value{{V: 2}, {V: 9}}},
		{Probe: "p:silent"},
	}
	if diff := cmp.Diff(want, hits); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
}

func TestOperandSize(t *testing.T) {
	for _, c := range []struct {
		op     string
		size   int
		signed bool
	}{{"-4@%edi", 4, true}, {"8@%rsi", 8, false}, {"-1@%ah", 1, true}, {"8f@%rbx", 8, false}, {"-2@(%rax,%rdi,2)", 2, true}, {"%rax", 8, false}} {
		if n, s := operandSize(c.op); n != c.size || s != c.signed {
			t.Errorf("operandSize(%q) = %d, %v; want %d, %v", c.op, n, s, c.size, c.signed)
		}
	}
}

func TestFromConformance(t *testing.T) {
	lines := []conformance.Line{{Probe: "p:ok", Tokens: []string{"1", "2"}}, {Probe: "p:bad", Tokens: []string{"-1"}},
		{Probe: "p:off", Tokens: []string{"3"}}, {Probe: "p:err", Tokens: []string{"1"}}, {Probe: "p:sema"}}
	r := &conformance.Result{Case: "c", Failures: []conformance.Failure{
		{Hit: 2, Probe: "p:bad", Arg: 0, Operand: "-1@%ah", Got: "128 (0x80)", Want: "-1 (0xffffffffffffffff)", Reason: "value differs"},
		{Probe: "p:off", Arg: -1, Reason: "attach failed: usdt: no spec"},
		{Hit: 5, Probe: "p:sema", Arg: -1, Reason: "line with no hit: the probe did not fire or was not attached"},
	}, Limits: []conformance.Failure{{Hit: 4, Probe: "p:err", Arg: 0, Got: "error -22", Reason: "hardware limit: reg u64 float"}}}
	got := fromConformance(testProbes, lines, r)
	outcomes := map[string]Outcome{}
	for _, p := range got {
		outcomes[p.Probe] = p.Outcome
	}
	want := map[string]Outcome{"p:ok": Right, "p:bad": Wrong, "p:off": Refused, "p:err": Refused, "p:sema": NotFired}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	for _, p := range got {
		if p.Probe == "p:bad" && (p.Args[0].Decoded != "128 (0x80)" || !strings.Contains(p.Message, "value differs")) {
			t.Errorf("p:bad = %+v", p)
		}
	}
}

func TestExpand(t *testing.T) {
	got, err := Expand([]string{"bcc,libbpf", "all"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bcc", "libbpf", "usdtspec", "libbpf-1.1", "bpftrace"}, got); diff != "" {
		t.Errorf("Expand (-want +got):\n%s", diff)
	}
	if _, err := Expand([]string{"dtrace"}); err == nil || !strings.Contains(err.Error(), "unknown consumer") {
		t.Errorf("Expand(dtrace): %v", err)
	}
}

func TestNotInstalled(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, cmd string }{{"libbpf", InstallLibbpf}, {"libbpf-1.1", InstallLibbpf}, {"bpftrace", InstallBpftrace}} {
		_, err := Open(c.name, Config{Cache: dir})
		if err == nil || !strings.Contains(err.Error(), c.cmd) || !strings.Contains(err.Error(), ErrNotInstalled.Error()) {
			t.Errorf("Open(%s) in an empty cache: %v; want %q naming %q", c.name, err, ErrNotInstalled, c.cmd)
		}
	}
	if _, err := Open("nosuch", Config{Cache: dir}); err == nil {
		t.Error("Open(nosuch): no error")
	}
}
