// Package peer runs the native conformance cases under another USDT
// consumer, bpftrace, and compares what it reads at every probe with
// what the case printed, so that its verdicts can be set beside
// usdtspec's (conformance.Run) for the same build.
//
// For a case, every probe of the executable and of its libraries gets a
// generated bpftrace probe
//
//	usdt:PATH:provider:name { printf("%d %llu provider:name %lld %llu ...\n", pid, nsecs, arg0, arg1, ...); }
//
// (each argument printed signed or unsigned as usdtspec compiles it; the
// value itself is bpftrace's 64-bit argN, never cut or extended here).
// bpftrace runs with config missing_probes = "warn", so that a probe it
// cannot attach is reported on stderr and the others still run. Once its
// BEGIN probe has printed, the case runs; then bpftrace is stopped with
// SIGINT and its lines of the case's pid are compared, probe by probe and
// in time order, with the case's own lines.
//
// bpftrace comes from a Debian root (setup.sh: sid's, which reads
// arguments through libbpf), run in a private mount namespace with
// /proc, /sys, tracefs, debugfs, bpffs and the case directories mounted
// in it, or from the host's PATH.
package peer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/usdtspec/usdtspec/compiler"
)

// Tool is a bpftrace to run.
type Tool struct {
	// Root is the Debian root holding it (run through chroot), or "" for
	// the host's bpftrace.
	Root    string
	Path    string // the bpftrace executable (inside Root when set)
	Version string // bpftrace --version, e.g. "bpftrace v0.27.1"
}

// ErrNoBpftrace: neither the root nor the host has a bpftrace.
var ErrNoBpftrace = errors.New("no bpftrace")

// FindRoot returns the bpftrace of a Debian root made by setup.sh.
func FindRoot(root string) (*Tool, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "usr/bin/bpftrace")); err != nil {
		return nil, fmt.Errorf("%w in %s (bash internal/peer/setup.sh makes it)", ErrNoBpftrace, root)
	}
	return version(&Tool{Root: root, Path: "/usr/bin/bpftrace"})
}

// FindHost returns the host's bpftrace.
func FindHost() (*Tool, error) {
	p, err := exec.LookPath("bpftrace")
	if err != nil {
		return nil, fmt.Errorf("%w in PATH", ErrNoBpftrace)
	}
	return version(&Tool{Path: p})
}

func version(t *Tool) (*Tool, error) {
	out, err := t.Command(context.Background(), nil, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", t.Path, err)
	}
	t.Version = strings.TrimSpace(string(out))
	return t, nil
}

// mountScript makes bpftrace's view of the system inside the root, in the
// private mount namespace unshare gives it (all gone when it exits): $0 is
// the root, $1 the colon-separated directories to bind at their own paths,
// the rest bpftrace's command line.
const mountScript = `set -e
root=$0; dirs=$1; shift
mount --rbind /proc "$root/proc"
mount --rbind /sys "$root/sys"
# The host may have these mounted already, then the rbind of /sys brought
# them: mounting them again fails ("already mounted").
mountpoint -q "$root/sys/kernel/tracing" || mount -t tracefs tracefs "$root/sys/kernel/tracing"
mountpoint -q "$root/sys/kernel/debug" || mount -t debugfs debugfs "$root/sys/kernel/debug"
mountpoint -q "$root/sys/fs/bpf" || mount -t bpf bpf "$root/sys/fs/bpf"
IFS=:
for d in $dirs; do
  mkdir -p "$root$d"
  mount --bind "$d" "$root$d"
done
exec chroot "$root" "$@"
`

// Command runs bpftrace with args, the directories dirs (absolute) visible
// at their own paths (bound into the tool's root, when it has one).
func (t *Tool) Command(ctx context.Context, dirs []string, args ...string) *exec.Cmd {
	if t.Root == "" {
		return exec.CommandContext(ctx, t.Path, args...)
	}
	full := append([]string{"--mount", "--propagation", "private", "sh", "-c", mountScript,
		t.Root, strings.Join(dirs, ":"), t.Path}, args...)
	return exec.CommandContext(ctx, "unshare", full...)
}

// Probe is one probe of a case as bpftrace is asked to read it.
type Probe struct {
	Path     string // absolute path of the file holding it
	Provider string
	Name     string
	// Signed, one per argument: every call site's argument is signed
	// (printed %lld), else %llu.
	Signed []bool
}

// Key is "provider:name", as the case prints it.
func (p *Probe) Key() string { return p.Provider + ":" + p.Name }

