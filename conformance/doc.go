// Package conformance runs USDT conformance cases: programs whose probes
// print the values they passed. The runner attaches a BPF program that
// decodes every argument with bpf/usdt.bpf.h at every call site of the
// case (and of its shared libraries), runs the case, and compares each
// hit with the line the case printed for it.
//
//	r, err := conformance.Run(ctx, conformance.Case{Executable: "build/conformance/ints-gcc-O2-pie"})
//	if err == nil && !r.Passed {
//		for _, f := range r.Failures { fmt.Println(f) }
//	}
//
// The case protocol: run with no arguments, a case is single-threaded
// and, right after each probe fires, prints one line to stdout,
// "provider:name" and one token per argument: the value as a decimal
// integer (signed types as long long, unsigned types and pointers as
// unsigned long long, float and double as the unsigned integer of their
// IEEE bits), or "*" for "not compared". A probe guarded by a semaphore
// prints its line whether or not it fired. The k-th hit is paired with
// the k-th line.
//
// The case runs in a process group of its own, for at most Case.Timeout
// (DefaultTimeout when 0); the group is killed when the case exits, times
// out or ctx is done. A case fails when it times out, when the ring
// buffer drops any of its hits (Result.Dropped), and when it fired no
// probe and printed nothing.
package conformance
