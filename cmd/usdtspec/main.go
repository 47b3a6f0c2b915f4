// Command usdtspec lists the USDT probes of ELF files and the
// libbpf-compatible specs their arguments compile to, runs conformance
// cases, and writes the BPF-side header usdt.bpf.h.
//
//	usdtspec list [--json] [-p PID] [--probe PROVIDER:NAME]... [FILE|LIBNAME...]
//	usdtspec trace [--json] [-o FILE] [-p PID] PROBE... [-- COMMAND [ARG...]]
//	usdtspec dump [--json] [--probe PROVIDER:NAME]... [--spec-layout v1.7|v1.6] [--debug-dir DIR]... FILE...
//	usdtspec conform [--json] [VM FLAGS] EXECUTABLE [LIBRARY...] | --cases LIST
//	usdtspec header [-o DIR]
//	usdtspec version
//	usdtspec help [COMMAND]
//
// A probe is provider:name; a call site is one place in the code where a
// probe fires (a probe may have many). Every command takes --help.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/usdtspec/usdtspec/bpf"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // a file could not be read
	exitUsage   = 2
)

// command is one subcommand of usdtspec.
type command struct {
	name    string
	summary string // one line, for the command list
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the command list, in the order usage shows it.
var commands = []command{
	{"list", "list the USDT probes of files or of a running process, one line each", list},
	{"trace", "print every hit of probes, with decoded arguments (root)", traceCmd},
	{"dump", "list the USDT call sites of ELF files and the specs they compile to", dump},
	{"conform", "run conformance cases natively (root) or in QEMU guests", conform},
	{"header", "write the BPF-side header usdt.bpf.h of this version", header},
	{"version", "print the version of usdtspec", version},
	{"help", "print the usage of usdtspec or of a command", nil}, // run by run: it needs commands
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func writeUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: usdtspec <command> [arguments]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'usdtspec help COMMAND' or 'usdtspec COMMAND --help' for a command's flags.\n")
}

// run runs the command of args. Every command writes stdout through one
// writer that keeps its first error: output cut short (a full disk, a
// closed pipe) fails the command even where it printed with fmt and
// did not look (help, version), instead of exiting 0.
func run(args []string, stdout, stderr io.Writer) int {
	out := &errWriter{w: stdout}
	status := runCommand(args, out, stderr)
	if out.err != nil && status == exitOK {
		fmt.Fprintf(stderr, "usdtspec: write error: %v\n", out.err)
		return exitFailure
	}
	return status
}

// errWriter is a writer that remembers its first error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		writeUsage(stdout)
		return exitOK
	case "-version", "--version":
		return version(args[1:], stdout, stderr)
	case "help":
		return help(args[1:], stdout, stderr)
	}
	if c := lookup(args[0]); c != nil {
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "usdtspec: unknown command %q\nRun 'usdtspec help' for the list of commands.\n", args[0])
	return exitUsage
}

// help prints the usage of usdtspec, or of one command.
func help(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("help", "[COMMAND]", "Print the usage of usdtspec, or the usage and flags of COMMAND.", nil)
	rest, status, done := fs.parse(args, stdout, stderr)
	switch {
	case done:
		return status
	case len(rest) == 0:
		writeUsage(stdout)
		return exitOK
	case len(rest) > 1:
		return fs.usageError(stderr, "one COMMAND at most, got %q", rest)
	}
	c := lookup(rest[0])
	switch {
	case c == nil:
		fmt.Fprintf(stderr, "usdtspec help: unknown command %q\nRun 'usdtspec help' for the list of commands.\n", rest[0])
		return exitUsage
	case c.run == nil: // help itself
		fs.writeHelp(stdout)
		return exitOK
	}
	return c.run([]string{"--help"}, stdout, stderr)
}

// ---- version ----

