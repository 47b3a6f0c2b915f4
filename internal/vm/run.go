package vm

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/usdtspec/usdtspec/conformance"
)

// Sentinel errors of Run; test with errors.Is.
var (
	ErrNoVM       = errors.New("no VM for this architecture in internal/vm/matrix.tsv")
	ErrHang       = errors.New("VM hung")
	ErrPanic      = errors.New("guest kernel panicked")
	ErrIncomplete = errors.New("VM stopped before every case ran")
	ErrGuest      = errors.New("guest init failed")
)

// Config of one VM run.
type Config struct {
	Machine *Machine
	Suite   string // Debian suite of the kernel; "" is the machine's default
	Kernel  string // path of the kernel image
	Init    string // a static usdtspec built for the guest (CGO_ENABLED=0)
	Cases   []conformance.Case
	// Timeout bounds the whole boot; 0 means 2 minutes plus 20 s a case.
	Timeout time.Duration
	// Progress receives live lines (which case, pass or fail); may be nil.
	Progress io.Writer
	// WorkDir holds the initramfs; "" means a temporary folder.
	WorkDir string
	// Root is the VM's package root (see Root) when Machine.Root is set:
	// QEMU and the cases' loader and libraries come from there.
	Root string
}

// Report of one VM run.
type Report struct {
	Arch    string
	Suite   string
	Results []*conformance.Result
	Elapsed time.Duration
	// Tail is the end of the console, for hangs, panics and guest errors.
	Tail []string
}

// Passed and Failed count cases; known failures are neither.
func (r *Report) Counts() (passed, failed, known int) {
	for _, res := range r.Results {
		switch {
		case res.Passed:
			passed++
		case res.Known != "":
			known++
		default:
			failed++
		}
	}
	return
}

const tailLines = 40

// panicGrace is how long a guest may go on after "Kernel panic" before
// Run stops its QEMU (a variable for the tests).
var panicGrace = 10 * time.Second

