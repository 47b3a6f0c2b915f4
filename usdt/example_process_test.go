package usdt_test

import (
	"fmt"
	"log"
	"time"

	"github.com/cilium/ebpf"

	"github.com/usdtspec/usdtspec/usdt"
)

// Attach to the probes of one running process: every call site of
// usdtlib:* in its executable and the libraries it has mapped (read
// through /proc/PID/root, so a process in a container works), for that
// process only, then read how often they fired. The process's files are
// known only at attach time, so Prepare gets no Targets: the spec map's
// default capacity (DefaultSpecCapacity specs) has room for them. Needs
// root (CAP_BPF, CAP_PERFMON), and the PID of a running process.
func ExampleManager_AttachProcess() {
	pid := 4242 // the process to trace: from pidof, a PID file, a flag

	// In a bpf2go build the CollectionSpec comes from the generated
	// loader (loadXxx()); here it is read from the object file.
	spec, err := ebpf.LoadCollectionSpec("count_bpfel.o")
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := usdt.Prepare(spec, usdt.Config{})
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

	// Cookie 1: what bpf_usdt_cookie returns at these call sites; the
	// program counts hits per cookie.
	pl, err := mgr.AttachProcess(coll.Programs["count"], pid, "usdtlib:*", &usdt.Options{Cookie: 1})
	if err != nil {
		log.Fatal(err) // usdt.ErrNoProbes when no mapped file has one
	}
	defer pl.Close()
	for i, l := range pl.Files {
		fmt.Printf("%s: %d call sites\n", pl.Paths[i], len(l.Sites()))
	}
	// Files that could not be read (say, of another architecture) are
	// not attached, and not left out in silence either.
	for _, err := range pl.Skipped {
		fmt.Println("not attached:", err)
	}
	// Libraries the process maps later (dlopen) need another
	// AttachProcess, or Manager.Attach on their path.

	time.Sleep(10 * time.Second)
	var hits uint64
	if err := coll.Maps["counts"].Lookup(uint32(1), &hits); err != nil {
		log.Fatal(err)
	}
	fmt.Println(hits, "hits in 10 s")
}