func version(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", `Print the version of usdtspec: the module version ("(devel)" for a build
of a checkout), the VCS revision it was built from, with "modified" when the
work tree had changes, and the Go version it was built with.
usdtspec --version is the same.`, nil)
	rest, status, done := fs.parse(args, stdout, stderr)
	if done {
		return status
	}
	if len(rest) > 0 {
		return fs.usageError(stderr, "no arguments expected, got %q", rest)
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(info))
	return exitOK
}

// versionLine is "usdtspec VERSION built with GOVERSION[ from VCS
// revision REV[ (modified)]]".
func versionLine(info *debug.BuildInfo) string {
	if info == nil {
		return "usdtspec (unknown version) built with " + runtime.Version()
	}
	v := info.Main.Version
	if v == "" {
		v = "(unknown version)"
	}
	goVersion := info.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	line := "usdtspec " + v + " built with " + goVersion
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		vcs := settings["vcs"]
		if vcs == "" {
			vcs = "vcs"
		}
		line += " from " + vcs + " revision " + rev
		if settings["vcs.modified"] == "true" {
			line += " (modified)"
		}
	}
	return line
}

// ---- header ----

func header(args []string, stdout, stderr io.Writer) int {
	var dir string
	fs := newFlags("header", "[-o DIR]", `Write the BPF-side header `+bpf.HeaderName+` of this version of usdtspec, the one
package usdt's specs are made for, to DIR/`+bpf.HeaderName+` (DIR is created), or to
stdout without -o. A BPF program includes it instead of libbpf's
<bpf/usdt.bpf.h>; with bpf2go:

  //go:generate go run github.com/usdtspec/usdtspec/cmd/usdtspec header -o include
  //go:generate go run github.com/cilium/ebpf/cmd/bpf2go prog prog.bpf.c -- -I include

