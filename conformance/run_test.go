package conformance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// needRoot skips tests that load BPF and attach uprobes.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs and attach uprobes")
	}
}

// buildCase compiles a one-file case with gcc and the system's sys/sdt.h.
func buildCase(t *testing.T, name, src string, flags ...string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	if out, err := exec.Command("sh", "-c", "echo '#include <sys/sdt.h>' | gcc -E -I/usr/include/$(gcc -print-multiarch) - >/dev/null").CombinedOutput(); err != nil {
		t.Skipf("<sys/sdt.h> not found (install systemtap-sdt-dev): %s", out)
	}
	dir := t.TempDir()
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, name)
	multiarch, _ := exec.Command(gcc, "-print-multiarch").Output()
	args := append([]string{"-o", exe, c, "-I/usr/include/" + strings.TrimSpace(string(multiarch))}, flags...)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("building a case: %v\n%s", err, out)
	}
	return exe
}

const caseSource = `
#include <sys/sdt.h>
#include <stdio.h>
__attribute__((noinline)) void f(int a, long b, short *p, int i) {
	DTRACE_PROBE4(t, four, a, b, p[i], -9);
	printf("t:four %lld %lld %lld %lld\n", (long long)a, (long long)b, (long long)p[i], WANT_LAST);
}
int main(int argc, char **argv) {
	short arr[4] = {1, -2, 3, 4};
	setvbuf(stdout, NULL, _IOLBF, 0);
	f(argc * -5, 1L << 40, arr, argc);
	DTRACE_PROBE(t, zero);
	printf("t:zero\n");
	EXTRA
	return 0;
}
`

func source(wantLast, extra string) string {
	s := strings.Replace(caseSource, "WANT_LAST", wantLast, 1)
	return strings.Replace(s, "EXTRA", extra, 1)
}

func TestRunPasses(t *testing.T) {
	needRoot(t)
	exe := buildCase(t, "good", source("-9LL", ""), "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Hits != 2 || r.Lines != 2 || r.Sites != 2 {
		t.Fatalf("result %+v, failures %v", r, r.Failures)
	}
}

// TestRunDetectsMismatches: a runner that cannot fail proves nothing.
func TestRunDetectsMismatches(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name, wantLast, extra, reason string
	}{
		{"wrong value", "-8LL", "", "value differs"},
		{"line with no hit", "-9LL", `printf("t:zero\n");`, "line with no hit"},
		{"hit with no line", "-9LL", `DTRACE_PROBE(t, zero);`, "hit with no line"},
		{"wrong probe", "-9LL", `DTRACE_PROBE(t, zero); printf("t:other\n");`, "probe differs"},
		{"wrong count", "-9LL", `DTRACE_PROBE(t, zero); printf("t:zero 1\n");`, "arg_cnt differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe := buildCase(t, "bad", source(tt.wantLast, tt.extra), "-O2")
			r, err := Run(context.Background(), Case{Executable: exe})
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed {
				t.Fatalf("passed, want a %q failure", tt.reason)
			}
			found := false
			for _, f := range r.Failures {
				found = found || strings.Contains(f.String(), tt.reason)
			}
			if !found {
				t.Errorf("failures %v lack %q", r.Failures, tt.reason)
			}
		})
	}
}

// TestHighByteRegisters: %ah and friends (x86-64 only; the operands are
// written by hand, compilers rarely pick them).
func TestHighByteRegisters(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64 registers")
	}
	src := `
#include <sys/sdt.h>
#include <stdio.h>
#include <stdint.h>
int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	volatile uint32_t a = 0x1280a5c3u * (unsigned)argc, d = 0x7ff0u * (unsigned)argc;
	uint32_t av = a, dv = d;
	__asm__ __volatile__(STAP_PROBE_ASM(hb, regs, -1@%%ah 1@%%ah 1@%%al 2@%%ax -1@%%dh)
		:: "a"(av), "d"(dv) : "memory");
	printf("hb:regs %lld %llu %llu %llu %lld\n", (long long)(int8_t)(av >> 8), (unsigned long long)(uint8_t)(av >> 8),
		(unsigned long long)(uint8_t)av, (unsigned long long)(uint16_t)av, (long long)(int8_t)(dv >> 8));
	return 0;
}
`
	exe := buildCase(t, "highbyte", src, "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Hits != 1 {
		t.Fatalf("result %+v, failures %v", r, r.Failures)
	}
}

// TestUnreadableArgumentFailsAlone: an argument in an FP register, or wider
// than 64 bits, makes bpf_usdt_arg fail (-EINVAL) for that argument only;
// the call site attaches and its other arguments decode.
func TestUnreadableArgumentFailsAlone(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64 registers")
	}
	src := `
#include <sys/sdt.h>
#include <stdio.h>
int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	long a = -7L * argc, b = 1234L * argc;
	double d = 0.5 * argc;
	__asm__ __volatile__(STAP_PROBE_ASM(fp, mixed, -8@%%rdi 8f@%%xmm0 16@%%rax -8@%%rsi)
		:: "D"(a), "x"(d), "a"(0L), "S"(b) : "memory");
	/* The real values of the unreadable arguments, to see them fail. */
	printf("fp:mixed %ld 4602678819172646912 0 %ld\n", a, b);
	return 0;
}
`
	exe := buildCase(t, "unreadable", src, "-O2")
	r, err := Run(context.Background(), Case{Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	if r.Hits != 1 || r.Sites != 1 {
		t.Fatalf("the call site did not attach and fire: %+v %v", r, r.Failures)
	}
	if !r.Passed || len(r.Failures) != 0 {
		t.Errorf("failures: %v", r.Failures)
	}
	// The two unreadable arguments failed in BPF, and are listed as limits.
	var args []int
	for _, f := range r.Limits {
		if !strings.HasPrefix(f.Reason, "hardware limit") || f.Got != "error -22" {
			t.Errorf("unexpected limit: %v", f)
		}
		args = append(args, f.Arg)
	}
	if len(args) != 2 || args[0] != 1 || args[1] != 2 {
		t.Errorf("arguments at a limit %v, want [1 2] (xmm0 and the 16-byte one)", args)
	}
}
