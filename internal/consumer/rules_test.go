package consumer_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/conformance"
	"github.com/usdtspec/usdtspec/internal/consumer"
)

// The expected outcome of every probe under every consumer, from what the
// consumers are documented (or their source says) to read, never from a
// run of the code under test. unknown: no rule; any outcome but wrong or
// not fired is accepted.
const unknown consumer.Outcome = -1

// libbpfRegs are the x86-64 register names of libbpf's usdt.c
// (calc_pt_regs_off): every general register by its 64-, 32-, 16- and low
// 8-bit names, and rip. The high-byte registers (%ah ...) are not there.
var libbpfRegs = func() string {
	names := []string{"rip", "eip"}
	for _, r := range []string{"ax", "bx", "cx", "dx"} {
		names = append(names, "r"+r, "e"+r, r, r[:1]+"l")
	}
	for _, r := range []string{"si", "di", "bp", "sp"} {
		names = append(names, "r"+r, "e"+r, r, r+"l")
	}
	for i := 8; i <= 15; i++ {
		n := fmt.Sprint("r", i)
		names = append(names, n, n+"d", n+"w", n+"b")
	}
	return "(?:" + strings.Join(names, "|") + ")"
}()

var (
	// libbpf's parse_usdt_arg (x86): "N@%reg", "N@D(%reg)", "N@(%reg)",
	// "N@$imm", N one of ±1, 2, 4, 8 (no "f": floats are refused).
	libbpfBasic = regexp.MustCompile(`^-?[1248]@(?:%` + libbpfRegs + `|-?\d+\(%` + libbpfRegs + `\)|\(%` + libbpfRegs + `\)|\$-?\d+)$`)
	// Newer libbpf (1.7; not 1.1) reads base+index*scale: "N@D(%base,%index,S)", with D
	// and ",S" optional.
	libbpfSIB = regexp.MustCompile(`^-?[1248]@(?:-?\d+)?\(%` + libbpfRegs + `,%` + libbpfRegs + `(?:,[1248])?\)$`)
)

// libbpfWindow: libbpf 1.7 (usdt.c, parse_usdt_arg) tries its base+index patterns first, on the
// rest of the argument string, reading the base register with
// "%%%15[^,]": up to 15 characters that are not a comma. A "D(%reg)"
// operand whose next comma, in a later operand, is within those 15
// characters and followed by "%" is read as one base+index operand with a
// base register like "rax) -4@40(%rdi", which libbpf then refuses
// ("unrecognized register").
func libbpfWindow(rest string) bool {
	i := strings.Index(rest, "(%")
	if i < 0 {
		return false
	}
	after := rest[i+2:]
	j := strings.IndexByte(after, ',')
	k := strings.IndexByte(after, ')')
	return j > k && k >= 0 && j <= 15 && strings.HasPrefix(after[j+1:], "%")
}

// libbpfRule: libbpf attaches a probe when it parses every operand of
// every call site, and then reads it right; else it refuses the probe.
// bpftrace 0.27 reads arguments through its libbpf (1.7): the same,
// except that libbpf's default of 256 spec ids per program refuses a
// probe with more distinct argument strings (E2BIG; the libbpf harness
// raises it to 4096).
func libbpfRule(sib, specLimit bool) func(p *consumer.ProbeInfo, sites []string) consumer.Outcome {
	return func(p *consumer.ProbeInfo, sites []string) consumer.Outcome {
		if specLimit && len(sites) > 256 {
			return consumer.Refused
		}
		for _, args := range sites {
			ops := strings.Fields(args)
			for i, op := range ops {
				if sib && libbpfWindow(strings.Join(ops[i:], " ")) {
					return consumer.Refused
				}
				if !libbpfBasic.MatchString(op) && !(sib && libbpfSIB.MatchString(op)) {
					return consumer.Refused
				}
			}
		}
		return consumer.Right
	}
}

var (
	bccFloat    = regexp.MustCompile(`^-?\d+f@`)
	bccNoSymbol = regexp.MustCompile(`@GOTPCREL|%[a-z]s:|%[abcd]h\b`)
	bccPlain    = regexp.MustCompile(`^-?[1248]@(?:%[a-z0-9]+|-?\d*\(%[a-z0-9]+(?:,%[a-z0-9]+(?:,[1248])?)?\)|\$-?\d+)$`)
)

