package consumer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/usdtspec/usdtspec/conformance"
)

// usdtspec is today's runner, conformance.Run: package usdt attaches
// conform.bpf.c, built on bpf/usdt.bpf.h.
type usdtspec struct{}

func (usdtspec) Name() string    { return "usdtspec" }
func (usdtspec) Version() string { return "usdtspec (conformance.Run)" }

// Run runs c under conformance.Run and sorts its failures into the
// probes' outcomes. conformance.Run reports mismatches only, so the case
// is run once more, untraced, for the lines of every probe (a case prints
// the same lines whether traced or not: docs/conform.md).
func (u usdtspec) Run(ctx context.Context, c conformance.Case) (*Result, error) {
	res := &Result{Consumer: u.Name(), Case: c.Name()}
	probes, err := Probes(append([]string{c.Executable}, c.Libraries...))
	if err != nil {
		return nil, err
	}
	lines, err := caseLines(ctx, c)
	if err != nil {
		return nil, err
	}
	r, err := conformance.Run(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("consumer: usdtspec on %s: %w", c.Name(), err)
	}
	res.Probes = fromConformance(probes, lines, r)
	for _, f := range r.Failures {
		if f.Probe == r.Case {
			res.Error = f.Reason
		}
	}
	return res, nil
}

// fromConformance turns conformance.Run's failures and limits into the
// probes' outcomes: "attach failed" refuses a probe, a hardware limit or
// a failing bpf_usdt_arg refuses an argument, "line with no hit" is not
// fired, every other failure (a value, a count, a hit of the wrong
// probe) is wrong; a probe with none of these is right.
func fromConformance(probes []ProbeInfo, lines []conformance.Line, r *conformance.Result) []Probe {
	linesOf := map[string][]conformance.Line{}
	for _, l := range lines {
		linesOf[l.Probe] = append(linesOf[l.Probe], l)
	}
	byProbe := map[string][]conformance.Failure{}
	for _, f := range r.Failures {
		byProbe[f.Probe] = append(byProbe[f.Probe], f)
	}
	for _, f := range r.Limits {
		byProbe[f.Probe] = append(byProbe[f.Probe], f)
	}
	var out []Probe
	done := map[string]bool{}
	for i := range probes {
		p := &probes[i]
		key := p.Key()
		if done[key] {
			continue
		}
		done[key] = true
		ls, fs := linesOf[key], byProbe[key]
		if len(ls) == 0 && len(fs) == 0 {
			continue
		}
		v := Probe{Probe: key, Lines: len(ls), Hits: len(ls)}
		for k := range p.Operands {
			a := Arg{Index: k, Operand: p.Operand(k)}
			if len(ls) > 0 && k < len(ls[0].Tokens) {
				a.Expected = ls[0].Tokens[k]
			}
			v.Args = append(v.Args, a)
		}
		worst, notFired, shown := Right, 0, false
		for _, f := range fs {
			o := Wrong
			switch {
			case strings.HasPrefix(f.Reason, "attach failed"):
				o, v.Hits = Refused, 0
			case strings.HasPrefix(f.Reason, "hardware limit"), f.Reason == "bpf_usdt_arg failed":
				o = Refused
			case strings.HasPrefix(f.Reason, "line with no hit"):
				o = NotFired
				notFired++
			}
			if o > worst || !shown && o == worst {
				worst, shown = o, true
				v.Message = f.String()
				if f.Arg >= 0 && f.Arg < len(v.Args) {
					a := &v.Args[f.Arg]
					a.Outcome, a.Decoded, a.Message = o, f.Got, f.Reason
					if f.Want != "" {
						a.Expected = f.Want
					}
				}
			}
		}
		if worst == Right {
			for k := range v.Args {
				v.Args[k].Message = "matched (conformance.Run)"
			}
		}
		if worst != Refused {
			v.Hits = len(ls) - notFired
		}
		v.Outcome = worst
		out = append(out, v)
	}
	for key, fs := range byProbe {
		if !done[key] && key != r.Case {
			done[key] = true
			out = append(out, Probe{Probe: key, Outcome: Wrong, Message: fs[0].String()})
		}
	}
	return out
}

// caseLines runs the case, untraced, for its lines.
func caseLines(ctx context.Context, c conformance.Case) ([]conformance.Line, error) {
	var out bytes.Buffer
	cmd := caseCommand(ctx, c)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("consumer: %s: the case failed: %w", c.Name(), err)
	}
	lines, err := conformance.ParseLines(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("consumer: %s: %w", c.Name(), err)
	}
	return lines, nil
}
