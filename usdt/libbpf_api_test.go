package usdt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/internal/cachedir"
)

const libbpfInclude = "#include <bpf/usdt.bpf.h>"

// TestLibbpfAPIProgram: a program written for libbpf's usdt.bpf.h builds
// against this module's header by changing only its include line, loads
// with cilium/ebpf, and reads the arguments.
func TestLibbpfAPIProgram(t *testing.T) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Skip("clang not installed")
	}
	src, err := os.ReadFile("testdata/libbpf_api.bpf.c")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(src), libbpfInclude) != 1 {
		t.Fatalf("testdata/libbpf_api.bpf.c must include %s once", libbpfInclude)
	}
	multiarch, _ := exec.Command("gcc", "-print-multiarch").Output()
	dir := t.TempDir()
	cflags := []string{"-O2", "-g", "-target", "bpf", "-Wall", "-Werror", "-I/usr/include/" + strings.TrimSpace(string(multiarch))}
	archDef := map[string]string{"amd64": "x86", "arm64": "arm64", "s390x": "s390"}[hostArch()]

	// As written, against libbpf's own header, when libbpf-dev has one
	// recent enough (bpf_usdt_arg_size is libbpf 1.6+).
	if h, err := os.ReadFile("/usr/include/bpf/usdt.bpf.h"); err == nil && strings.Contains(string(h), "bpf_usdt_arg_size") {
		out, err := exec.Command(clang, append(cflags, "-D__TARGET_ARCH_"+archDef, "-c", "testdata/libbpf_api.bpf.c", "-o", filepath.Join(dir, "libbpf.o"))...).CombinedOutput()
		if err != nil {
			t.Fatalf("the program does not build against libbpf's usdt.bpf.h: %v\n%s", err, out)
		}
	} else {
		t.Log("no libbpf-dev usdt.bpf.h with bpf_usdt_arg_size (libbpf 1.6+): not building the program against it")
	}

	// One line changed.
	ours := strings.Replace(string(src), libbpfInclude, `#include "usdt.bpf.h"`, 1)
	oursPath := filepath.Join(dir, "ours.bpf.c")
	os.WriteFile(oursPath, []byte(ours), 0o644)
	obj := filepath.Join(dir, "ours.o")
	hdr, _ := filepath.Abs("../bpf")
	if out, err := exec.Command(clang, append(cflags, "-I"+hdr, "-c", oursPath, "-o", obj)...).CombinedOutput(); err != nil {
		t.Fatalf("with only the include line changed, the program does not build: %v\n%s", err, out)
	}

	needRoot(t)
	runLibbpfAPIProgram(t, obj, Config{})
}

// TestLibbpfHeaderDropIn: the same program built against libbpf's real
// <bpf/usdt.bpf.h> (weak maps, the LINUX_HAS_BPF_COOKIE kconfig extern),
// unchanged, loads through LoadCollectionSpec and Prepare and reads the
// same values, with BPF cookies and with the IP map. The header is
// libbpf 1.7's, from make oracle's build of Debian's source package
// (LIBBPF_INCLUDE overrides; bookworm's libbpf-dev 1.1 lacks
// bpf_usdt_arg_size, which the program calls).
func TestLibbpfHeaderDropIn(t *testing.T) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Skip("clang not installed")
	}
	inc := os.Getenv("LIBBPF_INCLUDE")
	if inc == "" {
		inc = cachedir.Path("oracle", "apt", "src", "sid", "root", "usr", "include")
	}
	if h, err := os.ReadFile(filepath.Join(inc, "bpf", "usdt.bpf.h")); err != nil || !strings.Contains(string(h), "bpf_usdt_arg_size") {
		t.Skipf("no libbpf ≥ 1.6 usdt.bpf.h in %s (make oracle builds libbpf 1.7 there, or set LIBBPF_INCLUDE)", inc)
	}
	multiarch, _ := exec.Command("gcc", "-print-multiarch").Output()
	archDef := map[string]string{"amd64": "x86", "arm64": "arm64", "s390x": "s390"}[hostArch()]
	obj := filepath.Join(t.TempDir(), "libbpf.o")
	out, err := exec.Command(clang, "-O2", "-g", "-target", "bpf", "-Wall", "-Werror", "-D__TARGET_ARCH_"+archDef,
		"-I"+inc, "-idirafter", "/usr/include/"+strings.TrimSpace(string(multiarch)),
		"-c", "testdata/libbpf_api.bpf.c", "-o", obj).CombinedOutput()
	if err != nil {
		t.Fatalf("the program does not build against %s/bpf/usdt.bpf.h: %v\n%s", inc, err, out)
	}
	// As cilium/ebpf alone sees it: the weak maps are refused.
	if _, err := ebpf.LoadCollectionSpec(obj); err == nil {
		t.Log("note: cilium/ebpf now reads weak maps by itself")
	}
	needRoot(t)
	for _, cfg := range []Config{{}, {DisableCookies: true}} {
		t.Run(fmt.Sprintf("DisableCookies=%v", cfg.DisableCookies), func(t *testing.T) {
			runLibbpfAPIProgram(t, obj, cfg)
		})
	}
}

// runLibbpfAPIProgram loads testdata/libbpf_api.bpf.c's object, attaches
// it to the waiter's test:plain probe and checks what it read.
func runLibbpfAPIProgram(t *testing.T, obj string, cfg Config) {
	t.Helper()
	exe := buildWaiter(t)
	w := startWaiter(t, exe)
	spec, err := LoadCollectionSpec(obj)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Targets = []Target{{Path: exe, Probe: "test:plain"}}
	m, err := Prepare(spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	if err := m.Bind(coll); err != nil {
		t.Fatal(err)
	}
	l, err := m.Attach(coll.Programs["handle_plain"], Target{Path: exe, Probe: "test:plain"}, &Options{Cookie: 0xcafe, PID: w.cmd.Process.Pid})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w.fire(t, -123456789)

	var r struct {
		A, B                          int64
		Cookie                        int64
		Cnt, Size0, Size1, MissingRet int32
		MissingVal                    int64
		Hits                          uint64
	}
	if err := coll.Maps["results"].Lookup(uint32(0), &r); err != nil {
		t.Fatal(err)
	}
	want := r
	want.A, want.B, want.Cookie, want.Cnt, want.Size0, want.Size1 = -123456789, 123456789, 0xcafe, 2, 8, 8
	want.MissingRet, want.MissingVal, want.Hits = -int32(syscall.ENOENT), 0, 1
	if r != want {
		t.Errorf("results\n got %+v\nwant %+v", r, want)
	}
}
