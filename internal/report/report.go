// Package report writes the consumers × cases matrix of a conformance run
// under several USDT consumers (internal/consumer): report.json (every
// verdict, down to each argument), report.md (the table and the probes
// that are not right), and report.html, one self-contained page (no
// network: its style and script are inline) with a sortable table whose
// cells open the per-argument details.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/usdtspec/usdtspec/internal/consumer"
)

// Consumer is one consumer of the run: its version, or why it did not run.
type Consumer struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Error: the consumer is not installed (naming the command that
	// installs it) or could not be opened.
	Error string `json:"error,omitempty"`
}

// Report is a run: consumers, cases, and one result per (consumer, case)
// that ran.
type Report struct {
	Consumers []Consumer                 `json:"consumers"`
	Cases     []string                   `json:"cases"`
	Results   []*consumer.Result         `json:"results"`
	Totals    map[string]consumer.Counts `json:"totals"`
}

// Add records a result, and its case if new.
func (r *Report) Add(res *consumer.Result) {
	r.Results = append(r.Results, res)
	if !slices.Contains(r.Cases, res.Case) {
		r.Cases = append(r.Cases, res.Case)
	}
}

// Result is the result of consumer on case c, or nil.
func (r *Report) Result(consumerName, c string) *consumer.Result {
	for _, res := range r.Results {
		if res.Consumer == consumerName && res.Case == c {
			return res
		}
	}
	return nil
}

// Total adds up a consumer's counts over every case.
func (r *Report) Total(consumerName string) consumer.Counts {
	var t consumer.Counts
	for _, res := range r.Results {
		if res.Consumer == consumerName {
			t.Plus(res.Counts())
		}
	}
	return t
}

func (r *Report) totals() map[string]consumer.Counts {
	m := map[string]consumer.Counts{}
	for _, c := range r.Consumers {
		m[c.Name] = r.Total(c.Name)
	}
	return m
}

// Write writes dir/report.json, dir/report.md and dir/report.html.
func Write(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r.Totals = r.totals()
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(Markdown(r)), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	page, err := HTML(r)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), page, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Cell is the text of a table cell: "R/W/X/N" (right, wrong, refused,
// not fired), or why there is no result.
func Cell(res *consumer.Result) string {
	if res == nil {
		return "—"
	}
	if res.Error != "" {
		return "error"
	}
	c := res.Counts()
	return fmt.Sprintf("%d/%d/%d/%d", c.Right, c.Wrong, c.Refused, c.NotFired)
}
