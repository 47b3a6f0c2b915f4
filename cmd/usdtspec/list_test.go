package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestListProcess: list -p shows the probes of a library the process
// has mapped, under the path the process sees, and of no other file.
func TestListProcess(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the committed library is x86-64")
	}
	lib, err := filepath.Abs("../../testdata/bin/libprobes-amd64-gcc-O2.so")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), "LD_PRELOAD="+lib)
	if err := cmd.Start(); err != nil {
		t.Skipf("sleep: %v", err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	pid := fmt.Sprint(cmd.Process.Pid)
	// The loader maps the library before sleep's main runs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		maps, _ := os.ReadFile("/proc/" + pid + "/maps")
		if bytes.Contains(maps, []byte(lib)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never mapped %s", pid, lib)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"list", "-p", pid}, &stdout, &stderr); code != exitOK {
		t.Fatalf("list -p %s: exit %d\n%s", pid, code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var probes []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if f[0] != lib {
			t.Errorf("a probe of %s, want only %s's: %q", f[0], lib, l)
		}
		probes = append(probes, f[1])
	}
	want := "usdtlib:global usdtlib:ratio usdtlib:leave usdtlib:enter" // readelf -n's order
	if got := strings.Join(probes, " "); got != want {
		t.Errorf("list -p %s: probes %q, want %q\n%s", pid, got, want, stdout.String())
	}

	// A short name resolves against the process's own files first.
	stdout.Reset()
	if code := run([]string{"list", "-p", pid, "libprobes-amd64-gcc-O2.so"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), lib+"  usdtlib:enter") {
		t.Errorf("list -p %s libprobes-amd64-gcc-O2.so: exit %d\n%s%s", pid, code, stdout.String(), stderr.String())
	}
}

// stapsdtNote is one .note.stapsdt note as readelf -n shows it.
type stapsdtNote struct {
	provider, name string
	semaphore      uint64
	args           int
}

// readStapsdt reads the .note.stapsdt notes of a 64-bit ELF file with
// debug/elf alone, not with the compiler package that list uses: note
// header, "stapsdt", then pc, base, semaphore and three strings
// (provider, name, arguments; the arguments blank-separated, as on
// x86-64 no operand holds a blank).
func readStapsdt(t *testing.T, path string) []stapsdtNote {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".note.stapsdt")
	if sec == nil {
		t.Fatalf("%s: no .note.stapsdt", path)
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	align4 := func(n uint32) uint32 { return (n + 3) &^ 3 }
	var notes []stapsdtNote
	for len(data) >= 12 {
		namesz, descsz, typ := f.ByteOrder.Uint32(data), f.ByteOrder.Uint32(data[4:]), f.ByteOrder.Uint32(data[8:])
		name := data[12 : 12+namesz]
		desc := data[12+align4(namesz) : 12+align4(namesz)+descsz]
		data = data[12+align4(namesz)+align4(descsz):]
		if typ != 3 || string(name) != "stapsdt\x00" {
			continue
		}
		strs := strings.SplitN(string(desc[24:]), "\x00", 4)
		notes = append(notes, stapsdtNote{provider: strs[0], name: strs[1],
			semaphore: f.ByteOrder.Uint64(desc[16:]), args: len(strings.Fields(strs[2]))})
	}
	return notes
}

// TestListProcessSharedLibrary: list -p on a running process of the
// conformance case shlib (built here as testdata/conformance.mk builds
// it) lists, under the paths the process maps, the probes of its
// executable and of its library libshlib.so as their notes give them:
// call sites per probe, argument counts, semaphores. No root needed: the
// process is this test's own child.
func TestListProcessSharedLibrary(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the notes are read as x86-64 ones (blank-separated operands)")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed: the case is built from testdata/conformance")
	}
	src := "../../testdata/conformance"
	dir, err := filepath.EvalSymlinks(t.TempDir()) // the path /proc/PID/maps shows
	if err != nil {
		t.Fatal(err)
	}
	exe, lib := filepath.Join(dir, "shlib-gcc-O2-pie"), filepath.Join(dir, "libshlib-gcc-O2.so")
	libSrcs, err := filepath.Glob(filepath.Join(src, "libshlib*.c"))
	if err != nil || len(libSrcs) == 0 {
		t.Fatalf("no libshlib*.c in %s: %v", src, err)
	}
	for _, args := range [][]string{
		append([]string{"-fPIC", "-shared", "-Wl,-soname,libshlib-gcc-O2.so", "-o", lib}, libSrcs...),
		{"-fPIE", "-pie", "-o", exe, filepath.Join(src, "shlib.c"), lib, "-Wl,-rpath,$ORIGIN"},
	} {
		cmd := exec.Command("gcc", append([]string{"-O2", "-g0", "-Wall", "-I", src}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			if bytes.Contains(out, []byte("sdt.h")) {
				t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %s", out)
			}
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}

	// The case runs until its first line, which it cannot write to a
	// full pipe: by then the loader has mapped its library.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096)
	if err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	if _, err := w.Write(bytes.Repeat([]byte{'#'}, size)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer cmd.Wait()
	defer cmd.Process.Kill()
	pid := strconv.Itoa(cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// pipe_write, anon_pipe_write (6.16+): waiting for room.
		b, _ := os.ReadFile("/proc/" + pid + "/wchan")
		if strings.Contains(string(b), "pipe_write") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never blocked writing its first line (wchan %q)", exe, b)
		}
		time.Sleep(5 * time.Millisecond)
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"list", "--json", "-p", pid}, &stdout, &stderr); code != exitOK {
		t.Fatalf("list -p %s: exit %d\n%s", pid, code, stderr.String())
	}
	var listed struct{ Probes []listedProbe }
	if err := json.Unmarshal(stdout.Bytes(), &listed); err != nil {
		t.Fatalf("list --json: %v\n%s", err, stdout.String())
	}
	for _, file := range []string{exe, lib} {
		// What the notes say, grouped by probe in note order.
		var want []listedProbe
		index := map[string]int{}
		for _, n := range readStapsdt(t, file) {
			key := n.provider + ":" + n.name
			if _, ok := index[key]; !ok {
				index[key] = len(want)
				want = append(want, listedProbe{File: file, PID: cmd.Process.Pid, Provider: n.provider, Name: n.name, ArgCounts: []int{}})
			}
			p := &want[index[key]]
			p.CallSites++
			if !slices.Contains(p.ArgCounts, n.args) {
				p.ArgCounts = append(p.ArgCounts, n.args)
				slices.Sort(p.ArgCounts)
			}
			p.Semaphore = p.Semaphore || n.semaphore != 0
		}
		var got []listedProbe
		for _, p := range listed.Probes {
			if p.File == file {
				got = append(got, p)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("list -p %s, the probes of %s (-notes +listed):\n%s", pid, file, diff)
		}
	}
	// The library's own probes, named here so that an empty note reader
	// cannot pass: testdata/conformance/libshlib*.c.
	for _, probe := range []string{"shlib:plain", "shlib:plain_index", "shlib:guarded", "shlib:guarded_zero", "shlib:got_address", "shlib:got_value"} {
		if !slices.ContainsFunc(listed.Probes, func(p listedProbe) bool { return p.File == lib && p.Provider+":"+p.Name == probe }) {
			t.Errorf("list -p %s: no %s in %s\n%s", pid, probe, lib, stdout.String())
		}
	}

	// Let the case finish: it still runs as it should.
	if _, err := io.ReadFull(r, make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil || !bytes.Contains(out, []byte("shlib_main:end")) {
		t.Errorf("%s after list: %v\n%s", exe, err, out)
	}
}
