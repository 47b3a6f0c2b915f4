package usdt

import (
	"fmt"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// The probe's answer follows the kernel's version: bpf_rdonly_cast to
// void (a variable-offset read of the context) came with Linux 6.17.
func TestCtxCastFollowsKernelVersion(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load a BPF program")
	}
	if _, err := kernelTypes(); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", release, err)
	}
	want := major > 6 || major == 6 && minor >= 17
	if got := ctxCast(); got != want {
		t.Errorf("kernel %s: ctxCast() = %v, want %v", release, got, want)
	}
}

// Without the in-place read, no program keeps a call of bpf_rdonly_cast:
// kernels without a JIT refuse any kfunc call, even a dead one.
func TestDropContextCast(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpec("../conformance/conform_bpfel.o")
	if err != nil {
		t.Fatal(err)
	}
	calls := func() (n int) {
		for _, p := range spec.Programs {
			for _, ins := range p.Instructions {
				if ins.IsKfuncCall() && ins.Reference() == ctxCastKfunc {
					n++
				}
			}
		}
		return n
	}
	if calls() == 0 {
		t.Fatalf("%s: no call of %s to drop", "conform_bpfel.o", ctxCastKfunc)
	}
	dropContextCast(spec)
	if n := calls(); n != 0 {
		t.Errorf("%d calls of %s left", n, ctxCastKfunc)
	}
}
