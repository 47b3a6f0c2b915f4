package usdt

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/google/go-cmp/cmp"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/amd64"
	"github.com/usdtspec/usdtspec/compiler"
)

// TestAttachPoint: only a nop combo of the form the kernel optimizes
// moves, and then a PC-relative argument follows it, in a copy.
func TestAttachPoint(t *testing.T) {
	args := []compiler.Argument{
		{Arg: arch.Arg{Text: "-8@%rdi", Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Reg, Base: arch.Register{Name: "rdi", Offset: 112}}}},
		{Arg: arch.Arg{Text: "-8@counter(%rip)", Size: 8, Signed: true, Operand: arch.Operand{Kind: arch.Deref, Base: arch.Register{Name: "rip", Offset: 128},
			Offset: 0x2cea, Symbol: "counter", PCRelative: true}}, SymbolAddress: 0x4030},
	}
	shifted := append([]compiler.Argument(nil), args...)
	shifted[1].Offset = 0x2ce9
	nop5 := arch.Code{Insn: "nop", Combo: "nop+nop5", Shift: 1}
	nop10 := arch.Code{Insn: "nop", Combo: "nop+nop10", Shift: 1}
	tests := []struct {
		name      string
		site      arch.Code
		optimized string
		wantShift uint64
		wantArgs  []compiler.Argument
	}{
		{"plain nop", arch.Code{Insn: "nop"}, "nop+nop5", 0, args},
		{"nop5 on a nop5 kernel", nop5, "nop+nop5", 1, shifted},
		{"nop10 on a nop10 kernel", nop10, "nop+nop10", 1, shifted},
		// A kernel optimizes one form only: the other stays on its nop.
		{"nop10 on a nop5 kernel", nop10, "nop+nop5", 0, args},
		{"nop5 on a nop10 kernel", nop5, "nop+nop10", 0, args},
		{"nop5 without the uprobe syscall", nop5, "", 0, args},
		{"unreadable site", arch.Code{Err: compiler.ErrSiteUnreadable}, "nop+nop5", 0, args},
	}
	for _, tt := range tests {
		p := compiler.CallSite{PC: 0x1336, Code: &tt.site, Arguments: args}
		shift, got := attachPoint(&p, tt.optimized)
		if shift != tt.wantShift {
			t.Errorf("%s: shift %d, want %d", tt.name, shift, tt.wantShift)
		}
		if diff := cmp.Diff(tt.wantArgs, got); diff != "" {
			t.Errorf("%s: arguments (-want +got):\n%s", tt.name, diff)
		}
	}
	if args[1].Offset != 0x2cea {
		t.Errorf("the probe's shared arguments changed: offset %#x", args[1].Offset)
	}
}

// nopcomboExe is the committed x86-64 build of testdata/src/nopcombo.c:
// call sites nopcombo:plain, :nop5 and :nop10 with the same arguments.
const nopcomboExe = "../testdata/bin/nopcombo-amd64-gcc-O2-pie"

func needNopcombo(t testing.TB) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("nop combos are x86-64 code; this is %s", runtime.GOARCH)
	}
	if _, err := os.Stat(nopcomboExe); err != nil {
		t.Skipf("%v (make probes builds it)", err)
	}
	return nopcomboExe
}

// nopcombo is a running testdata/src/nopcombo.c: the same stdin/stdout
// handshake as testdata/waiter.c.
type nopcombo waiter

func startNopcombo(t testing.TB, exe string) *nopcombo {
	t.Helper()
	p := (*nopcombo)(startWaiter(t, exe))
	// One round trip before any attach: the program has then been
	// loaded and runs. Attached right after cmd.Start, the IP-map mode
	// once found the executable not yet mapped executable in
	// /proc/PID/maps (CI, 2026-12-03).
	p.fire(t, "plain", 0, 0)
	return p
}

