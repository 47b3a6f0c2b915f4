package trace

import (
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
)

// StartStopped starts cmd held at its first instruction: the child asks
// to be traced (ptrace), so the kernel stops it right after execve, with
// only its executable and its loader mapped; nothing of the program has
// run. The caller attaches its probes, then calls resume, which lets it
// run (detaching ptrace). The calling goroutine is locked to its thread
// until resume, as ptrace requires.
func StartStopped(cmd *exec.Cmd) (resume func() error, err error) {
	runtime.LockOSThread()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Ptrace = true
	if err := cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil {
		cmd.Process.Kill()
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("waiting for %s to stop after exec: %w", cmd.Path, err)
	}
	if !ws.Stopped() {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("%s did not stop after exec (status %#x)", cmd.Path, ws)
	}
	return func() error {
		defer runtime.UnlockOSThread()
		if err := syscall.PtraceDetach(pid); err != nil {
			return fmt.Errorf("resuming %s: %w", cmd.Path, err)
		}
		return nil
	}, nil
}
