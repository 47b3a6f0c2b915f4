package usdt

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoaderCacheAgainstLdconfig: the cache parser reads what ldconfig
// -p, glibc's own reader, prints for this machine's /etc/ld.so.cache.
func TestLoaderCacheAgainstLdconfig(t *testing.T) {
	ldconfig, err := exec.LookPath("ldconfig")
	if err != nil {
		t.Skip("no ldconfig")
	}
	data, err := os.ReadFile(ldCachePath)
	if err != nil {
		t.Skipf("no loader cache: %v", err)
	}
	out, err := exec.Command(ldconfig, "-p").Output()
	if err != nil {
		t.Fatalf("ldconfig -p: %v", err)
	}
	// "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6"
	line := regexp.MustCompile(`^\s+(\S+) \(.*\) => (\S+)$`)
	var want []loaderCacheEntry
	for _, l := range strings.Split(string(out), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			want = append(want, loaderCacheEntry{m[1], m[2]})
		}
	}
	got, err := parseLoaderCache(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("ldconfig -p printed no entries:\n%s", out)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(loaderCacheEntry{})); diff != "" {
		t.Errorf("parsed cache differs from ldconfig -p (-ldconfig +parsed):\n%s", diff)
	}
	// Truncated files, and a header whose entries do not fit.
	huge := append([]byte(ldCacheMagic), 0xff, 0xff, 0xff, 0xff)
	huge = append(huge, make([]byte, ldCacheHeader-len(huge))...)
	for _, bad := range [][]byte{nil, []byte(ldCacheMagic), []byte(ldCacheOldMagic), data[:ldCacheHeader+1], huge} {
		if _, err := parseLoaderCache(bad); err == nil {
			t.Errorf("parseLoaderCache(%q) did not fail", bad)
		}
	}
}

// TestResolve: short names resolve as the loader, the shell, and a
// process's own mappings would.
func TestResolve(t *testing.T) {
	out, err := exec.Command("ldconfig", "-p").Output()
	if err != nil {
		t.Skipf("ldconfig -p: %v", err)
	}
	m := regexp.MustCompile(`(?m)^\s+libstdc\+\+\.so\.6 \(.*` + map[string]string{"amd64": "x86-64", "arm64": "AArch64"}[hostArch()] + `.*\) => (\S+)$`).FindSubmatch(out)
	if m == nil {
		t.Skip("ldconfig -p lists no libstdc++.so.6 of this architecture")
	}
	libstdcxx := string(m[1])
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, want string }{
		{"libstdc++.so.6", libstdcxx},
		{"libstdc++.so", libstdcxx},
		{"libstdc++", libstdcxx},
		{"sh", sh},
		{"/no/such/path", "/no/such/path"}, // a path is the caller's
	} {
		if got, err := Resolve(c.name, 0); err != nil || got != c.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	for _, name := range []string{"", "libnosuch-usdtspec.so.1", "nosuch-usdtspec-program"} {
		if _, err := Resolve(name, 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%q) = %v, want ErrNotFound", name, err)
		}
	}

	// A process's own libc, through its root.
	exe := buildWaiter(t)
	w := startWaiter(t, exe)
	w.fire(t, 1)
	pid := w.cmd.Process.Pid
	got, err := Resolve("libc.so.6", pid)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "/proc/") || filepath.Base(got) != "libc.so.6" {
		t.Errorf("Resolve(libc.so.6, %d) = %q, want its libc under /proc/%d/root", pid, got, pid)
	}
	if got, err := Resolve("waiter", pid); err != nil || !sameFileAs(got, exe) {
		t.Errorf("Resolve(waiter, %d) = %q, %v; want %s", pid, got, err, exe)
	}
}

func sameFileAs(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// TestAttachShortName: a Target names a library as a user would.
func TestAttachShortName(t *testing.T) {
	needRoot(t)
	target := Target{Path: "libstdc++.so.6", Probe: "libstdcxx:throw"}
	if _, err := Resolve(target.Path, 0); err != nil {
		t.Skip(err)
	}
	l := load(t, Config{Targets: []Target{target}})
	ln, err := l.m.Attach(l.prog(), target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if len(ln.Sites()) == 0 {
		t.Fatal("no call sites attached")
	}
	if l.m.reads != 1 {
		t.Errorf("libstdc++ read %d times, want once", l.m.reads)
	}
}
