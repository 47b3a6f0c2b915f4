package conformance_test

import (
	"context"
	"fmt"
	"log"

	"github.com/usdtspec/usdtspec/conformance"
)

// What a case prints, one line per hit, and how the runner reads it:
// "*" is a value not compared, negative values are 64-bit two's
// complement.
func ExampleParseLines() {
	out := []byte("test:ints -1 4294967295 *\ntest:zero\n")
	lines, err := conformance.ParseLines(out)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range lines {
		fmt.Print(l.Probe)
		for _, tok := range l.Tokens {
			if tok == "*" {
				fmt.Print(" (any)")
				continue
			}
			v, err := conformance.ParseValue(tok)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf(" %#x", v)
		}
		fmt.Println()
	}
	// Output:
	// test:ints 0xffffffffffffffff 0xffffffff (any)
	// test:zero
}

// Run one case (as root): every probe of the executable and its
// libraries is attached, the case runs, and each decoded hit is compared
// with the line the case printed for it.
func ExampleRun() {
	c := conformance.Case{Executable: "build/conformance/ints-gcc-O2-pie"}
	r, err := conformance.Run(context.Background(), c)
	if err != nil {
		log.Fatal(err) // not root, no such file, ...
	}
	fmt.Println(c.Name(), r.Passed)
}
