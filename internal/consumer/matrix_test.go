package consumer_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usdtspec/usdtspec/conformance"
	"github.com/usdtspec/usdtspec/internal/cachedir"
	"github.com/usdtspec/usdtspec/internal/consumer"
)

// repoRoot is where cases.list's relative paths start.
const repoRoot = "../.."

// readCases reads the case list CONSUMER_CASES (default
// build/conformance/cases.list; paths relative to the repository root),
// keeping the builds whose names match CONSUMER_CASES_RE (default the
// gcc -O2 PIE builds: one build of every case keeps the test short).
func readCases(t *testing.T) []conformance.Case {
	t.Helper()
	list := os.Getenv("CONSUMER_CASES")
	if list == "" {
		list = filepath.Join(repoRoot, "build/conformance/cases.list")
	}
	re := regexp.MustCompile(`-gcc-O2-pie$`)
	if s := os.Getenv("CONSUMER_CASES_RE"); s != "" {
		re = regexp.MustCompile(s)
	}
	f, err := os.Open(list)
	if err != nil {
		t.Skipf("no case list (make conformance-cases): %v", err)
	}
	defer f.Close()
	var cases []conformance.Case
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		exe := strings.TrimSpace(sc.Text())
		if exe == "" || strings.HasPrefix(exe, "#") || !re.MatchString(filepath.Base(exe)) {
			continue
		}
		if !filepath.IsAbs(exe) {
			exe = filepath.Join(repoRoot, exe)
		}
		if _, err := os.Stat(exe); err != nil {
			continue
		}
		c := conformance.Case{Executable: exe}
		if b, err := os.ReadFile(exe + ".libs"); err == nil {
			for _, l := range strings.Fields(string(b)) {
				if !filepath.IsAbs(l) {
					l = filepath.Join(repoRoot, l)
				}
				c.Libraries = append(c.Libraries, l)
			}
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Skipf("%s lists no build matching %s", list, re)
	}
	return cases
}

// runMatrix runs every case under consumer name; it skips when the
// consumer is not installed, with the command that installs it.
func runMatrix(t *testing.T, name string, cases []conformance.Case) []*consumer.Result {
	t.Helper()
	c, err := consumer.Open(name, consumerConfig())
	if err != nil {
		t.Skipf("%v", err)
	}
	t.Logf("%s: %s", name, c.Version())
	var out []*consumer.Result
	for _, cs := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		r, err := c.Run(ctx, cs)
		cancel()
		if err != nil {
			t.Errorf("%s on %s: %v", name, cs.Name(), err)
			continue
		}
		out = append(out, r)
	}
	return out
}

func consumerConfig() consumer.Config { return consumer.Config{Cache: cachedir.Path()} }
