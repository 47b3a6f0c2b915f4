package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/usdt"
)

// ErrNotRoot: loading BPF programs and attaching uprobes needs root.
var ErrNotRoot = errors.New("conformance runs need root (CAP_BPF and CAP_PERFMON)")

// Case is one conformance program and the shared libraries whose probes
// it fires.
type Case struct {
	Executable string
	Libraries  []string
	// BPFObject, when set, is the conformance program to load instead of
	// the embedded one: conform.bpf.c built otherwise, e.g. against
	// libbpf's own usdt.bpf.h (-DCONFORM_LIBBPF_HEADER).
	BPFObject string
	// Timeout is how long the case may run before it and every process
	// of its group are killed and it fails; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Name is the executable's base name.
func (c Case) Name() string { return filepath.Base(c.Executable) }

// KnownFailure is the reason a case is expected to fail, or "". Cases
// named unsupported_* hold the operands no spec can express: i386 and
// mips64 thread-locals (%gs:sym@ntpoff: the BPF side reads no %gs base;
// %tprel_lo(sym)($6); x86-64's %fs:sym@tpoff is read, case tls) and constants behind assembler-local
// labels (.LC0(%rip)), which no symbol table keeps. Where a compiler
// loads them into registers first, these cases pass like any other.
func (c Case) KnownFailure() string {
	if strings.HasPrefix(c.Name(), "unsupported_") {
		return "operands no spec can express: i386 and mips64 thread-locals (%gs:sym@ntpoff, %tprel_lo(sym)($6)) or assembler-local labels (.LC0(%rip))"
	}
	return ""
}

// Result of one case.
type Result struct {
	Case       string    `json:"case"`
	Passed     bool      `json:"passed"`
	Known      string    `json:"known_failure,omitempty"`
	Sites      int       `json:"call_sites"`
	Hits       int       `json:"hits"`
	Lines      int       `json:"lines"`
	Dropped    int       `json:"dropped,omitempty"` // hits lost to a full ring buffer: the case fails, hits not compared
	AttachTime Duration  `json:"attach_time"`
	Mode       string    `json:"mode"`
	Failures   []Failure `json:"failures"`
	// Limits are arguments the compiler marked as beyond a hardware limit
	// (compiler.Unreadable: an FP register, a 64-bit value in one 32-bit
	// register) whose bpf_usdt_arg failed, as it must: not compared, not
	// failures, listed.
	Limits []Failure `json:"limits,omitempty"`
}

// FailedResult is the result of a case that could not run at all.
func FailedResult(c Case, reason string) *Result {
	return &Result{Case: c.Name(), Known: c.KnownFailure(),
		Failures: []Failure{{Arg: -1, Probe: c.Name(), Reason: reason}}}
}

// Duration marshals as a string like "1.5ms".
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}
func (d Duration) String() string { return time.Duration(d).String() }

// Failure is one mismatch, with everything needed to see why.
type Failure struct {
	Hit     int    `json:"hit"` // 1-based; 0 for failures not tied to a hit
	Probe   string `json:"probe"`
	PC      string `json:"pc,omitempty"`
	Arg     int    `json:"arg"` // -1 when not about one argument
	Operand string `json:"operand,omitempty"`
	Spec    string `json:"spec,omitempty"`
	Got     string `json:"got,omitempty"`
	Want    string `json:"want,omitempty"`
	Reason  string `json:"reason"`
}

func (f Failure) String() string {
	var b strings.Builder
	if f.Hit > 0 {
		fmt.Fprintf(&b, "hit %d: ", f.Hit)
	}
	b.WriteString(f.Probe)
	if f.PC != "" {
		fmt.Fprintf(&b, " at pc %s", f.PC)
	}
	if f.Arg >= 0 {
		fmt.Fprintf(&b, " arg #%d %s", f.Arg, f.Operand)
	}
	fmt.Fprintf(&b, ": %s", f.Reason)
	if f.Got != "" || f.Want != "" {
		fmt.Fprintf(&b, ": got %s, want %s", f.Got, f.Want)
	}
	if f.Spec != "" {
		fmt.Fprintf(&b, " [spec %s]", f.Spec)
	}
	return b.String()
}

