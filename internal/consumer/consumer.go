// Package consumer runs the conformance cases under every USDT consumer,
// not only usdtspec's own runner: libbpf (Debian's 1.7 and 1.1, built by
// internal/oracle/build.sh), bpftrace (sid's 0.27, internal/peer) and
// bcc (Debian's python3-bpfcc). Each consumer attaches to every probe of
// a case with its own USDT code and decodes every argument; the case's
// printed lines (docs/conform.md) say what each argument was.
//
// Every probe of a case ends in one of four outcomes, worst first:
// Wrong (a value decoded that is not what the probe passed: silent
// garbage), Refused (the consumer said it cannot read the probe or an
// argument, with its own message), NotFired (attached, but no hit for
// the case's lines: e.g. a semaphore not raised) and Right.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/usdtspec/usdtspec/conformance"
)

// Outcome of a probe (or of one argument) under a consumer.
type Outcome int

const (
	Right Outcome = iota
	NotFired
	Refused
	// Wrong is the worst: a value that is not what the probe passed, and
	// nothing says so.
	Wrong
)

var outcomeNames = [...]string{"right", "not fired", "refused", "wrong"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

func (o *Outcome) UnmarshalText(b []byte) error {
	i := slices.Index(outcomeNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("consumer: unknown outcome %q", b)
	}
	*o = Outcome(i)
	return nil
}

// Arg is one argument of a probe as a consumer read it: at the first hit
// that went wrong, else at the first hit.
type Arg struct {
	Index    int     `json:"index"`
	Operand  string  `json:"operand"` // the call sites' operands, " | " between distinct ones
	Expected string  `json:"expected,omitempty"`
	Decoded  string  `json:"decoded,omitempty"`
	Outcome  Outcome `json:"outcome"`
	Message  string  `json:"message,omitempty"`
}

// Probe is the verdict on one probe (provider:name, every call site) of a
// case.
type Probe struct {
	Probe   string  `json:"probe"`
	Outcome Outcome `json:"outcome"`
	Message string  `json:"message,omitempty"` // the consumer's own message when refused; why, when not right
	Hits    int     `json:"hits"`
	Lines   int     `json:"lines"`
	Args    []Arg   `json:"args,omitempty"`
}

// Result of one case under one consumer.
type Result struct {
	Consumer string `json:"consumer"`
	Case     string `json:"case"`
	// Error: the case could not be run under the consumer at all.
	Error  string  `json:"error,omitempty"`
	Probes []Probe `json:"probes"`
}

// Counts are the probes of a result by outcome.
type Counts struct {
	Right    int `json:"right"`
	Wrong    int `json:"wrong"`
	Refused  int `json:"refused"`
	NotFired int `json:"not_fired"`
}

func (c *Counts) Add(o Outcome) {
	switch o {
	case Right:
		c.Right++
	case Wrong:
		c.Wrong++
	case Refused:
		c.Refused++
	case NotFired:
		c.NotFired++
	}
}

func (c *Counts) Plus(d Counts) {
	c.Right += d.Right
	c.Wrong += d.Wrong
	c.Refused += d.Refused
	c.NotFired += d.NotFired
}

func (c Counts) Total() int { return c.Right + c.Wrong + c.Refused + c.NotFired }

func (c Counts) String() string {
	return fmt.Sprintf("%d right, %d wrong, %d refused, %d not fired", c.Right, c.Wrong, c.Refused, c.NotFired)
}

// Counts counts the result's probes by outcome.
func (r *Result) Counts() Counts {
	var c Counts
	for _, p := range r.Probes {
		c.Add(p.Outcome)
	}
	return c
}

// Find returns the verdict on probe, or nil.
func (r *Result) Find(probe string) *Probe {
	for i := range r.Probes {
		if r.Probes[i].Probe == probe {
			return &r.Probes[i]
		}
	}
	return nil
}

// Consumer is one USDT consumer, found installed.
type Consumer interface {
	// Name is the consumer's name for --consumer: "libbpf", "bcc", ...
	Name() string
	// Version is what the consumer says it is ("libbpf 1.7.0-1").
	Version() string
	// Run attaches to every probe of c with the consumer's own USDT
	// code, runs c, and judges every probe. An error means the case
	// could not be run at all.
	Run(ctx context.Context, c conformance.Case) (*Result, error)
}

// ErrNotInstalled: the consumer's tools are not on this machine; the
// error's text names the command that installs them.
var ErrNotInstalled = errors.New("consumer not installed")

// ErrUnknown: no consumer of that name.
var ErrUnknown = errors.New("unknown consumer")

// Names lists the consumers, in the order of the report.
func Names() []string { return []string{"usdtspec", "libbpf", "libbpf-1.1", "bpftrace", "bcc"} }

// Config says where the consumers' tools are.
type Config struct {
	// Cache is $USDTSPEC_CACHE: oracle/ (libbpf's builds), consumer/
	// (the libbpf harness), bpftrace/sid-root.
	Cache string
}

// Open finds the consumer called name.
func Open(name string, cfg Config) (Consumer, error) {
	switch name {
	case "usdtspec":
		return usdtspec{}, nil
	case "libbpf":
		return openLibbpf(cfg, "sid", name)
	case "libbpf-1.1":
		return openLibbpf(cfg, "bookworm", name)
	case "bpftrace":
		return openBpftrace(cfg)
	case "bcc":
		return openBcc(cfg)
	}
	return nil, fmt.Errorf("%w %q (have %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Expand turns "all" and comma-separated lists into consumer names.
func Expand(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
			case part == "all":
				for _, m := range Names() {
					if !slices.Contains(out, m) {
						out = append(out, m)
					}
				}
			case !slices.Contains(Names(), part):
				return nil, fmt.Errorf("%w %q (have %s, all)", ErrUnknown, part, strings.Join(Names(), ", "))
			case !slices.Contains(out, part):
				out = append(out, part)
			}
		}
	}
	return out, nil
}
