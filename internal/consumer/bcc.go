package consumer

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/usdtspec/usdtspec/conformance"
)

// bcc is Debian's bcc (python3-bpfcc): bcc_consumer.py enables each probe with
// bcc's USDT class (its own operand parser and argument code) and reads
// every argument with bpf_usdt_readarg. bcc compiles its BPF C at run
// time against kernel headers: where /lib/modules/RELEASE/build is
// missing (a kernel without its package), Debian's linux-headers-ARCH is
// shown there, in a private mount namespace (bcc reads uprobe argument
// registers through pt_regs, whose layout the headers' version does not
// change).
type bcc struct {
	version string
	python  string
	modules string // a /lib/modules to mount for bcc, or ""
	cache   string
}

//go:embed bcc_consumer.py
var bccScript string

// InstallBcc is the command that installs bcc.
const InstallBcc = "make deps (apt-get install python3-bpfcc bpfcc-tools linux-headers-" + runtime.GOARCH + ")"

func openBcc(cfg Config) (Consumer, error) {
	b := &bcc{python: "/usr/bin/python3", cache: filepath.Join(cfg.Cache, "consumer", "bcc")}
	if _, err := os.Stat("/usr/lib/python3/dist-packages/bcc/usdt.py"); err != nil {
		return nil, fmt.Errorf("bcc: %w: no python3-bpfcc (`%s`)", ErrNotInstalled, InstallBcc)
	}
	v, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "python3-bpfcc").Output()
	if err != nil {
		return nil, fmt.Errorf("bcc: %w: dpkg-query python3-bpfcc: %w (`%s`)", ErrNotInstalled, err, InstallBcc)
	}
	b.version = "bcc " + strings.TrimSpace(string(v)) + " (Debian python3-bpfcc)"
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return nil, fmt.Errorf("bcc: %w", err)
	}
	release := unix.ByteSliceToString(uts.Release[:])
	if _, err := os.Stat(filepath.Join("/lib/modules", release, "build")); err == nil {
		return b, nil
	}
	// The newest Debian headers package of this architecture.
	builds, _ := filepath.Glob("/usr/src/linux-headers-*-" + runtime.GOARCH)
	if len(builds) == 0 {
		return nil, fmt.Errorf("bcc: %w: no kernel headers for %s (`%s`)", ErrNotInstalled, release, InstallBcc)
	}
	sort.Strings(builds)
	build := builds[len(builds)-1]
	common := strings.TrimSuffix(build, "-"+runtime.GOARCH) + "-common"
	mods := filepath.Join(b.cache, "modules")
	dir := filepath.Join(mods, release)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bcc: %w", err)
	}
	for name, target := range map[string]string{"build": build, "source": common} {
		link := filepath.Join(dir, name)
		os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			return nil, fmt.Errorf("bcc: %w", err)
		}
	}
	b.modules = mods
	b.version += ", headers " + filepath.Base(build)
	return b, nil
}

func (b *bcc) Name() string    { return "bcc" }
func (b *bcc) Version() string { return b.version }

// bccProbe is one entry of bcc_consumer.py's JSON: file, provider, name, and per
// argument [size, signed] (of its first call site; a float's bits read
// unsigned).
type bccProbe [4]any