// bccRule: bcc (0.26) enables a probe with a semaphore only in a given
// process (USDT(pid=...)); a run over a file, as here, refuses it. Its
// x86 parser has no float size ("4f@"), no GOT or thread-pointer
// operands and no high-byte registers: such probes are refused (as
// a failed enable or a program the kernel rejects). Registers, D(%reg),
// base+index and immediates it reads right. Symbolic operands: no rule.
func bccRule(p *consumer.ProbeInfo, sites []string, sema bool) consumer.Outcome {
	if sema {
		return consumer.Refused
	}
	out := consumer.Right
	for _, args := range sites {
		for _, op := range strings.Fields(args) {
			switch {
			case bccFloat.MatchString(op), bccNoSymbol.MatchString(op):
				return consumer.Refused
			case !bccPlain.MatchString(op):
				out = unknown
			}
		}
	}
	// A probe with several argument strings: bcc's code picks the call
	// site by the instruction pointer, against addresses it knows without
	// a process only for non-PIE files: no rule.
	if len(sites) > 1 {
		return unknown
	}
	return out
}

// TestConsumers runs the bundled cases (the gcc -O2 PIE build of each, or
// CONSUMER_CASES_RE) under every consumer installed, and checks every
// probe's outcome against the rules above; it fails when a consumer
// judged fewer probes than the case printed (a consumer silently not
// run), or read none right. A consumer not installed skips its subtest,
// with the command that installs it, unless CONSUMER_REQUIRE=1.
func TestConsumers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the consumers attach uprobes: needs root")
	}
	// Minutes of runs: make consumers (part of make test) runs it once,
	// with every consumer built first, rather than every go test ./....
	if os.Getenv("CONSUMER_REQUIRE") == "" && os.Getenv("CONSUMER_RUN") == "" {
		t.Skip("set CONSUMER_RUN=1 (make consumers runs it, with CONSUMER_REQUIRE=1)")
	}
	cases := readCases(t)
	type rule func(p *consumer.ProbeInfo, sites []string, sema bool, c conformance.Case) consumer.Outcome
	lib := func(sib, limit bool) rule {
		r := libbpfRule(sib, limit)
		return func(p *consumer.ProbeInfo, sites []string, _ bool, _ conformance.Case) consumer.Outcome {
			return r(p, sites)
		}
	}
	rules := map[string]rule{
		// usdtspec reads every operand but those no spec can express
		// (the known-failure cases: refused, or not fired when the
		// compiler kept them out of the note).
		"usdtspec": func(p *consumer.ProbeInfo, sites []string, _ bool, c conformance.Case) consumer.Outcome {
			if c.KnownFailure() != "" {
				return unknown
			}
			return consumer.Right
		},
		"libbpf":     lib(true, false),
		"libbpf-1.1": lib(false, false),
		"bpftrace":   lib(true, true),
		"bcc": func(p *consumer.ProbeInfo, sites []string, sema bool, _ conformance.Case) consumer.Outcome {
			return bccRule(p, sites, sema)
		},
	}
	for _, name := range consumer.Names() {
		t.Run(name, func(t *testing.T) {
			if os.Getenv("CONSUMER_REQUIRE") != "" {
				if _, err := consumer.Open(name, consumerConfig()); err != nil {
					t.Fatalf("%v", err)
				}
			}
			results := runMatrix(t, name, cases)
			if len(results) != len(cases) {
				t.Errorf("%d results for %d cases", len(results), len(cases))
			}
			var total consumer.Counts
			for i, r := range results {
				c := cases[i]
				if r.Case != c.Name() {
					t.Fatalf("result %d is for %s, want %s", i, r.Case, c.Name())
				}
				if r.Error != "" {
					t.Errorf("%s: did not run: %s", r.Case, r.Error)
					continue
				}
				checkCase(t, name, c, r, rules[name])
				total.Plus(r.Counts())
			}
			t.Logf("%s: %s", name, total)
			if total.Right == 0 {
				t.Errorf("%s read no probe right: not run?", name)
			}
		})
	}
}