// probeKey names an attachment: a probe of one file.
type probeKey struct {
	file  string
	probe string // provider:name
}

// DefaultTimeout is how long a case may run when Case.Timeout is 0: the
// bundled cases take milliseconds, so a minute is only reached by a case
// that hangs.
const DefaultTimeout = time.Minute

// stdoutGrace is how long the runner still reads the case's stdout after
// the case exited: a process the case started may hold it open, and the
// runner must not wait for that process forever.
const stdoutGrace = time.Second

// runOptions are knobs for the tests.
type runOptions struct {
	ringSize uint32 // the ring buffer's size, to force drops; 0: conform.bpf.c's
}

// Run attaches to every probe of c, runs it, and compares.
//
// The executable is c.Executable made absolute: the file whose probes are
// attached is the file run, even for a bare name ("true" is ./true, never
// a program from $PATH). The case runs in its own process group, which is
// killed when the case exits (whatever it left behind), when it runs
// longer than c.Timeout, or when ctx is done; the case itself also gets
// SIGKILL if the runner dies first.
func Run(ctx context.Context, c Case) (*Result, error) { return run(ctx, c, runOptions{}) }

func run(ctx context.Context, c Case, o runOptions) (*Result, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	res := &Result{Case: c.Name(), Known: c.KnownFailure()}
	exe, err := filepath.Abs(c.Executable)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Executable, err)
	}
	files := []string{exe}
	for _, l := range c.Libraries {
		abs, err := filepath.Abs(l)
		if err != nil {
			return nil, fmt.Errorf("%s: library %s: %w", c.Name(), l, err)
		}
		files = append(files, abs)
	}

	spec, err := loadConform()
	if c.BPFObject != "" {
		spec, err = usdt.LoadCollectionSpec(c.BPFObject)
	}
	if err != nil {
		return nil, err
	}
	if o.ringSize != 0 {
		spec.Maps["hits"].MaxEntries = o.ringSize
	}
	var targets []usdt.Target
	var keys []probeKey
	for _, path := range files {
		f, err := compiler.Open(path)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, p := range f.CallSites {
			name := p.Provider + ":" + p.Name
			if !seen[name] {
				seen[name] = true
				keys = append(keys, probeKey{path, name})
				targets = append(targets, usdt.Target{Path: path, Probe: name})
			}
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("%s: %w", c.Executable, usdt.ErrNoProbes)
	}
	mgr, err := usdt.Prepare(spec, usdt.Config{Targets: targets})
	if err != nil {
		return nil, err
	}
	res.Mode = "uprobe per call site"
	if mgr.UsesUprobeMulti() {
		res.Mode = "uprobe_multi"
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("loading the conformance BPF program: %w", err)
	}
	defer coll.Close()
	if err := mgr.Bind(coll); err != nil {
		return nil, err
	}
	prog := coll.Programs["conform"]

	// Attach: one link per probe, its cookie the probe's index.
	sitesBySpec := map[uint32][]usdt.AttachedSite{}
	start := time.Now()
	for i, t := range targets {
		l, err := mgr.Attach(prog, t, &usdt.Options{Cookie: uint64(i)})
		if err != nil {
			res.Failures = append(res.Failures, Failure{Probe: keys[i].probe, Arg: -1, Reason: "attach failed: " + err.Error()})
			continue
		}
		defer l.Close()
		for _, s := range l.Sites() {
			sitesBySpec[s.SpecID] = append(sitesBySpec[s.SpecID], s)
			res.Sites++
		}
	}
	res.AttachTime = Duration(time.Since(start))

	rd, err := ringbuf.NewReader(coll.Maps["hits"])
	if err != nil {
		return nil, fmt.Errorf("%s: reading the hits: %w", c.Name(), err)
	}
	defer rd.Close()
	// The ring buffer is read while the case runs: a case that fires more
	// hits than the buffer holds would otherwise lose the rest.
	collected := make(chan collectedHits, 1)
	go collectHits(rd, collected)
	stopReading := func() collectedHits {
		rd.Flush() // Read returns what is left, then ErrFlushed
		return <-collected
	}

	out, runErr := runCase(ctx, exe, c.timeout())
	if runErr != nil && errors.Is(runErr, errStart) {
		stopReading()
		return nil, fmt.Errorf("%s: %w", c.Name(), runErr)
	}
	// The case has exited, so each of its hits is in the ring buffer or
	// was counted as dropped.
	got := stopReading()
	if got.err != nil {
		return nil, fmt.Errorf("%s: reading the hits: %w", c.Name(), got.err)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w", c.Name(), ctx.Err())
	}
	var hits []conformHit
	for _, raw := range got.raw {
		var h conformHit
		if err := binary.Read(bytes.NewReader(raw), binary.NativeEndian, &h); err != nil {
			return nil, fmt.Errorf("%s: a %d-byte hit: %w", c.Name(), len(raw), err)
		}
		if h.Pid == uint32(out.pid) {
			hits = append(hits, h)
		}
	}
	if runErr != nil {
		res.Failures = append(res.Failures, Failure{Arg: -1, Probe: c.Name(), Reason: runErr.Error()})
	}
	lines, err := parseLines(out.stdout)
	if err != nil {
		res.Failures = append(res.Failures, Failure{Arg: -1, Probe: c.Name(), Reason: err.Error()})
	}
	res.Hits, res.Lines = len(hits), len(lines)
	res.Dropped, err = dropsOf(coll.Maps["drops"], out.pid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name(), err)
	}
	switch {
	case res.Dropped > 0:
		// With hits missing, the k-th hit is no longer the k-th line's:
		// comparing would blame probes for what the buffer lost.
		res.Failures = append(res.Failures, Failure{Arg: -1, Probe: c.Name(),
			Reason: fmt.Sprintf("%d hits dropped by the ring buffer (full: the reader fell behind the case); hits not compared with lines", res.Dropped)})
	case len(hits) == 0 && len(lines) == 0:
		// Nothing compared is no evidence: a program that is not a case
		// (or a case that exits before its probes) must not pass.
		res.Failures = append(res.Failures, Failure{Arg: -1, Probe: c.Name(),
			Reason: "no hit and no line: the case printed nothing and no probe fired, so nothing was compared (is it a conformance case?)"})
	default:
		fails, limits := compare(hits, lines, keys, sitesBySpec, mgr.UsesCookies())
		res.Failures = append(res.Failures, fails...)
		res.Limits = limits
	}
	res.Passed = len(res.Failures) == 0
	return res, nil
}