go run without @version builds the usdtspec of your go.mod, so the header
always matches the library.`, []flagDef{
		{name: "o", usage: "write `DIR`/" + bpf.HeaderName + " (creating DIR) instead of stdout", value: &stringFlag{p: &dir}},
	})
	rest, status, done := fs.parse(args, stdout, stderr)
	if done {
		return status
	}
	if len(rest) > 0 {
		return fs.usageError(stderr, "no arguments expected, got %q", rest)
	}
	h := bpf.Header()
	if dir == "" {
		if _, err := stdout.Write(h); err != nil {
			fmt.Fprintf(stderr, "usdtspec header: write error: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "usdtspec header: -o: %v\n", err)
		return exitFailure
	}
	if err := os.WriteFile(filepath.Join(dir, bpf.HeaderName), h, 0o644); err != nil {
		fmt.Fprintf(stderr, "usdtspec header: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// ---- flags ----

// flagDef is one flag of a command, or, with only heading set, a heading
// that --help prints before the flags after it.
type flagDef struct {
	name    string
	usage   string // `ARG` in backquotes names the flag's argument in --help
	value   flagValue
	heading string
}

// flagValue is a flag's value. Every flag's Set rejects a second value
// unless the flag is a list, so a repeated flag never silently replaces
// the first value.
type flagValue interface {
	Set(string) error
	String() string
}

// errGivenTwice: a flag that takes one value was given twice.
var errGivenTwice = errors.New("given twice; the flag takes one value")

// stringFlag is a flag with one string value.
type stringFlag struct {
	p   *string
	set bool
}

func (f *stringFlag) Set(v string) error {
	if f.set {
		return errGivenTwice
	}
	f.set, *f.p = true, v
	return nil
}

func (f *stringFlag) String() string {
	if f == nil || f.p == nil {
		return ""
	}
	return *f.p
}

// boolFlag is a switch. Repeating it is harmless; contradicting it
// (--json --json=false) is an error.
type boolFlag struct {
	p   *bool
	set bool
}

func (f *boolFlag) Set(v string) error {
	var b bool
	switch v {
	case "true", "1":
		b = true
	case "false", "0":
	default:
		return errors.New("want true or false")
	}
	if f.set && *f.p != b {
		return errors.New("contradicts the flag given before")
	}
	f.set, *f.p = true, b
	return nil
}

func (f *boolFlag) String() string {
	if f == nil || f.p == nil || !*f.p {
		return "false"
	}
	return "true"
}

func (f *boolFlag) IsBoolFlag() bool { return true }

// listFlag is a repeatable flag: each value is appended.
type listFlag struct{ p *[]string }

func (f *listFlag) Set(v string) error {
	*f.p = append(*f.p, v)
	return nil
}

func (f *listFlag) String() string {
	if f == nil || f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

// flags parses a command's arguments: flags may come before, between and
// after the positional arguments; "--" ends the flags.
type flags struct {
	cmd, args, desc string // "dump", "[flags] FILE...", the text after the usage line
	defs            []flagDef
	fs              *flag.FlagSet
}

func newFlags(cmd, args, desc string, defs []flagDef) *flags {
	f := &flags{cmd: cmd, args: args, desc: desc, defs: defs, fs: flag.NewFlagSet(cmd, flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard) // errors and help are printed by parse
	for _, d := range defs {
		if d.heading == "" {
			f.fs.Var(d.value, d.name, d.usage)
		}
	}
	return f
}

// parse returns the positional arguments. When done, the command is over
// with status: --help printed the help (exitOK) or a flag was wrong
// (exitUsage, the error on stderr).
func (f *flags) parse(args []string, stdout, stderr io.Writer) (rest []string, status int, done bool) {
	for {
		err := f.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.writeHelp(stdout)
			return nil, exitOK, true
		}
		if err != nil {
			return nil, f.usageError(stderr, "%v", err), true
		}
		left := f.fs.Args()
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), exitOK, false
		}
		if len(left) == 0 {
			return rest, exitOK, false
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// isSet reports whether the flag was given.
func (f *flags) isSet(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// usageError prints the error, the usage line and where to find more on
// stderr, and returns exitUsage.
func (f *flags) usageError(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "usdtspec %s: %s\n", f.cmd, fmt.Sprintf(format, a...))
	f.writeUsageLine(stderr)
	fmt.Fprintf(stderr, "Run 'usdtspec %s --help' for its flags.\n", f.cmd)
	return exitUsage
}

func (f *flags) writeUsageLine(w io.Writer) {
	for i, line := range strings.Split(f.args, "\n") {
		prefix := "usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintln(w, strings.TrimRight(prefix+"usdtspec "+f.cmd+" "+line, " "))
	}
}

// writeHelp prints the usage line, the description and every flag with
// its help text, in the order defined.
func (f *flags) writeHelp(w io.Writer) {
	f.writeUsageLine(w)
	if f.desc != "" {
		fmt.Fprintf(w, "\n%s\n", f.desc)
	}
	fmt.Fprintf(w, "\nflags:\n")
	for _, d := range f.defs {
		if d.heading != "" {
			fmt.Fprintf(w, "\n%s\n", d.heading)
			continue
		}
		arg, usage := unquoteUsage(d)
		writeFlagHelp(w, flagName(d.name)+arg, usage)
	}
	writeFlagHelp(w, "-h, --help", "print this help")
}

const (
	flagColumn = 24 // where help texts start
	helpWidth  = 80 // help texts are wrapped at word boundaries to fit
)

func writeFlagHelp(w io.Writer, left, usage string) {
	left = "  " + left
	if len(left) < flagColumn-1 {
		fmt.Fprintf(w, "%-*s", flagColumn, left)
	} else {
		fmt.Fprintf(w, "%s\n%*s", left, flagColumn, "")
	}
	n := flagColumn
	for i, word := range strings.Fields(usage) {
		if i > 0 && n+1+len(word) > helpWidth {
			fmt.Fprintf(w, "\n%*s", flagColumn, "")
			n = flagColumn
		} else if i > 0 {
			fmt.Fprint(w, " ")
			n++
		}
		fmt.Fprint(w, word)
		n += len(word)
	}
	fmt.Fprintln(w)
}

func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unquoteUsage returns " ARG" for a flag whose usage names `ARG` (""
// for a switch) and the usage without the backquotes.
func unquoteUsage(d flagDef) (arg, usage string) {
	usage = d.usage
	if i := strings.IndexByte(usage, '`'); i >= 0 {
		if j := strings.IndexByte(usage[i+1:], '`'); j >= 0 {
			arg = " " + usage[i+1:i+1+j]
			usage = usage[:i] + usage[i+1:i+1+j] + usage[i+1+j+1:]
		}
	}
	if _, ok := d.value.(*boolFlag); ok {
		arg = ""
	}
	return arg, usage
}
