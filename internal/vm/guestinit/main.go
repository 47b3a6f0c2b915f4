// Command guestinit is the /init of a conformance VM: the runner
// (usdtspec conform --vm) packs one static build of it per GOARCH into
// the guest's initramfs. It mounts what the cases need, runs them and
// reports over the console (see package vm), then powers the guest off.
//
// It is its own program so that the usdtspec CLI never mistakes itself
// for a guest's init: as PID 1 in a container it is just the CLI.
package main

import (
	"fmt"
	"os"

	"github.com/usdtspec/usdtspec/internal/vm"
)

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "guestinit: the /init of a usdtspec conformance VM; it runs only as PID 1 there")
		os.Exit(2)
	}
	vm.GuestMain()
}