func (c Case) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// collectedHits are the raw records read from the ring buffer.
type collectedHits struct {
	raw [][]byte
	err error
}

// collectHits reads records until the reader is flushed and empty. It
// only copies them: decoding is left for later so as to keep up with
// the case.
func collectHits(rd *ringbuf.Reader, done chan<- collectedHits) {
	var got collectedHits
	for {
		rec, err := rd.Read()
		if errors.Is(err, ringbuf.ErrFlushed) || errors.Is(err, ringbuf.ErrClosed) {
			break
		}
		if err != nil {
			got.err = err
			break
		}
		got.raw = append(got.raw, rec.RawSample)
	}
	done <- got
}

// dropsOf reads how many hits of process pid the BPF side could not put
// in the full ring buffer. A conform.bpf.c built before the drops map
// (--bpf-object) counts none.
func dropsOf(m *ebpf.Map, pid int) (int, error) {
	if m == nil {
		return 0, nil
	}
	var n uint64
	err := m.Lookup(uint32(pid), &n)
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the drop count: %w", err)
	}
	return int(n), nil
}

// errStart: the case did not start at all.
var errStart = errors.New("cannot start the case")

// caseOutput is what a case run left.
type caseOutput struct {
	pid    int
	stdout []byte
}

// runCase runs the executable with no arguments in a process group of
// its own and returns its stdout. Its error says why the case is not a
// clean exit: a timeout, an exit status, or a process it started that
// kept its stdout open.
func runCase(ctx context.Context, exe string, timeout time.Duration) (caseOutput, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout bytes.Buffer
	cmd := exec.CommandContext(tctx, exe)
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	// Its own group, so that the case and whatever it forks are killed
	// together; Pdeathsig kills the case when the runner dies without
	// getting to do that (the group's other processes cannot be reached
	// then: the kernel has no such signal for grandchildren).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// After the case exits (or is killed), its stdout pipe is read for
	// stdoutGrace more, then closed: a process that inherited it must not
	// keep the runner waiting.
	cmd.WaitDelay = stdoutGrace
	if err := cmd.Start(); err != nil {
		return caseOutput{}, fmt.Errorf("%w %s: %w", errStart, exe, err)
	}
	out := caseOutput{pid: cmd.Process.Pid}
	err := cmd.Wait()
	// Whatever the case left running in its group goes with it. The
	// group's ID is the case's PID, which cannot be reused before the
	// group is empty.
	syscall.Kill(-out.pid, syscall.SIGKILL)
	out.stdout = stdout.Bytes()
	switch {
	case errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return out, fmt.Errorf("timed out after %v: the case and its process group were killed", timeout)
	case errors.Is(err, exec.ErrWaitDelay):
		return out, fmt.Errorf("the case exited, but a process it started kept its stdout open: stopped reading %v later and killed the case's process group", stdoutGrace)
	case err != nil:
		return out, fmt.Errorf("case exited: %w", err)
	}
	return out, nil
}

