package usdt_test

import (
	"fmt"
	"log"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/usdt"
)

// Attach a BPF program that includes bpf/usdt.bpf.h to every call site of
// libstdc++'s C++ exception probe, and list them. In a bpf2go build the
// CollectionSpec comes from the generated loader (loadXxx()); here it is
// read from the object file. Needs root (CAP_BPF, CAP_PERFMON).
func Example() {
	lib := "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
	target := usdt.Target{Path: lib, Probe: "libstdcxx:throw"}

	spec, err := ebpf.LoadCollectionSpec("count_bpfel.o")
	if err != nil {
		log.Fatal(err)
	}
	// Size the spec map for the target and configure the BPF side for
	// this kernel (cookies, uprobe_multi) before loading.
	mgr, err := usdt.Prepare(spec, usdt.Config{Targets: []usdt.Target{target}})
	if err != nil {
		log.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		log.Fatal(err)
	}
	defer coll.Close()
	if err := mgr.Bind(coll); err != nil {
		log.Fatal(err)
	}

	l, err := mgr.Attach(coll.Programs["count"], target, &usdt.Options{Cookie: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close() // detaches every call site and frees the spec ids
	for _, s := range l.Sites() {
		fmt.Printf("%s:%s at %#x (spec %d)\n", s.CallSite.Provider, s.CallSite.Name, s.CallSite.FileOffset, s.SpecID)
	}
}

// Prepare sizes the spec map before the collection is loaded: by
// default it has room for the distinct specs of the targets and at least
// DefaultSpecCapacity slots. The probe usdtspec:inlined has four call
// sites, each passing its arguments in other places: four specs, which
// an exact SpecCapacity must hold. Prepare needs no privileges; loading
// and attaching do.
func ExamplePrepare() {
	target := usdt.Target{Path: "../testdata/bin/probes-amd64-gcc-O2-pie", Probe: "usdtspec:inlined"}
	for _, capacity := range []int{0, 4, 3} {
		spec, err := ebpf.LoadCollectionSpec("../internal/testprog/count_bpfel.o")
		if err != nil {
			log.Fatal(err)
		}
		_, err = usdt.Prepare(spec, usdt.Config{Targets: []usdt.Target{target}, SpecCapacity: capacity})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(spec.Maps[usdt.SpecMapName].MaxEntries, "spec map slots")
	}
	// Output:
	// 1024 spec map slots
	// 4 spec map slots
	// usdt: Config.SpecCapacity 3 is below the 4 distinct specs of Config.Targets
}
