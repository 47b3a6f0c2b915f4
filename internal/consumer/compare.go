package consumer

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/conformance"
)

// ProbeInfo is one probe of a case's files, as the consumers are asked to
// read it.
type ProbeInfo struct {
	Path     string // absolute path of the file holding it
	Provider string
	Name     string
	// Operands, one per argument: the distinct operands of its call
	// sites ("-4@%edi", ...).
	Operands [][]string
	// Signed, one per argument: signed at every call site.
	Signed []bool
}

// Key is "provider:name", as the case prints it.
func (p *ProbeInfo) Key() string { return p.Provider + ":" + p.Name }

// Operand is argument i's operands, " | " between distinct ones.
func (p *ProbeInfo) Operand(i int) string {
	if i < len(p.Operands) {
		return strings.Join(p.Operands[i], " | ")
	}
	return ""
}

// Probes lists the probes of files (a case's executable, then its
// libraries) in note order. A probe is listed once per file.
func Probes(files []string) ([]ProbeInfo, error) {
	var probes []ProbeInfo
	for _, path := range files {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("consumer: %w", err)
		}
		f, err := compiler.Open(abs)
		if err != nil {
			return nil, fmt.Errorf("consumer: %w", err)
		}
		index := map[string]int{}
		for i := range f.CallSites {
			cs := &f.CallSites[i]
			key := cs.Provider + ":" + cs.Name
			j, seen := index[key]
			if !seen {
				j = len(probes)
				index[key] = j
				probes = append(probes, ProbeInfo{Path: abs, Provider: cs.Provider, Name: cs.Name})
			}
			p := &probes[j]
			// Raw operands: a site whose notes did not parse still has
			// its argument string.
			ops := strings.Fields(cs.Args)
			if len(cs.Arguments) > 0 {
				ops = ops[:0]
				for _, a := range cs.Arguments {
					ops = append(ops, a.Text)
				}
			}
			for k, op := range ops {
				for len(p.Operands) <= k {
					p.Operands = append(p.Operands, nil)
					p.Signed = append(p.Signed, true)
				}
				if !slices.Contains(p.Operands[k], op) {
					p.Operands[k] = append(p.Operands[k], op)
				}
				if k < len(cs.Arguments) {
					p.Signed[k] = p.Signed[k] && cs.Arguments[k].Signed
				} else {
					p.Signed[k] = p.Signed[k] && strings.HasPrefix(op, "-")
				}
			}
		}
	}
	return probes, nil
}

// Value is one argument as a consumer decoded it at a hit: its 64-bit
// value, or the consumer's error.
type Value struct {
	V   uint64
	Err string
}

// Hit is one hit of a probe of the case's process, in firing order.
type Hit struct {
	Probe  string // provider:name
	Values []Value
}