// line is one line a case printed.
type line struct {
	probe  string
	tokens []string
}

func parseLines(out []byte) ([]line, error) {
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(out))
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.Contains(fields[0], ":") {
			return lines, fmt.Errorf("stdout line %d %q: want provider:name followed by values", n, sc.Text())
		}
		lines = append(lines, line{fields[0], fields[1:]})
	}
	return lines, sc.Err()
}

// compare pairs the k-th hit with the k-th line. It returns the failures
// and the arguments at a hardware limit.
func compare(hits []conformHit, lines []line, keys []probeKey, sitesBySpec map[uint32][]usdt.AttachedSite, cookies bool) (fails, limits []Failure) {
	for k := 0; k < max(len(hits), len(lines)); k++ {
		if k >= len(hits) {
			fails = append(fails, Failure{Hit: k + 1, Probe: lines[k].probe, Arg: -1, Reason: "line with no hit: the probe did not fire or was not attached"})
			continue
		}
		h := &hits[k]
		probe := "?"
		if h.Cookie < uint64(len(keys)) {
			probe = keys[h.Cookie].probe
		}
		site := siteOf(h, sitesBySpec, cookies)
		if k >= len(lines) {
			fails = append(fails, Failure{Hit: k + 1, Probe: probe, PC: site.pc, Arg: -1, Reason: "hit with no line"})
			continue
		}
		ln := &lines[k]
		if probe != ln.probe {
			fails = append(fails, Failure{Hit: k + 1, Probe: probe, PC: site.pc, Arg: -1, Got: probe, Want: ln.probe, Reason: "probe differs from the line's"})
			continue
		}
		if int(h.ArgCnt) != len(ln.tokens) {
			fails = append(fails, Failure{Hit: k + 1, Probe: probe, PC: site.pc, Arg: -1,
				Got: strconv.Itoa(int(h.ArgCnt)), Want: strconv.Itoa(len(ln.tokens)), Reason: "bpf_usdt_arg_cnt differs from the line's argument count"})
			continue
		}
		for i, tok := range ln.tokens {
			if tok == "*" {
				continue
			}
			want, err := parseValue(tok)
			f := Failure{Hit: k + 1, Probe: probe, PC: site.pc, Arg: i, Want: tok}
			if i < len(site.args) {
				f.Operand, f.Spec = site.args[i].operand, site.args[i].spec
			}
			limit := i < len(site.args) && site.args[i].limit
			switch {
			case err != nil:
				f.Reason = "bad value on the line: " + err.Error()
			case h.Ret[i] != 0 && limit:
				f.Reason, f.Got = "hardware limit: "+f.Spec, "error "+strconv.Itoa(int(h.Ret[i]))
				limits = append(limits, f)
				continue
			case limit:
				f.Reason, f.Got = "an unreadable argument decoded", strconv.FormatInt(h.Value[i], 10)
			case h.Ret[i] != 0:
				f.Reason, f.Got = "bpf_usdt_arg failed", "error "+strconv.Itoa(int(h.Ret[i]))
			case uint64(h.Value[i]) != want:
				f.Reason, f.Got = "value differs", fmt.Sprintf("%d (%#x)", h.Value[i], uint64(h.Value[i]))
				f.Want = fmt.Sprintf("%s (%#x)", tok, want)
			default:
				continue
			}
			fails = append(fails, f)
		}
		fails = append(fails, compareFetched(h, k+1, probe, site)...)
	}
	return fails, limits
}

