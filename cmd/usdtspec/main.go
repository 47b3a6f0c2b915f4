// Command usdtspec lists the USDT probes of ELF files and the
// libbpf-compatible specs their arguments compile to.
//
//	usdtspec dump [--json] [--probe PROVIDER:NAME] [--spec-layout v1.7|v1.6] [--debug-dir DIR]... FILE...
//	usdtspec conform [--json] EXECUTABLE [LIBRARY...] | --cases LIST
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: usdtspec <command> [arguments]

commands:
  dump [--json] [--probe PROVIDER:NAME] [--spec-layout v1.7|v1.6] [--debug-dir DIR]... FILE...
        list every USDT call site of each FILE with its compiled spec
  conform [--json] EXECUTABLE [LIBRARY...] | --cases LIST
        run conformance cases natively (root): attach BPF to every probe,
        run the case, compare decoded arguments with what it printed
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // a file could not be read
	exitUsage   = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "dump":
		return dump(args[1:], stdout, stderr)
	case "conform":
		return conform(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "usdtspec: unknown command %q\n%s", args[0], usage)
	return exitUsage
}
