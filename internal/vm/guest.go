package vm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/usdtspec/usdtspec/conformance"
)

// GuestMain is the guest's /init. It never returns: it powers the VM off.
func GuestMain() {
	if os.Getenv(guestStageEnv) == "" {
		// First stage: mount, then re-execute, because cilium/ebpf probes
		// /proc in package init functions and caches a failure from
		// before /proc was mounted. The process stays PID 1.
		if err := mountAll(); err != nil {
			fail(err)
		}
		os.Setenv(guestStageEnv, "2")
		fail(syscall.Exec("/proc/self/exe", os.Args, os.Environ()))
	}
	// Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK.
	unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})
	cases, err := readCases(casesList)
	if err != nil {
		fail(err)
	}
	for i, c := range cases {
		start := time.Now()
		r, err := conformance.Run(context.Background(), c)
		if err != nil {
			r = conformance.FailedResult(c, err.Error())
		}
		status := "PASS"
		if !r.Passed {
			status = "FAIL"
			if r.Known != "" {
				status = "KNOWN"
			}
		}
		fmt.Printf("%s%d/%d %s %s %.2fs\n", markProgress, i+1, len(cases), c.Name(), status, time.Since(start).Seconds())
		b, _ := json.Marshal(r)
		fmt.Printf("%s%s\n", markResult, b)
	}
	fmt.Println(markDone)
	powerOff()
}

func mountAll() error {
	for _, m := range []struct{ src, dst, fs string }{
		{"devtmpfs", "/dev", "devtmpfs"},
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"tracefs", "/sys/kernel/tracing", "tracefs"},
		{"debugfs", "/sys/kernel/debug", "debugfs"},
		{"tmpfs", "/tmp", "tmpfs"},
	} {
		os.MkdirAll(m.dst, 0o755)
		if err := unix.Mount(m.src, m.dst, m.fs, 0, ""); err != nil && m.fs != "tracefs" && m.fs != "debugfs" {
			return fmt.Errorf("mount %s on %s: %w", m.fs, m.dst, err)
		}
	}
	// Without /dev/console in the initramfs the kernel gave us no stdio.
	console, err := os.OpenFile("/dev/console", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	for fd := 0; fd <= 2; fd++ {
		unix.Dup2(int(console.Fd()), fd)
	}
	return nil
}

// readCases reads the case list the initramfs carries: one executable a
// line, with its libraries after it on the same line.
func readCases(path string) ([]conformance.Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []conformance.Case
	for _, ln := range strings.Split(string(data), "\n") {
		f := strings.Fields(ln)
		if len(f) == 0 {
			continue
		}
		cases = append(cases, conformance.Case{Executable: f[0], Libraries: f[1:]})
	}
	return cases, nil
}

func fail(err error) {
	fmt.Printf("%s%v\n", markError, err)
	powerOff()
}

func powerOff() {
	unix.Sync()
	// Let the serial console send what was written to it: powered off
	// with bytes still queued, the host lost the last case's result
	// line (seen once on loong64, the line cut off by the kernel's
	// "reboot: Power down"). TCSBRK with a non-zero argument is
	// tcdrain; the pause covers the UART's own FIFO.
	unix.IoctlSetInt(1, unix.TCSBRK, 1)
	time.Sleep(50 * time.Millisecond)
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	os.Exit(1)
}