// compareFetched checks BPF_USDT's way of fetching the arguments (all at
// once, bpf/usdt.bpf.h's __usdtspec_args) against bpf_usdt_arg's values
// in the same hit: the same value where bpf_usdt_arg succeeded, 0 where
// it failed or past the call site's last argument. A hit recorded with
// libbpf's header has no such values (FetchedAll 0).
func compareFetched(h *conformHit, hit int, probe string, site siteInfo) []Failure {
	if h.FetchedAll == 0 {
		return nil
	}
	var fails []Failure
	check := func(what string, i int, got, want int64) {
		if got == want {
			return
		}
		f := Failure{Hit: hit, Probe: probe, PC: site.pc, Arg: i,
			Got: strconv.FormatInt(got, 10), Want: strconv.FormatInt(want, 10),
			Reason: what + " differs from bpf_usdt_arg"}
		if i < len(site.args) {
			f.Operand, f.Spec = site.args[i].operand, site.args[i].spec
		}
		fails = append(fails, f)
	}
	for i := range h.Fetched {
		want := int64(0)
		if i < int(h.ArgCnt) && h.Ret[i] == 0 {
			want = h.Value[i]
		}
		check("BPF_USDT", i, h.Fetched[i], want)
	}
	return fails
}

// parseValue reads a decimal token as 64-bit two's complement.
func parseValue(tok string) (uint64, error) {
	if strings.HasPrefix(tok, "-") {
		v, err := strconv.ParseInt(tok, 10, 64)
		return uint64(v), err
	}
	return strconv.ParseUint(tok, 10, 64)
}

type siteInfo struct {
	pc   string
	args []argInfo
}

type argInfo struct {
	operand, spec string
	limit         bool // compiler.Unreadable
}

// siteOf names the call site of a hit: by its spec id when BPF cookies
// carry it, else by instruction pointer. Sites sharing a spec id have the
// same arguments, so their argument descriptions are the same; the pc is
// then given as the list of candidates.
func siteOf(h *conformHit, sitesBySpec map[uint32][]usdt.AttachedSite, cookies bool) siteInfo {
	var cands []usdt.AttachedSite
	if cookies {
		cands = sitesBySpec[uint32(h.SpecId)]
	} else {
		for _, ss := range sitesBySpec {
			for _, s := range ss {
				if s.IP == h.Ip {
					cands = append(cands, s)
				}
			}
		}
	}
	if len(cands) == 0 {
		return siteInfo{pc: fmt.Sprintf("? (ip %#x)", h.Ip)}
	}
	var pcs []string
	for _, s := range cands {
		pcs = append(pcs, fmt.Sprintf("%#x", s.CallSite.PC))
	}
	sort.Strings(pcs)
	info := siteInfo{pc: strings.Join(pcs, "|")}
	for _, a := range cands[0].CallSite.Arguments {
		info.args = append(info.args, argInfo{operand: a.Text, spec: describe(&a), limit: compiler.Unreadable(&a)})
	}
	return info
}

// describe renders the spec fields of an argument.
func describe(a *compiler.Argument) string {
	if a.Err != nil {
		return a.Err.Error()
	}
	sign := "u"
	if a.Signed {
		sign = "s"
	}
	s := fmt.Sprintf("%s %s%d", a.Kind, sign, a.Size*8)
	switch a.Kind.String() {
	case "const":
		s += fmt.Sprintf(" val_off=%#x", a.Value)
	case "reg":
		s += fmt.Sprintf(" reg_off=%d", a.Base.Offset)
	case "deref":
		s += fmt.Sprintf(" reg_off=%d val_off=%d", a.Base.Offset, a.Offset)
	case "sib":
		s += fmt.Sprintf(" reg_off=%d idx_reg_off=%d scale=%d val_off=%d", a.Base.Offset, a.Index.Offset, a.Scale, a.Offset)
	}
	return s
}
