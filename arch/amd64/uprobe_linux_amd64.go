package amd64

import (
	"sync"

	"golang.org/x/sys/unix"
)

// sysUprobe is x86-64's uprobe() syscall (Linux 6.18, "uprobes/x86: Add
// uprobe syscall"), which the kernel's uprobe trampoline calls.
const sysUprobe = 336

// optimizedCombo asks the running kernel which nop combo it optimizes.
// Called from outside a trampoline the syscall fails, and how says
// which kernel this is: ENXIO from the first implementation (6.18),
// which rewrites a 5-byte nop; EPROTO since the nop10 rework, whose
// libbpf probe looks for that error ("libbpf: Detect uprobe syscall with
// new error"); ENOSYS (or anything else) from kernels without it. The
// answer does not change while the system runs.
var optimizedCombo = sync.OnceValue(func() string {
	_, _, errno := unix.Syscall(sysUprobe, 0, 0, 0)
	switch errno {
	case unix.ENXIO:
		return "nop+nop5"
	case unix.EPROTO:
		return "nop+nop10"
	}
	return ""
})
