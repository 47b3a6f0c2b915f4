package consumer

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	"github.com/usdtspec/usdtspec/conformance"
	"github.com/usdtspec/usdtspec/internal/peer"
)

// bpftrace is sid's bpftrace (0.27) from the private root of
// internal/peer/setup.sh, run by internal/peer: a generated script prints
// argN of every probe (bpftrace's own USDT support, over libbpf's).
type bpftrace struct{ tool *peer.Tool }

// InstallBpftrace is the command that makes bpftrace's root.
const InstallBpftrace = "make peer-root"

func openBpftrace(cfg Config) (Consumer, error) {
	t, err := peer.FindRoot(filepath.Join(cfg.Cache, "bpftrace", "sid-root"))
	if err != nil {
		return nil, fmt.Errorf("bpftrace: %w: %w (`%s` makes it: sid's bpftrace in a private root)", ErrNotInstalled, err, InstallBpftrace)
	}
	return &bpftrace{tool: t}, nil
}

// Bpftrace is the bpftrace consumer over a bpftrace found otherwise (the
// host's, say: peer.FindHost).
func Bpftrace(t *peer.Tool) Consumer { return &bpftrace{tool: t} }

func (b *bpftrace) Name() string    { return "bpftrace" }
func (b *bpftrace) Version() string { return b.tool.Version }

func (b *bpftrace) Run(ctx context.Context, c conformance.Case) (*Result, error) {
	probes, err := Probes(append([]string{c.Executable}, c.Libraries...))
	if err != nil {
		return nil, err
	}
	script, err := peer.Probes(append([]string{c.Executable}, c.Libraries...))
	if err != nil {
		return nil, err
	}
	// -d libbpf: libbpf's messages (on stdout), which say why it rejects
	// a probe; bpftrace alone only gives the errno.
	bt := b.tool.Command(ctx, dirsOf(probes), "--usdt-file-activation", "-d", "libbpf", "-e", peer.Script(script))
	tr, err := trace(ctx, bt, peer.Ready, stopSigint, c)
	if err != nil {
		return nil, fmt.Errorf("consumer: bpftrace on %s: %w", c.Name(), err)
	}
	res := &Result{Consumer: b.Name(), Case: c.Name()}
	if tr.Exited != nil {
		res.Error = fmt.Sprintf("bpftrace exited before attaching (%v): %s", tr.Exited, peer.ErrorLines(string(tr.Stderr)))
		return res, nil
	}
	all, _, _ := peer.ParseOutput(tr.Stdout)
	var hits []peer.Hit
	for _, h := range all {
		if h.Pid == tr.Pid {
			hits = append(hits, h)
		}
	}
	res.Probes = Compare(probes, peer.AttachFailures(tr.Stderr, tr.Stdout), bpftraceHits(hits), tr.Lines)
	return res, nil
}

// bpftraceHits puts bpftrace's hits in time order (its per-CPU buffers
// print out of order) and reads their values.
func bpftraceHits(in []peer.Hit) []Hit {
	in = slices.Clone(in)
	sort.SliceStable(in, func(i, j int) bool { return in[i].Nsecs < in[j].Nsecs })
	out := make([]Hit, 0, len(in))
	for _, h := range in {
		hit := Hit{Probe: h.Probe}
		for _, tok := range h.Tokens {
			v, err := conformance.ParseValue(tok)
			if err != nil {
				hit.Values = append(hit.Values, Value{Err: fmt.Sprintf("bpftrace printed %q", tok)})
				continue
			}
			hit.Values = append(hit.Values, Value{V: v})
		}
		out = append(out, hit)
	}
	return out
}