// Run boots the VM and runs every case in it. The report holds a result
// for every case: a case the guest never reported is a failure. The error
// is non-nil when the VM did not finish normally (hang, panic, guest
// error), and the report's Tail then shows the console's end.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	vm := cfg.Machine
	if vm == nil {
		return nil, ErrNoVM
	}
	if vm.Root != "" && cfg.Root == "" {
		return nil, fmt.Errorf("%s: the VM needs the %s package root (vm.Root)", vm.Arch, vm.Root)
	}
	qemu, args, err := qemuCommand(vm, cfg.Root)
	if err != nil {
		return nil, err
	}
	suite := cfg.Suite
	if suite == "" {
		suite = vm.DefaultKernel()
	}
	rep := &Report{Arch: vm.Arch, Suite: suite}
	dir := cfg.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "usdtspec-vm-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	initrd := filepath.Join(dir, fmt.Sprintf("initramfs-%s-%s.cpio", vm.Arch, suite))
	f, err := os.Create(initrd)
	if err != nil {
		return nil, err
	}
	sysroot := "/"
	if vm.Triple != "" {
		sysroot = filepath.Join(cfg.Root, "usr", vm.Triple)
		if cfg.Root == "" {
			sysroot = "/usr/" + vm.Triple
		}
	}
	err = buildInitramfs(f, cfg.Init, cfg.Cases, sysroot)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("initramfs: %w", err)
	}

	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 2*time.Minute + time.Duration(len(cfg.Cases))*20*time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args = append(args, vm.Args...)
	args = append(args, "-smp", "1", "-m", vm.Memory, "-nographic", "-no-reboot", "-nodefaults",
		"-serial", "mon:stdio", "-kernel", cfg.Kernel, "-initrd", initrd,
		"-append", strings.Join(append([]string{"console=" + vm.Console, "rdinit=/init", "panic=-1", "quiet"}, vm.KernelArgs...), " "))
	cmd := exec.CommandContext(ctx, qemu, args...)
	cmd.Stdin = nil
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", vm.QEMU, err)
	}
	done, guestErr, panicked := false, "", false
	byName := map[string]*conformance.Result{}
	// The whole console is kept beside the initramfs.
	logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("console-%s-%s.log", vm.Arch, suite)))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	sc := bufio.NewScanner(io.TeeReader(out, logFile))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if i := strings.Index(line, "USDTSPEC-"); i > 0 {
			line = line[i:] // after kernel messages on the same line
		}
		switch {
		case strings.HasPrefix(line, markResult):
			var r conformance.Result
			if err := json.Unmarshal([]byte(line[len(markResult):]), &r); err == nil {
				byName[r.Case] = &r
			}
			continue
		case strings.HasPrefix(line, markProgress):
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "[%s %s] %s\n", vm.Arch, suite, line[len(markProgress):])
			}
			continue
		case line == markDone:
			done = true
		case strings.HasPrefix(line, markError):
			guestErr = line[len(markError):]
		case strings.Contains(line, "Kernel panic"):
			if !panicked {
				// panic=-1 and -no-reboot end QEMU, unless the kernel
				// panics before its reboot or power-off handler is
				// there (an early out-of-memory on loong64): then the
				// guest spins until the timeout. Give it a moment to
				// print the trace, then stop it.
				time.AfterFunc(panicGrace, func() { cmd.Process.Kill() })
			}
			panicked = true
		}
		rep.Tail = append(rep.Tail, line)
		if len(rep.Tail) > tailLines {
			rep.Tail = rep.Tail[1:]
		}
	}
	waitErr := cmd.Wait()
	rep.Elapsed = time.Since(start)

	for _, c := range cfg.Cases {
		r, ok := byName[c.Name()]
		if !ok {
			r = conformance.FailedResult(c, "no result from the VM")
		}
		rep.Results = append(rep.Results, r)
	}
	switch {
	case ctx.Err() != nil:
		return rep, fmt.Errorf("%s %s: %w after %v", vm.Arch, suite, ErrHang, timeout)
	case panicked:
		return rep, fmt.Errorf("%s %s: %w", vm.Arch, suite, ErrPanic)
	case guestErr != "":
		return rep, fmt.Errorf("%s %s: %w: %s", vm.Arch, suite, ErrGuest, guestErr)
	case !done:
		return rep, fmt.Errorf("%s %s: %w (qemu: %v)", vm.Arch, suite, ErrIncomplete, waitErr)
	}
	return rep, nil
}

//go:embed fetch-kernel.sh
var fetchKernelBody string

//go:embed debian-archive.sh
var debianArchiveScript string

// fetchKernelScript is fetch-kernel.sh with what it sources.
var fetchKernelScript = debianArchiveScript + fetchKernelBody

// Kernel returns the path of Debian's kernel image for the machine and
// suite under cacheDir, fetching it (apt-get download into a private apt
// root, from the machine's kernel meta package) when it is not there yet.
func Kernel(ctx context.Context, cacheDir string, m *Machine, suite string, log io.Writer) (string, error) {
	if m == nil {
		return "", ErrNoVM
	}
	if suite == "" {
		suite = m.DefaultKernel()
	}
	if !m.HasKernel(suite) {
		return "", fmt.Errorf("%s: no kernel for suite %q in internal/vm/matrix.tsv (have %s)", m.Arch, suite, strings.Join(m.Kernels, ", "))
	}
	dir := filepath.Join(cacheDir, m.KernelDebian+"-"+suite)
	image := filepath.Join(dir, "vmlinuz")
	if _, err := os.Stat(image); err == nil {
		return image, nil
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", fetchKernelScript, "fetch-kernel.sh", m.KernelDebian, suite, dir, m.KernelMeta)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("fetching the %s %s kernel: %w", m.KernelDebian, suite, err)
	}
	return image, nil
}
