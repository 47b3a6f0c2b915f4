package compiler_test

import (
	"encoding/binary"
	"fmt"
	"log"

	"github.com/usdtspec/usdtspec/compiler"
)

// List the call sites of one probe of an x86-64 program and compile
// each into the spec that libbpf's usdt.bpf.h reads. The probe
// usdtspec:inlined is in an inlined function: it has a call site per
// place it was inlined, each with its own operands.
func Example() {
	f, err := compiler.Open("../testdata/bin/probes-amd64-gcc-O2-pie")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Arch.Name, f.Type)
	for _, site := range f.CallSites {
		if !site.Matches("usdtspec:inlined") {
			continue
		}
		spec, err := compiler.Encode(compiler.LayoutV17, binary.LittleEndian, site.Arguments, 0)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("pc %#x  %-14s  %d-byte spec, 2nd argument in %s (pt_regs+%d)\n",
			site.PC, site.Args, len(spec), site.Arguments[1].Base.Name, site.Arguments[1].Base.Offset)
	}
	// Output:
	// amd64 ET_DYN
	// pc 0x1693  -4@$1 -8@%rdi   304-byte spec, 2nd argument in rdi (pt_regs+112)
	// pc 0x1698  -4@$2 -8@%rdx   304-byte spec, 2nd argument in rdx (pt_regs+96)
	// pc 0x16a3  -4@$3 -8@%rdx   304-byte spec, 2nd argument in rdx (pt_regs+96)
	// pc 0x1484  -4@$4 -8@%r10   304-byte spec, 2nd argument in r10 (pt_regs+56)
}