// Probes lists the probes of files (the case's executable, then its
// libraries) in note order, with their argument counts and signedness
// from usdtspec's compiler. A probe whose call sites disagree on the
// argument count is an error.
func Probes(files []string) ([]Probe, error) {
	var probes []Probe
	for _, path := range files {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		f, err := compiler.Open(abs)
		if err != nil {
			return nil, err
		}
		index := map[string]int{}
		for i := range f.CallSites {
			cp := &f.CallSites[i]
			key := cp.Provider + ":" + cp.Name
			j, seen := index[key]
			if !seen {
				j = len(probes)
				index[key] = j
				p := Probe{Path: abs, Provider: cp.Provider, Name: cp.Name, Signed: make([]bool, len(cp.Arguments))}
				for k := range p.Signed {
					p.Signed[k] = true
				}
				probes = append(probes, p)
			}
			p := &probes[j]
			if len(cp.Arguments) != len(p.Signed) {
				return nil, fmt.Errorf("%s: %s: call sites with %d and %d arguments", path, key, len(p.Signed), len(cp.Arguments))
			}
			for k := range cp.Arguments {
				p.Signed[k] = p.Signed[k] && cp.Arguments[k].Signed
			}
		}
	}
	return probes, nil
}

// Ready is the line the script's BEGIN probe prints: bpftrace runs BEGIN
// once every other probe is attached.
const Ready = "usdtspec-peer-ready"

// Script is the bpftrace program for probes.
func Script(probes []Probe) string {
	var b strings.Builder
	b.WriteString("config = { missing_probes = \"warn\" }\n")
	fmt.Fprintf(&b, "BEGIN { printf(\"%s\\n\"); }\n", Ready)
	for _, p := range probes {
		format, args := "%d %llu "+p.Key(), "pid, nsecs"
		for i, s := range p.Signed {
			if s {
				format += " %lld"
			} else {
				format += " %llu"
			}
			args += fmt.Sprintf(", arg%d", i)
		}
		fmt.Fprintf(&b, "usdt:%s:%s:%s { printf(\"%s\\n\", %s); }\n", p.Path, p.Provider, p.Name, format, args)
	}
	return b.String()
}

// Hit is one line of bpftrace's output.
type Hit struct {
	Pid    int
	Nsecs  uint64
	Probe  string
	Tokens []string
}

// ParseOutput reads bpftrace's stdout: the Ready line, then one line per
// hit. Lines that are neither (bpftrace's own messages) are returned as
// other.
func ParseOutput(out []byte) (hits []Hit, ready bool, other []string) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		text := sc.Text()
		f := strings.Fields(text)
		if len(f) == 1 && f[0] == Ready {
			ready = true
			continue
		}
		if len(f) >= 3 && strings.Contains(f[2], ":") {
			pid, err1 := strconv.Atoi(f[0])
			ns, err2 := strconv.ParseUint(f[1], 10, 64)
			if err1 == nil && err2 == nil {
				hits = append(hits, Hit{Pid: pid, Nsecs: ns, Probe: f[2], Tokens: f[3:]})
				continue
			}
		}
		if strings.TrimSpace(text) != "" {
			other = append(other, text)
		}
	}
	return hits, ready, other
}

// Compiled on first use, not when every usdtspec command starts.
var (
	unableRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`Unable to attach probe: usdt:(.*):([^:]+):([^:]+?)\. Skipping`)
	})
	libProbeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`libbpf: usdt: probe for '([^']*)' in `) })
	libWarnRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[WARN\] libbpf: (usdt: .*)`) })
)

// AttachFailures reads bpftrace's stderr for the probes it skipped:
// "provider:name" → its message (the warning before "Unable to attach
// probe", e.g. "Failed to attach usdt probe: Invalid argument"), after
// libbpf's own warning for the probe when bpftrace ran with -d libbpf,
// which prints libbpf's messages on stdout ("usdt: unrecognized arg #4
// spec '8f@(%rdx,%r10,8)'").
func AttachFailures(stderr, stdout []byte) map[string]string {
	lib := map[string]string{}
	probe := ""
	for _, l := range strings.Split(string(stdout), "\n") {
		l = strings.TrimSpace(l)
		if m := libProbeRE().FindStringSubmatch(l); m != nil {
			probe = m[1]
		} else if m := libWarnRE().FindStringSubmatch(l); m != nil && probe != "" {
			if _, seen := lib[probe]; !seen {
				lib[probe] = m[1]
			}
		}
	}
	fails := map[string]string{}
	prev := ""
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		if m := unableRE().FindStringSubmatch(l); m != nil {
			key := m[2] + ":" + m[3]
			reason := strings.TrimPrefix(prev, "WARNING: ")
			if reason == "" || strings.Contains(prev, "Unable to attach probe") {
				reason = "unable to attach"
			}
			if w := lib[key]; w != "" {
				reason = w + " (" + reason + ")"
			}
			fails[key] = reason
		}
		prev = l
	}
	return fails
}

// ErrorLines keeps bpftrace's ERROR lines (all of stderr if none), on one line.
func ErrorLines(stderr string) string {
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "ERROR") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		keep = strings.Fields(stderr)
	}
	return strings.Join(keep, " ")
}
