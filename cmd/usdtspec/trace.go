package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/usdtspec/usdtspec/internal/trace"
	"github.com/usdtspec/usdtspec/usdt"
)

const traceHelp = `Print every hit of the probes, with each argument decoded at its size and
sign (an argument that cannot be read shows its error, never a value).
PROBE is [FILE|LIBNAME:]PROVIDER:NAME; PROVIDER and NAME may be globs, and
FILE a path or a short name ("libc", "libc.so.6", "python3").

Which processes and files:
  -p PID           that process (and its threads): every file it has mapped,
                   or the FILEs the probes name; ends when the process exits
  -- COMMAND ...   start COMMAND held before its first instruction, attach to
                   its executable, its loader and the libraries it links
                   (and the FILEs the probes name), then let it run; ends when
                   it exits, after every hit is written
  neither          every process that runs the FILEs the probes name (each
                   PROBE must name its FILE); ends on SIGINT or SIGTERM
With -p or COMMAND, the libraries the process maps later (dlopen) are attached
too, before their code runs: the process is held at its loader's breakpoint
(_dl_debug_state) meanwhile, typically under a millisecond (the summary says
the longest). Its parent can see that stop (waitpid with WUNTRACED), as a
shell's job control would; see docs/trace.md.

Once attached, one line on stderr: "tracing N call sites in M files". On
SIGINT or SIGTERM it detaches and stops. At the end, a summary on stderr:
hits written and hits dropped (the ring buffer was full: counted, reported).

Output, a line per hit: TIME PID TID PROVIDER:NAME ARG..., with an unreadable
argument as <error: ...>. --json: one object per line, with time (RFC 3339),
pid, tid, file, provider, name, args (integers; null for an unreadable
argument) and, when one is unreadable, arg_errors.`

