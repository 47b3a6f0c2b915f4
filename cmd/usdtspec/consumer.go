package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/usdtspec/usdtspec/conformance"
	"github.com/usdtspec/usdtspec/internal/consumer"
	"github.com/usdtspec/usdtspec/internal/report"
)

// consumerFlagUsage and reportFlagUsage are the help of conform's
// --consumer and --report.
const (
	consumerFlagUsage = "run the cases under USDT consumer `NAME` instead of usdtspec's runner: " +
		"usdtspec, libbpf (1.7), libbpf-1.1, bpftrace, bcc, or all; comma-separated or repeated for several. " +
		"Each probe ends right, wrong (a value the probe did not pass), refused (the consumer's message) or not fired (docs/consumers.md)"
	reportFlagUsage = "with --consumer, write `DIR`/report.json, report.md and report.html (the consumers × cases table)"
)

// conformConsumers runs cases under the consumers named (native runs,
// root). It prints one line per (consumer, case), the probes that are
// not right, worst first, and the totals; with reportDir, it writes the
// report there. Exit status 1 when a consumer is not installed or a case
// could not run under one, or when usdtspec's own runner got a probe
// wrong or not fired outside the known failures; the other consumers'
// verdicts are the report, not a failure.
func conformConsumers(names []string, cases []conformance.Case, reportDir string, asJSON bool, stdout, stderr io.Writer) int {
	names, err := consumer.Expand(names)
	if err != nil {
		fmt.Fprintf(stderr, "usdtspec conform: --consumer: %v\n", err)
		return exitUsage
	}
	if os.Geteuid() != 0 {
		fmt.Fprintf(stderr, "usdtspec conform: %v; run as root\n", conformance.ErrNotRoot)
		return exitFailure
	}
	status := exitOK
	rep := &report.Report{}
	var open []consumer.Consumer
	for _, n := range names {
		c, err := consumer.Open(n, consumer.Config{Cache: cacheDir()})
		if err != nil {
			fmt.Fprintf(stderr, "usdtspec conform: %v\n", err)
			rep.Consumers = append(rep.Consumers, report.Consumer{Name: n, Error: err.Error()})
			status = exitFailure
			continue
		}
		rep.Consumers = append(rep.Consumers, report.Consumer{Name: n, Version: c.Version()})
		open = append(open, c)
	}
	for _, cs := range cases {
		rep.Cases = append(rep.Cases, cs.Name())
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	total := len(open) * len(cases)
	done := 0
	for _, c := range open {
		for _, cs := range cases {
			done++
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			res, err := c.Run(ctx, cs)
			cancel()
			if err != nil {
				res = &consumer.Result{Consumer: c.Name(), Case: cs.Name(), Error: err.Error()}
			}
			rep.Add(res)
			if res.Error != "" {
				status = exitFailure
			}
			counts := res.Counts()
			if c.Name() == "usdtspec" && cs.KnownFailure() == "" && (counts.Wrong > 0 || counts.NotFired > 0) {
				status = exitFailure
			}
			if total > 1 {
				fmt.Fprintf(stderr, "[%d/%d] %-11s %-40s %s\n", done, total, c.Name(), cs.Name(), report.Cell(res))
			}
			if !asJSON {
				writeConsumerResult(w, res)
			}
		}
	}
	if reportDir != "" {
		if err := report.Write(reportDir, rep); err != nil {
			fmt.Fprintf(stderr, "usdtspec conform: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stderr, "report: %s/report.html\n", strings.TrimSuffix(reportDir, "/"))
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"consumers": rep.Consumers, "results": rep.Results})
		return status
	}
	fmt.Fprintf(w, "consumer     right  wrong  refused  not-fired  version\n")
	for _, c := range rep.Consumers {
		if c.Error != "" {
			fmt.Fprintf(w, "%-11s  did not run: %s\n", c.Name, c.Error)
			continue
		}
		t := rep.Total(c.Name)
		fmt.Fprintf(w, "%-11s %6d %6d %8d %10d  %s\n", c.Name, t.Right, t.Wrong, t.Refused, t.NotFired, c.Version)
	}
	return status
}

// writeConsumerResult prints a case's line under a consumer, then its
// probes that are not right, worst first.
func writeConsumerResult(w io.Writer, r *consumer.Result) {
	if r.Error != "" {
		fmt.Fprintf(w, "%-11s %s: did not run: %s\n", r.Consumer, r.Case, r.Error)
		return
	}
	fmt.Fprintf(w, "%-11s %s: %s\n", r.Consumer, r.Case, r.Counts())
	for _, o := range []consumer.Outcome{consumer.Wrong, consumer.Refused, consumer.NotFired} {
		for _, p := range r.Probes {
			if p.Outcome == o {
				fmt.Fprintf(w, "    %-9s %s: %s\n", strings.ToUpper(o.String()), p.Probe, p.Message)
			}
		}
	}
}
