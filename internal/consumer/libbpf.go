package consumer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/usdtspec/usdtspec/conformance"
)

// libbpf is libbpf itself as a consumer: the harness of libbpfc/
// (consumer.c) linked with a libbpf built from Debian's source package
// (internal/oracle/build.sh), attaching with bpf_program__attach_usdt and
// decoding with that libbpf's own usdt.bpf.h.
type libbpf struct {
	name, version     string
	program, object   string
	suite, installCmd string
}

// InstallLibbpf is the command that builds the libbpf consumers.
const InstallLibbpf = "make consumers"

func openLibbpf(cfg Config, suite, name string) (Consumer, error) {
	dir := filepath.Join(cfg.Cache, "consumer", "libbpf", suite)
	l := &libbpf{name: name, suite: suite, program: filepath.Join(dir, "consumer"), object: filepath.Join(dir, "consumer.bpf.o")}
	for _, f := range []string{l.program, l.object} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%s: %w: no %s (`%s` builds it: libbpf from Debian's %s source package)", name, ErrNotInstalled, f, InstallLibbpf, suite)
		}
	}
	v, err := os.ReadFile(filepath.Join(dir, "version"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w (`%s` builds it)", name, ErrNotInstalled, err, InstallLibbpf)
	}
	l.version = "libbpf " + strings.TrimSpace(string(v))
	return l, nil
}

func (l *libbpf) Name() string    { return l.name }
func (l *libbpf) Version() string { return l.version }

func (l *libbpf) Run(ctx context.Context, c conformance.Case) (*Result, error) {
	probes, err := Probes(append([]string{c.Executable}, c.Libraries...))
	if err != nil {
		return nil, err
	}
	args := []string{l.object}
	for _, p := range probes {
		args = append(args, p.Path, p.Key())
	}
	t, err := trace(ctx, exec.CommandContext(ctx, l.program, args...), "ready", stopStdin, c)
	if err != nil {
		return nil, fmt.Errorf("consumer: %s on %s: %w", l.name, c.Name(), err)
	}
	res := &Result{Consumer: l.name, Case: c.Name()}
	if t.Exited != nil {
		res.Error = fmt.Sprintf("the libbpf harness exited before attaching (%v): %s", t.Exited, clip(string(t.Stderr), 2000))
		return res, nil
	}
	refused, hits, err := parseLibbpf(t.Stdout, probes, t.Pid)
	if err != nil {
		return nil, fmt.Errorf("consumer: %s on %s: %w", l.name, c.Name(), err)
	}
	res.Probes = Compare(probes, refused, hits, t.Lines)
	return res, nil
}

// parseLibbpf reads the harness's output (libbpfc/consumer.c): the
// probes it refused, and the hits of process pid.
func parseLibbpf(out []byte, probes []ProbeInfo, pid int) (map[string]string, []Hit, error) {
	refused := map[string]string{}
	var hits []Hit
	probe := func(s string) (*ProbeInfo, error) {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(probes) {
			return nil, fmt.Errorf("libbpf harness: bad probe index %q", s)
		}
		return &probes[i], nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		switch {
		case f[0] == "refused" && len(f) == 4:
			p, err := probe(f[1])
			if err != nil {
				return nil, nil, err
			}
			refused[p.Key()] = f[3]
		case f[0] == "hit" && len(f) == 5:
			hp, err := strconv.Atoi(f[1])
			if err != nil || hp != pid {
				continue
			}
			p, err := probe(f[2])
			if err != nil {
				return nil, nil, err
			}
			n, err := strconv.Atoi(f[3])
			if err != nil {
				return nil, nil, fmt.Errorf("libbpf harness: bad arg count in %q", sc.Text())
			}
			h := Hit{Probe: p.Key()}
			vals := strings.Fields(f[4])
			if n < 0 {
				// bpf_usdt_arg_cnt failed: the consumer cannot read the
				// probe at this hit.
				for range p.Operands {
					h.Values = append(h.Values, Value{Err: "bpf_usdt_arg_cnt: error " + strconv.Itoa(n)})
				}
				hits = append(hits, h)
				continue
			}
			for i := 0; i < n && i < len(vals); i++ {
				v, r, ok := strings.Cut(vals[i], ":")
				val, err1 := strconv.ParseInt(v, 10, 64)
				ret, err2 := strconv.Atoi(r)
				if !ok || err1 != nil || err2 != nil {
					return nil, nil, fmt.Errorf("libbpf harness: bad value %q", vals[i])
				}
				if ret != 0 {
					h.Values = append(h.Values, Value{Err: "bpf_usdt_arg: error " + strconv.Itoa(ret)})
				} else {
					h.Values = append(h.Values, Value{V: uint64(val)})
				}
			}
			hits = append(hits, h)
		}
	}
	return refused, hits, sc.Err()
}