func traceCmd(args []string, stdout, stderr io.Writer) int {
	var (
		asJSON  bool
		outPath string
		pidText string
		dirs    []string
	)
	fs := newFlags("trace", "[flags] PROBE... [-- COMMAND [ARG...]]", traceHelp, []flagDef{
		{name: "json", usage: "one JSON object per hit", value: &boolFlag{p: &asJSON}},
		{name: "o", usage: "write the hits to `FILE` instead of stdout", value: &stringFlag{p: &outPath}},
		{name: "p", usage: "trace process `PID`", value: &stringFlag{p: &pidText}},
		{name: "debug-dir", usage: "look for separate debug files in `DIR` (repeatable; default /usr/lib/debug)", value: &listFlag{p: &dirs}},
	})
	// Everything after the first "--" is the command.
	var command []string
	sawCommand := false
	for i, a := range args {
		if a == "--" {
			command, args, sawCommand = args[i+1:], args[:i], true
			break
		}
	}
	probeArgs, status, done := fs.parse(args, stdout, stderr)
	if done {
		return status
	}
	if len(probeArgs) == 0 {
		return fs.usageError(stderr, "no PROBE given")
	}
	if sawCommand && len(command) == 0 {
		return fs.usageError(stderr, "no COMMAND after --")
	}
	pid := 0
	if pidText != "" && sawCommand {
		return fs.usageError(stderr, "-p and -- COMMAND: give one")
	}
	if pidText != "" {
		var err error
		if pid, err = strconv.Atoi(pidText); err != nil || pid <= 0 {
			return fs.usageError(stderr, "-p: %q is not a process id", pidText)
		}
	}
	var probes []trace.Probe
	for _, a := range probeArgs {
		p, err := trace.ParseProbe(a)
		if err != nil {
			return fs.usageError(stderr, "%v", err)
		}
		if p.File == "" && pid == 0 && command == nil {
			return fs.usageError(stderr, "probe %q names no FILE: give FILE:PROVIDER:NAME, -p PID or -- COMMAND", a)
		}
		probes = append(probes, p)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(stderr, "usdtspec trace: loading BPF and attaching uprobes needs root (CAP_BPF and CAP_PERFMON)")
		return exitFailure
	}

	out := stdout
	if outPath != "" {
		f, err := os.Create(outPath)
		if err != nil {
			fmt.Fprintf(stderr, "usdtspec trace: -o: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		out = f
	}

	t, err := trace.New(trace.Config{DebugDirs: dirs})
	if err != nil {
		fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
		return exitFailure
	}
	defer t.Close()

	// Stop on SIGINT and SIGTERM, and when the traced process exits.
	var stop atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			stop.Store(true)
		}
	}()

	var cmd *exec.Cmd
	var cmdDone chan error
	var proc *trace.Process
	sites := 0
	// follow attaches to process pid's files, its loader and the files
	// the probes name.
	follow := func(pid int) error {
		var err error
		proc, sites, err = t.FollowProcess(pid, probes)
		if err != nil {
			return err
		}
		for _, p := range probes {
			if p.File == "" {
				continue
			}
			n, err := proc.AttachNamed(p)
			if err != nil {
				return err
			}
			sites += n
		}
		return nil
	}
	switch {
	case command != nil:
		cmd = exec.Command(command[0], command[1:]...)
		// The command's output goes where usdtspec's does: -o keeps the
		// hits apart from it.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
		resume, err := trace.StartStopped(cmd)
		if err != nil {
			fmt.Fprintf(stderr, "usdtspec trace: starting %s: %v\n", command[0], err)
			return exitFailure
		}
		pid = cmd.Process.Pid
		if err := follow(pid); err != nil {
			cmd.Process.Kill()
			resume()
			cmd.Wait()
			fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stderr, "tracing %d call sites in %d files, and the files process %d maps later\n", sites, t.Files(), pid)
		if err := resume(); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
			return exitFailure
		}
		cmdDone = make(chan error, 1)
		go func() { cmdDone <- cmd.Wait(); stop.Store(true) }()
	case pid != 0:
		if err := follow(pid); err != nil {
			fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stderr, "tracing %d call sites in %d files, and the files process %d maps later\n", sites, t.Files(), pid)
		go watchExit(pid, &stop)
	default:
		for _, p := range probes {
			path, err := usdt.Resolve(p.File, 0)
			if err == nil {
				var n int
				n, err = t.AttachFile(path, path, []string{p.Pattern}, 0)
				if err == nil && n == 0 {
					err = fmt.Errorf("%s: %w for %s", path, usdt.ErrNoProbes, p.Pattern)
				}
				sites += n
			}
			if err != nil {
				fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
				return exitFailure
			}
		}
		fmt.Fprintf(stderr, "tracing %d call sites in %d files\n", sites, t.Files())
	}

	w := bufio.NewWriterSize(out, 1<<20)
	hw := newHitWriter(w, asJSON)
	written, writeErr := 0, error(nil)
	var dropsSeen uint64
	var h trace.Hit
	for {
		err := t.ReadInto(&h, time.Now().Add(100*time.Millisecond))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Nothing came for a while: a stop that was asked for happens
			// now, with every hit of an exited process already read.
			if writeErr == nil {
				writeErr = w.Flush()
			}
			// A full ring buffer may have dropped a loader stop's event:
			// the process would stay stopped. If events were dropped
			// and it is stopped, handle the stop without its event.
			if proc != nil {
				if d, err := t.Drops(); err == nil && d > dropsSeen {
					dropsSeen = d
					if proc.Stopped() {
						n, err := proc.Rescan(trace.Hit{Time: time.Now()})
						sites += n
						if err != nil {
							fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
							status = exitFailure
						}
					}
				}
			}
			if stop.Load() {
				break
			}
			continue
		}
		if err != nil {
			fmt.Fprintf(stderr, "usdtspec trace: reading hits: %v\n", err)
			status = exitFailure
			break
		}
		if h.Loader {
			// The process is held at its loader: attach to what it
			// mapped, then let it go on.
			if proc != nil && int(h.PID) == pid {
				n, err := proc.Rescan(h)
				sites += n
				if err != nil {
					fmt.Fprintf(stderr, "usdtspec trace: %v\n", err)
					status = exitFailure
				}
			}
			continue
		}
		if writeErr == nil {
			writeErr = hw.write(&h)
		}
		written++
	}
	if writeErr == nil {
		writeErr = w.Flush()
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "usdtspec trace: writing hits: %v\n", writeErr)
		status = exitFailure
	}
	drops, err := t.Drops()
	if err != nil {
		fmt.Fprintf(stderr, "usdtspec trace: reading the drop count: %v\n", err)
		status = exitFailure
	}
	summary := fmt.Sprintf("usdtspec trace: %d hits written, %d dropped (ring buffer full), %d call sites in %d files", written, drops, sites, t.Files())
	if proc != nil && proc.Rescans > 0 {
		summary += fmt.Sprintf("; held at the loader %d times, at most %v", proc.Rescans, proc.MaxHold.Round(time.Microsecond))
	}
	if cmdDone != nil {
		if err := <-cmdDone; err != nil {
			summary += fmt.Sprintf("; %s: %v", command[0], err)
		} else {
			summary += fmt.Sprintf("; %s exited 0", command[0])
		}
	}
	fmt.Fprintln(stderr, summary)
	if drops > 0 && status == exitOK {
		status = exitFailure
	}
	return status
}

