package report

import (
	"fmt"
	"strings"

	"github.com/usdtspec/usdtspec/internal/consumer"
)

// Markdown is report.md: the consumers, the table (a row per case, a
// column per consumer, cells right/wrong/refused/not fired), the totals,
// then every probe that is not right, wrong ones first.
func Markdown(r *Report) string {
	var b strings.Builder
	b.WriteString("# USDT consumers × conformance cases\n\n")
	b.WriteString("Each cell counts the case's probes: right/wrong/refused/not fired. ")
	b.WriteString("Wrong is the worst: a value decoded that the probe did not pass, silently.\n\n")
	for _, c := range r.Consumers {
		if c.Error != "" {
			fmt.Fprintf(&b, "- **%s**: did not run: %s\n", c.Name, md(c.Error))
		} else {
			fmt.Fprintf(&b, "- **%s**: %s\n", c.Name, md(c.Version))
		}
	}
	b.WriteString("\n| case |")
	for _, c := range r.Consumers {
		fmt.Fprintf(&b, " %s |", c.Name)
	}
	b.WriteString("\n|---|")
	for range r.Consumers {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, cs := range r.Cases {
		fmt.Fprintf(&b, "| %s |", md(cs))
		for _, c := range r.Consumers {
			fmt.Fprintf(&b, " %s |", Cell(r.Result(c.Name, cs)))
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total** |")
	for _, c := range r.Consumers {
		t := r.Total(c.Name)
		fmt.Fprintf(&b, " **%d/%d/%d/%d** |", t.Right, t.Wrong, t.Refused, t.NotFired)
	}
	b.WriteString("\n")
	for _, o := range []consumer.Outcome{consumer.Wrong, consumer.Refused, consumer.NotFired} {
		var rows []string
		for _, res := range r.Results {
			for _, p := range res.Probes {
				if p.Outcome == o {
					rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", res.Consumer, md(res.Case), md(p.Probe), md(p.Message)))
				}
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%d probes)\n\n| consumer | case | probe | message |\n|---|---|---|---|\n%s\n", o, len(rows), strings.Join(rows, "\n"))
	}
	var errs []string
	for _, res := range r.Results {
		if res.Error != "" {
			errs = append(errs, fmt.Sprintf("| %s | %s | %s |", res.Consumer, md(res.Case), md(res.Error)))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(&b, "\n## cases that did not run\n\n| consumer | case | error |\n|---|---|---|\n%s\n", strings.Join(errs, "\n"))
	}
	return b.String()
}

// md escapes a table cell.
func md(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