// checkCase checks every probe the case prints against the rule.
func checkCase(t *testing.T, name string, c conformance.Case, r *consumer.Result, rule func(*consumer.ProbeInfo, []string, bool, conformance.Case) consumer.Outcome) {
	t.Helper()
	probes, sites, sema, printed := caseFacts(t, c)
	for i := range probes {
		p := &probes[i]
		key := p.Key()
		if !printed[key] {
			continue
		}
		got := r.Find(key)
		if got == nil {
			t.Errorf("%s %s: no verdict on %s, which the case prints: silently not run", name, c.Name(), key)
			continue
		}
		want := rule(p, sites[key], sema[key], c)
		switch {
		case got.Outcome == consumer.Wrong:
			t.Errorf("%s %s %s: WRONG: %s", name, c.Name(), key, got.Message)
		case want == unknown:
			if got.Outcome == consumer.NotFired && c.KnownFailure() == "" {
				t.Errorf("%s %s %s: not fired: %s", name, c.Name(), key, got.Message)
			}
		case got.Outcome != want:
			t.Errorf("%s %s %s (%s): %v, want %v by the consumer's rules: %s", name, c.Name(), key,
				strings.Join(sites[key], " | "), got.Outcome, want, got.Message)
		}
	}
}

// caseFacts reads a case's files: its probes, each probe's distinct
// argument strings, whether a semaphore guards it; and runs the case,
// untraced, for the probes it prints.
func caseFacts(t *testing.T, c conformance.Case) (probes []consumer.ProbeInfo, sites map[string][]string, sema, printed map[string]bool) {
	t.Helper()
	files := append([]string{c.Executable}, c.Libraries...)
	probes, err := consumer.Probes(files)
	if err != nil {
		t.Fatal(err)
	}
	sites, sema, printed = map[string][]string{}, map[string]bool{}, map[string]bool{}
	for _, path := range files {
		f, err := compiler.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range f.CallSites {
			key := cs.Provider + ":" + cs.Name
			if !slices.Contains(sites[key], cs.Args) {
				sites[key] = append(sites[key], cs.Args)
			}
			sema[key] = sema[key] || cs.SemaphoreOffset != 0
		}
	}
	out, err := exec.Command(c.Executable).Output()
	if err != nil {
		t.Fatalf("%s: %v", c.Name(), err)
	}
	lines, err := conformance.ParseLines(out)
	if err != nil {
		t.Fatalf("%s: %v", c.Name(), err)
	}
	for _, l := range lines {
		printed[l.Probe] = true
	}
	return probes, sites, sema, printed
}

// TestLibbpfRules pins the rules on operands whose fate libbpf's
// parse_usdt_arg (usdt.c's sscanf patterns) decides by hand.
func TestLibbpfRules(t *testing.T) {
	v17, v11 := libbpfRule(true, false), libbpfRule(false, false)
	for _, c := range []struct {
		args     string
		v17, v11 consumer.Outcome
	}{
		{"-4@%edi 8@%rsi -1@%dil 2@%r15w", consumer.Right, consumer.Right},
		{"-8@-16(%rbp) 4@(%rax) 8@$-1", consumer.Right, consumer.Right},
		{"-4@40(%rdi,%rsi,4)", consumer.Right, consumer.Refused},
		{"-1@(%rdi,%r8)", consumer.Right, consumer.Refused},
		{"8f@%rbx", consumer.Refused, consumer.Refused},
		{"-1@%ah", consumer.Refused, consumer.Refused},
		{"-4@g_int(%rip)", consumer.Refused, consumer.Refused},
		{"8@shlib_global@GOTPCREL(%rip)", consumer.Refused, consumer.Refused},
		{"-4@%fs:t_int@tpoff", consumer.Refused, consumer.Refused},
		// The 15-character window: "rax) -4@40(%rdi" is 15 characters.
		{"-8@8(%rax) 2@208(%rax) -4@40(%rdi,%rsi,4)", consumer.Refused, consumer.Refused},
		// 17 characters before the comma: out of the window.
		{"2@208(%rax) -4@1040(%rdi,%rsi,4)", consumer.Right, consumer.Refused},
	} {
		if got := v17(nil, []string{c.args}); got != c.v17 {
			t.Errorf("libbpf 1.7 on %q: %v, want %v", c.args, got, c.v17)
		}
		if got := v11(nil, []string{c.args}); got != c.v11 {
			t.Errorf("libbpf 1.1 on %q: %v, want %v", c.args, got, c.v11)
		}
	}
}