// watchExit sets stop when process pid exits.
func watchExit(pid int, stop *atomic.Bool) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err == nil {
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		stop.Store(true)
		return
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
}

// hitWriter writes hits as text or JSON lines. It appends each line into
// one reused buffer and keeps each probe's quoted names, so a hit costs no
// allocation: at the rates a probe in a loop fires, a json.Marshal per hit
// made the writer, not the kernel, the limit, and the ring buffer filled.
type hitWriter struct {
	w      *bufio.Writer
	asJSON bool
	buf    []byte
	names  map[probeKey][]byte // the line's part from "file" to "args":[ (JSON) or the probe (text)
}

type probeKey struct{ file, provider, name string }

func newHitWriter(w *bufio.Writer, asJSON bool) *hitWriter {
	return &hitWriter{w: w, asJSON: asJSON, names: map[probeKey][]byte{}}
}

// write writes one hit.
func (hw *hitWriter) write(h *trace.Hit) error {
	k := probeKey{h.File, h.Provider, h.Name}
	names, ok := hw.names[k]
	if !ok {
		if hw.asJSON {
			names = append(names, `,"file":`...)
			names = appendJSONString(names, h.File)
			names = append(names, `,"provider":`...)
			names = appendJSONString(names, h.Provider)
			names = append(names, `,"name":`...)
			names = appendJSONString(names, h.Name)
			names = append(names, `,"args":[`...)
		} else {
			names = fmt.Appendf(nil, " %s:%s", printable(h.Provider), printable(h.Name))
		}
		hw.names[k] = names
	}
	b := hw.buf[:0]
	if hw.asJSON {
		b = append(b, `{"time":"`...)
		b = h.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","pid":`...)
		b = strconv.AppendUint(b, uint64(h.PID), 10)
		b = append(b, `,"tid":`...)
		b = strconv.AppendUint(b, uint64(h.TID), 10)
		b = append(b, names...)
		anyErr := false
		for i, a := range h.Args {
			if i > 0 {
				b = append(b, ',')
			}
			switch {
			case a.Err != nil:
				anyErr = true
				b = append(b, "null"...)
			case a.Signed:
				b = strconv.AppendInt(b, a.Int(), 10)
			default:
				b = strconv.AppendUint(b, a.Value, 10)
			}
		}
		b = append(b, ']')
		if anyErr {
			// Only when an argument failed: one entry per argument,
			// null for those that decoded.
			b = append(b, `,"arg_errors":[`...)
			for i, a := range h.Args {
				if i > 0 {
					b = append(b, ',')
				}
				if a.Err != nil {
					b = appendJSONString(b, a.Err.Error())
				} else {
					b = append(b, "null"...)
				}
			}
			b = append(b, ']')
		}
		if h.Err != nil {
			b = append(b, `,"error":`...)
			b = appendJSONString(b, h.Err.Error())
		}
		b = append(b, "}\n"...)
	} else {
		b = h.Time.AppendFormat(b, "15:04:05.000000")
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(h.PID), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(h.TID), 10)
		b = append(b, names...)
		if h.Err != nil {
			b = fmt.Appendf(b, " <error: %v>", h.Err)
		}
		for _, a := range h.Args {
			switch {
			case a.Err != nil:
				b = fmt.Appendf(b, " <error: %v>", a.Err)
			case a.Signed:
				b = append(b, ' ')
				b = strconv.AppendInt(b, a.Int(), 10)
			default:
				b = append(b, ' ')
				b = strconv.AppendUint(b, a.Value, 10)
			}
		}
		b = append(b, '\n')
	}
	hw.buf = b
	_, err := hw.w.Write(b)
	return err
}