func (b *bcc) Run(ctx context.Context, c conformance.Case) (*Result, error) {
	probes, err := Probes(append([]string{c.Executable}, c.Libraries...))
	if err != nil {
		return nil, err
	}
	res := &Result{Consumer: b.Name(), Case: c.Name()}
	verdicts, exited, err := b.run(ctx, c, probes)
	if err != nil {
		return nil, err
	}
	if exited == "" {
		res.Probes = verdicts
		return res, nil
	}
	if len(probes) < 2 {
		res.Error = exited
		return res, nil
	}
	// bcc died (it crashes on some probes): each probe alone, so that the
	// crash is the refusal of the probes that cause it, not of the case.
	lines, err := caseLines(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range probes {
		one := probes[i : i+1]
		v, exited, err := b.run(ctx, c, one)
		if err != nil {
			return nil, err
		}
		if exited != "" {
			v = Compare(one, map[string]string{one[0].Key(): exited}, nil, linesOf(lines, one))
		}
		res.Probes = append(res.Probes, v...)
	}
	return res, nil
}

// linesOf keeps the lines of probes.
func linesOf(lines []conformance.Line, probes []ProbeInfo) []conformance.Line {
	var out []conformance.Line
	for _, l := range lines {
		for i := range probes {
			if probes[i].Key() == l.Probe {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// run runs the case once under bcc for probes: their verdicts, or why bcc
// exited before it attached.
func (b *bcc) run(ctx context.Context, c conformance.Case, probes []ProbeInfo) ([]Probe, string, error) {
	var spec []bccProbe
	for _, p := range probes {
		args := [][3]any{}
		for i := range p.Operands {
			size, signed := operandSize(p.Operands[i][0])
			args = append(args, [3]any{size, signed, p.Operands[i][0]})
		}
		spec = append(spec, bccProbe{p.Path, p.Provider, p.Name, args})
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, "", fmt.Errorf("consumer: bcc: %w", err)
	}
	if err := os.MkdirAll(b.cache, 0o755); err != nil {
		return nil, "", fmt.Errorf("consumer: bcc: %w", err)
	}
	script := filepath.Join(b.cache, "bcc_consumer.py")
	if err := os.WriteFile(script, []byte(bccScript), 0o644); err != nil {
		return nil, "", fmt.Errorf("consumer: bcc: %w", err)
	}
	// tracefs for bcc's uprobe events, and the kernel headers where the
	// host has none for this kernel, in a private mount namespace.
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "sh", "-c", bccMounts,
		b.modules, b.python, "-I", script, string(js))
	t, err := trace(ctx, cmd, "ready", stopStdin, c)
	if err != nil {
		return nil, "", fmt.Errorf("consumer: bcc on %s: %w", c.Name(), err)
	}
	if t.Exited != nil {
		return nil, fmt.Sprintf("bcc exited before attaching (%v): %s", t.Exited, clip(lastLines(string(t.Stderr), 12), 2000)), nil
	}
	refused, hits, err := parseBcc(t.Stdout, probes, t.Pid)
	if err != nil {
		return nil, "", fmt.Errorf("consumer: bcc on %s: %w", c.Name(), err)
	}
	lines := t.Lines
	if len(probes) == 1 {
		// One probe of the case, alone: the others' lines are not its.
		lines = linesOf(lines, probes)
	}
	return Compare(probes, refused, hits, lines), "", nil
}

// bccMounts: $0 is a /lib/modules to show, or "".
const bccMounts = `set -e
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
[ -z "$0" ] || mount --bind "$0" /lib/modules
exec "$@"
`

// operandSize reads an operand's size prefix: "-4@%edi" is 4 bytes,
// signed; "8f@..." 8 bytes, its bits unsigned; no prefix, 8 unsigned.
func operandSize(op string) (int, bool) {
	pre, _, ok := strings.Cut(op, "@")
	if !ok {
		return 8, false
	}
	signed := strings.HasPrefix(pre, "-")
	float := strings.HasSuffix(pre, "f")
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(pre, "-"), "f"))
	if err != nil {
		return 8, false
	}
	return n, signed && !float
}

// parseBcc reads bcc_consumer.py's output: the probes bcc refused, and the hits of
// process pid in time order.
func parseBcc(out []byte, probes []ProbeInfo, pid int) (map[string]string, []Hit, error) {
	refused := map[string]string{}
	type timed struct {
		ts  uint64
		hit Hit
	}
	var hits []timed
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		idx := func(s string) (*ProbeInfo, error) {
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(probes) {
				return nil, fmt.Errorf("bcc_consumer.py: bad probe index %q", s)
			}
			return &probes[i], nil
		}
		switch {
		case f[0] == "refused" && len(f) == 3:
			p, err := idx(f[1])
			if err != nil {
				return nil, nil, err
			}
			refused[p.Key()] = f[2]
		case f[0] == "hit" && len(f) >= 4:
			if hp, err := strconv.Atoi(f[1]); err != nil || hp != pid {
				continue
			}
			p, err := idx(f[2])
			if err != nil {
				return nil, nil, err
			}
			ts, err := strconv.ParseUint(f[3], 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("bcc_consumer.py: bad time in %q", sc.Text())
			}
			h := Hit{Probe: p.Key()}
			if len(f) == 5 {
				for _, tok := range strings.Fields(f[4]) {
					v, r, ok := strings.Cut(tok, ":")
					val, err1 := strconv.ParseInt(v, 10, 64)
					ret, err2 := strconv.Atoi(r)
					if !ok || err1 != nil || err2 != nil {
						return nil, nil, fmt.Errorf("bcc_consumer.py: bad value %q", tok)
					}
					if ret != 0 {
						h.Values = append(h.Values, Value{Err: "bpf_usdt_readarg: error " + strconv.Itoa(ret)})
					} else {
						h.Values = append(h.Values, Value{V: uint64(val)})
					}
				}
			}
			hits = append(hits, timed{ts, h})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].ts < hits[j].ts })
	out2 := make([]Hit, len(hits))
	for i := range hits {
		out2[i] = hits[i].hit
	}
	return refused, out2, sc.Err()
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " ")
}
