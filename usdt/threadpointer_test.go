package usdt

import (
	"os"
	"runtime"
	"testing"

	"github.com/usdtspec/usdtspec/arch/amd64"
)

func TestThreadPointerOffset(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("no kernel BTF (/sys/kernel/btf/vmlinux): the offset cannot be looked up")
	}
	if _, err := threadPointerOffset([]string{"thread", "no_such_member"}); err == nil {
		t.Error("a member the kernel lacks: no error")
	}
	if _, err := threadPointerOffset([]string{"pid", "x"}); err == nil {
		t.Error("a path through a non-struct member: no error")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("thread.fsbase is x86-64's")
	}
	off, err := threadPointerOffset(amd64.Arch.ThreadPointer)
	if err != nil {
		t.Fatal(err)
	}
	// thread is task_struct's last member (it must be: its size varies
	// with the FPU state that follows), so it is far in, and fsbase is
	// an unsigned long.
	if off < 1024 || off%8 != 0 {
		t.Errorf("task_struct.thread.fsbase at %d: want an 8-byte aligned offset past 1 KiB", off)
	}
}
