package usdt_test

import (
	"fmt"
	"log"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/internal/testprog"
	"github.com/usdtspec/usdtspec/usdt"
)

// Attach a program built with bpf/usdt.bpf.h (here the module's test
// program, which counts hits per bpf_usdt_cookie) to every call site of
// libstdc++'s C++ exception probes. TestAttachFiresInEveryMode runs the
// same steps against a test binary.
func Example() {
	lib := "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
	target := usdt.Target{Path: lib, Probe: "libstdcxx:throw"}

	spec, err := testprog.Load() // a bpf2go-generated loader
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