// fire calls probe form n times with value v and returns the
// nanoseconds the calls took, as the program measured them.
func (p *nopcombo) fire(t testing.TB, form string, n int, v int64) int64 {
	t.Helper()
	fmt.Fprintf(p.in, "%s %d %d\n", form, n, v)
	line, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("nopcombo %s %d %d: %v", form, n, v, err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// code reads the program's memory at the file offset off of its text:
// what the CPU runs there, breakpoints and kernel rewrites included.
func (p *nopcombo) code(t testing.TB, exe string, off uint64, n int) []byte {
	t.Helper()
	maps, err := executableMappings(p.cmd.Process.Pid, exe)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	for _, mp := range maps {
		if off >= mp.offset && off-mp.offset < mp.end-mp.start {
			b := make([]byte, n)
			if _, err := mem.ReadAt(b, int64(mp.start+off-mp.offset)); err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("file offset %#x is not mapped executable", off)
	return nil
}

// TestAttachNopCombos attaches to each form of call site in every attach
// mode, with and without the uprobe optimization: the probe fires at
// every call, every argument reads right (the rip-relative one too, which
// the shift changes), the uprobe sits on the long nop exactly when the
// kernel optimizes that combo, and the kernel has then rewritten the long
// nop into its trampoline call.
func TestAttachNopCombos(t *testing.T) {
	needRoot(t)
	exe := needNopcombo(t)
	kernel := amd64.Arch.OptimizedCombo()
	t.Logf("the kernel optimizes uprobes on %q", kernel)
	f, err := compiler.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	sites := map[string]arch.Code{}
	for _, p := range f.CallSites {
		sites[p.Name] = *p.Code
	}
	// The committed binary is what the test is about.
	for form, combo := range map[string]string{"plain": "", "nop5": "nop+nop5", "nop10": "nop+nop10"} {
		if s := sites[form]; s.Insn != "nop" || s.Combo != combo {
			t.Fatalf("%s: site %+v, want a nop with combo %q", exe, s, combo)
		}
	}
	for _, mode := range modes {
		for _, noOpt := range []bool{false, true} {
			name := mode.name
			if noOpt {
				name += ", not OptimizeUprobes"
			}
			t.Run(name, func(t *testing.T) {
				cfg := mode.cfg
				cfg.OptimizeUprobes = !noOpt
				cfg.Targets = []Target{{Path: exe}}
				l := load(t, cfg)
				for i, form := range []string{"plain", "nop5", "nop10"} {
					prog := startNopcombo(t, exe)
					cookie := uint64(10 + i)
					ln, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "nopcombo:" + form}, &Options{PID: prog.cmd.Process.Pid, Cookie: cookie})
					if err != nil {
						t.Fatalf("%s: %v", form, err)
					}
					s := ln.Sites()[0]
					wantShift := uint64(0)
					if !noOpt && s.CallSite.Code.Combo != "" && s.CallSite.Code.Combo == kernel {
						wantShift = 1
					}
					if s.Shift != wantShift {
						t.Errorf("%s: uprobe at pc+%d, want pc+%d", form, s.Shift, wantShift)
					}
					if !l.m.cookies && s.IP%0x1000 != (s.CallSite.PC+wantShift)%0x1000 {
						t.Errorf("%s: IP map key %#x is not at pc %#x + %d", form, s.IP, s.CallSite.PC, wantShift)
					}
					prog.fire(t, form, 3, 7)
					if n := l.count(t, uint32(cookie)); n != 3 {
						t.Errorf("%s: %d hits, want 3", form, n)
					}
					// v, -v, 42, rec.total = 3v, counter = v + 1000.
					want := []int64{7, -7, 42, 21, 1007}
					h := l.last(t, uint32(cookie))
					if got := h.Arg[:h.ArgCnt]; h.ArgCnt != 5 || !slicesEqual(got, want) {
						t.Errorf("%s: arguments %d, want %d", form, got, want)
					}
					if wantShift != 0 {
						// After the first hit the kernel swaps the int3
						// on the long nop for a call to its trampoline.
						lc := s.CallSite.FileOffset + s.Shift
						got := prog.code(t, exe, lc, len(s.CallSite.Code.Bytes)-1)
						if got[0] == 0xcc || bytes.Equal(got, s.CallSite.Code.Bytes[1:]) {
							t.Errorf("%s: long nop after 3 hits is % x: not optimized", form, got)
						}
					}
					ln.Close()
				}
			})
		}
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkProbeHit times one call of a probe of testdata/src/nopcombo.c
// (a call of a noinline function that holds the probe, in a loop, timed
// by the program itself: ns/hit) in each state: nothing attached, a
// uprobe on the one-byte nop of each form (int3), and a uprobe on the
// long nop of the combos (pc+1), through uprobe_multi (where the kernel
// has it) and through one perf-event uprobe per site. The pc+1 cases
// force the shift, which Attach makes only when the kernel optimizes
// that combo, and are skipped when the kernel refuses a uprobe there
// (6.18 refuses the cs-prefixed nop10). The BPF program is the tests'
// (count hits, read 12 arguments), or under "empty/" one that returns at
// once, which leaves the cost of the uprobe itself.
//
//	go test -run '^$' -bench ProbeHit -benchtime 2000000x ./usdt/
func BenchmarkProbeHit(b *testing.B) {
	needRoot(b)
	exe := needNopcombo(b)
	kernel := amd64.Arch.OptimizedCombo()
	b.Logf("kernel optimizes %q", kernel)
	cases := []struct {
		name, form string
		attach     bool
		noOpt      bool
		force      string // pretend the kernel optimizes this combo
	}{
		{"none", "plain", false, false, ""},
		{"plain", "plain", true, false, ""},
		{"nop5/pc", "nop5", true, true, ""},
		{"nop5/pc+1", "nop5", true, false, "nop+nop5"},
		{"nop10/pc", "nop10", true, true, ""},
		{"nop10/pc+1", "nop10", true, false, "nop+nop10"},
	}
	for _, empty := range []bool{false, true} {
		for _, perSite := range []bool{false, true} {
			for _, c := range cases {
				if (perSite || empty) && !c.attach {
					continue
				}
				name := c.name
				if perSite {
					name = "per-site/" + name
				}
				if empty {
					name = "empty/" + name
				}
				b.Run(name, func(b *testing.B) { benchmarkHit(b, exe, kernel, empty, perSite, c.form, c.attach, c.noOpt, c.force) })
			}
		}
	}
}

func benchmarkHit(b *testing.B, exe, kernel string, empty, perSite bool, form string, attach, noOpt bool, force string) {
	if force != "" && force != kernel {
		saved := amd64.Arch.OptimizedCombo
		amd64.Arch.OptimizedCombo = func() string { return force }
		defer func() { amd64.Arch.OptimizedCombo = saved }()
	}
	target := startNopcombo(b, exe)
	l := load(b, Config{Targets: []Target{{Path: exe}}, OptimizeUprobes: !noOpt, DisableUprobeMulti: perSite})
	prog := l.prog()
	if empty {
		spec := &ebpf.ProgramSpec{Type: ebpf.Kprobe, License: "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
		if l.m.UsesUprobeMulti() {
			spec.AttachType = ebpf.AttachTraceUprobeMulti
		}
		var err error
		if prog, err = ebpf.NewProgram(spec); err != nil {
			b.Fatal(err)
		}
		defer prog.Close()
	}
	if attach {
		ln, err := l.m.Attach(prog, Target{Path: exe, Probe: "nopcombo:" + form}, &Options{PID: target.cmd.Process.Pid, Cookie: 1})
		if err != nil && force != "" && force != kernel {
			b.Skipf("the kernel (optimizing %q) refuses a uprobe on the long nop of %s: %v", kernel, force, err)
		}
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		if s := ln.Sites()[0]; force != "" && s.Shift != 1 || force == "" && s.Shift != 0 {
			b.Fatalf("uprobe at pc+%d", s.Shift)
		}
		target.fire(b, form, 1, 1) // the first hit optimizes
	}
	before := l.count(b, 1)
	b.ResetTimer()
	ns := target.fire(b, form, b.N, 5)
	b.StopTimer()
	b.ReportMetric(float64(ns)/float64(b.N), "ns/hit")
	if hits := l.count(b, 1) - before; attach && !empty && hits != uint64(b.N) {
		b.Fatalf("%d hits, want %d", hits, b.N)
	}
}
