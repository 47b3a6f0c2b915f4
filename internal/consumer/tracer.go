package consumer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/usdtspec/usdtspec/conformance"
)

// traced is what a tracer process and the case it watched printed.
type traced struct {
	Stdout, Stderr []byte
	Pid            int                // the case's process
	Lines          []conformance.Line // the case's lines
	// Exited: the tracer stopped before it was ready; its error.
	Exited error
}

// stopBy says how a tracer is told that the case has run: by closing its
// standard input, or by SIGINT.
type stopBy int

const (
	stopStdin stopBy = iota
	stopSigint
)

// trace starts tracer, waits until it prints ready (a line of its
// stdout), runs the case c, then stops the tracer and waits for it.
func trace(ctx context.Context, tracer *exec.Cmd, ready string, stop stopBy, c conformance.Case) (*traced, error) {
	var stdout, stderr syncBuffer
	tracer.Stdout, tracer.Stderr = &stdout, &stderr
	tracer.WaitDelay = 5 * time.Second
	// The tracer must not outlive a run that is killed.
	tracer.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdin io.WriteCloser
	if stop == stopStdin {
		var err error
		if stdin, err = tracer.StdinPipe(); err != nil {
			return nil, fmt.Errorf("consumer: %w", err)
		}
	}
	if err := tracer.Start(); err != nil {
		return nil, fmt.Errorf("consumer: starting %s: %w", tracer.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- tracer.Wait() }()
	res := &traced{}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(3 * time.Minute)
	readyLine := []byte(ready + "\n")
	for ok := false; !ok; {
		select {
		case err := <-exited:
			res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
			if err == nil {
				err = fmt.Errorf("exit status 0")
			}
			res.Exited = err
			return res, nil
		case <-deadline:
			tracer.Process.Kill()
			<-exited
			return nil, fmt.Errorf("consumer: %s: not ready in 3 minutes; stderr: %s", tracer.Path, clip(stderr.String(), 2000))
		case <-ctx.Done():
			tracer.Process.Kill()
			<-exited
			return nil, fmt.Errorf("consumer: %w", ctx.Err())
		case <-tick.C:
			b := stdout.Bytes()
			ok = bytes.HasPrefix(b, readyLine) || bytes.Contains(b, append([]byte("\n"), readyLine...))
		}
	}

	var caseOut bytes.Buffer
	cmd := caseCommand(ctx, c)
	cmd.Stdout = &caseOut
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()
	if cmd.Process != nil {
		res.Pid = cmd.Process.Pid
	}
	// Tracers that poll their buffers get a moment for the last hits.
	time.Sleep(200 * time.Millisecond)
	if stop == stopStdin {
		stdin.Close()
	} else {
		tracer.Process.Signal(syscall.SIGINT)
	}
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		tracer.Process.Kill()
		<-exited
	}
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	if runErr != nil {
		return nil, fmt.Errorf("consumer: %s: the case failed: %w", c.Name(), runErr)
	}
	lines, err := conformance.ParseLines(caseOut.Bytes())
	if err != nil {
		return nil, fmt.Errorf("consumer: %s: %w", c.Name(), err)
	}
	res.Lines = lines
	return res, nil
}

// caseCommand runs the case's own file: a bare name is the file in the
// current folder, never a program from $PATH.
func caseCommand(ctx context.Context, c conformance.Case) *exec.Cmd {
	exe := c.Executable
	if abs, err := filepath.Abs(exe); err == nil {
		exe = abs
	}
	return exec.CommandContext(ctx, exe)
}

// dirsOf lists the folders of the probes' files, once each.
func dirsOf(probes []ProbeInfo) []string {
	var dirs []string
	for _, p := range probes {
		d := p.Path[:strings.LastIndex(p.Path, "/")]
		if d == "" {
			d = "/"
		}
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// syncBuffer is a bytes.Buffer that exec's copying goroutine writes while
// trace reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf.Bytes())
}

func (b *syncBuffer) String() string { return string(b.Bytes()) }