// Compare judges every probe: the k-th hit of a probe is paired with the
// k-th line the case printed for it. refused holds the probes the
// consumer would not attach (provider:name → its message). Probes the
// case never printed and the consumer never hit are left out: there is
// nothing to judge.
func Compare(probes []ProbeInfo, refused map[string]string, hits []Hit, lines []conformance.Line) []Probe {
	hitsOf := map[string][]Hit{}
	for _, h := range hits {
		hitsOf[h.Probe] = append(hitsOf[h.Probe], h)
	}
	linesOf := map[string][]conformance.Line{}
	for _, l := range lines {
		linesOf[l.Probe] = append(linesOf[l.Probe], l)
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
		ls, hs := linesOf[key], hitsOf[key]
		msg, isRefused := refused[key]
		if len(ls) == 0 && len(hs) == 0 && !isRefused {
			continue
		}
		out = append(out, judge(p, isRefused, msg, hs, ls))
	}
	// Hits or lines of probes not in the files: a broken case or consumer.
	var extra []string
	for k := range hitsOf {
		if !done[k] {
			extra = append(extra, k)
			done[k] = true
		}
	}
	for k := range linesOf {
		if !done[k] {
			extra = append(extra, k)
			done[k] = true
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		out = append(out, Probe{Probe: k, Outcome: Wrong, Hits: len(hitsOf[k]), Lines: len(linesOf[k]),
			Message: fmt.Sprintf("%d hits and %d lines of a probe not in the case's files", len(hitsOf[k]), len(linesOf[k]))})
	}
	return out
}

// judge gives one probe its verdict.
func judge(p *ProbeInfo, refused bool, msg string, hs []Hit, ls []conformance.Line) Probe {
	v := Probe{Probe: p.Key(), Hits: len(hs), Lines: len(ls)}
	args := func() []Arg {
		var a []Arg
		for i := range p.Operands {
			a = append(a, Arg{Index: i, Operand: p.Operand(i)})
		}
		return a
	}
	if refused {
		v.Outcome, v.Message, v.Args = Refused, msg, args()
		for i := range v.Args {
			v.Args[i].Outcome = Refused
			if len(ls) > 0 && i < len(ls[0].Tokens) {
				v.Args[i].Expected = ls[0].Tokens[i]
			}
		}
		return v
	}
	if len(hs) == 0 {
		v.Outcome, v.Args = NotFired, args()
		v.Message = fmt.Sprintf("attached, but no hit for the case's %d lines", len(ls))
		for i := range v.Args {
			v.Args[i].Outcome = NotFired
			if i < len(ls[0].Tokens) {
				v.Args[i].Expected = ls[0].Tokens[i]
			}
		}
		return v
	}
	// The hit to show: the first one that went wrong, else the first.
	show, worst := -1, Right
	var decodeErr string
	var perHit [][]Arg
	for k := range min(len(hs), len(ls)) {
		a, o, why := judgeHit(p, &hs[k], &ls[k])
		perHit = append(perHit, a)
		if o == Wrong && worst != Wrong {
			show, worst = k, Wrong
			v.Message = fmt.Sprintf("hit %d: %s", k+1, why)
		}
		if o == Refused && worst == Right {
			worst, decodeErr = Refused, why
			if show < 0 {
				show = k
			}
		}
	}
	if show < 0 {
		show = 0
	}
	if show < len(perHit) {
		v.Args = perHit[show]
	}
	switch {
	case worst == Wrong:
		v.Outcome = Wrong
	case len(hs) > len(ls):
		v.Outcome = Wrong
		v.Message = fmt.Sprintf("%d hits for %d lines: hits the probe did not make", len(hs), len(ls))
	case worst == Refused:
		v.Outcome, v.Message = Refused, decodeErr
	case len(hs) < len(ls):
		v.Outcome = NotFired
		v.Message = fmt.Sprintf("fired %d times of %d", len(hs), len(ls))
	default:
		v.Outcome = Right
	}
	return v
}

// judgeHit compares one hit with its line: per-argument verdicts, the
// hit's outcome (Wrong, Refused when the consumer failed to decode an
// argument, Right) and why.
func judgeHit(p *ProbeInfo, h *Hit, l *conformance.Line) ([]Arg, Outcome, string) {
	n := max(len(l.Tokens), len(h.Values))
	args := make([]Arg, n)
	outcome, why := Right, ""
	for i := range n {
		a := &args[i]
		a.Index, a.Operand = i, p.Operand(i)
		if i < len(h.Values) {
			if h.Values[i].Err != "" {
				a.Decoded = "error: " + h.Values[i].Err
			} else {
				a.Decoded = fmt.Sprintf("%d (%#x)", h.Values[i].V, h.Values[i].V)
			}
		}
		switch {
		case i >= len(l.Tokens):
			a.Outcome, a.Message = Wrong, "an argument the case did not pass"
		case i >= len(h.Values):
			a.Expected = l.Tokens[i]
			a.Outcome, a.Message = Wrong, "not read: the consumer gave fewer arguments"
		default:
			a.Expected = l.Tokens[i]
			if a.Expected == "*" {
				a.Message = "not compared"
				continue
			}
			want, err := conformance.ParseValue(a.Expected)
			switch {
			case err != nil:
				a.Outcome, a.Message = Wrong, "bad value on the case's line: "+err.Error()
			case h.Values[i].Err != "":
				a.Outcome, a.Message = Refused, h.Values[i].Err
			case h.Values[i].V != want:
				a.Outcome = Wrong
				a.Message = fmt.Sprintf("got %#x, want %#x", h.Values[i].V, want)
			default:
				a.Expected = fmt.Sprintf("%s (%#x)", a.Expected, want)
			}
		}
		if a.Outcome == Wrong && outcome != Wrong {
			outcome, why = Wrong, fmt.Sprintf("arg #%d %s: %s", i, a.Operand, a.Message)
		}
		if a.Outcome == Refused && outcome == Right {
			outcome, why = Refused, fmt.Sprintf("arg #%d %s: %s", i, a.Operand, a.Message)
		}
	}
	if len(h.Values) != len(l.Tokens) && outcome != Wrong {
		outcome, why = Wrong, fmt.Sprintf("%d arguments read, %d printed", len(h.Values), len(l.Tokens))
	}
	return args, outcome, why
}
