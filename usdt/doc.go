// Package usdt attaches BPF programs to USDT probes, for cilium/ebpf users.
//
// A probe is "provider:name"; a program can have it at many call sites
// (one per inlined copy, say), and a [Target] selects every call site of
// the probes that match its pattern in one ELF file:
//
//	target := usdt.Target{Path: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", Probe: "libstdcxx:throw"}
//	mgr, err := usdt.Prepare(spec, usdt.Config{Targets: []usdt.Target{target}})
//	// ... coll, err := ebpf.NewCollection(spec); mgr.Bind(coll)
//	l, err := mgr.Attach(coll.Programs["handle"], target, &usdt.Options{Cookie: 1})
//	defer l.Close()
//
// The BPF side is the header bpf/usdt.bpf.h of this module (`usdtspec
// header -o DIR` writes it), which offers libbpf's usdt.bpf.h API
// (bpf_usdt_arg, bpf_usdt_arg_cnt, bpf_usdt_arg_size, bpf_usdt_cookie,
// BPF_USDT) and can be loaded by cilium/ebpf. The Go side goes in three
// steps:
//
//  1. [Prepare] a CollectionSpec: it compiles the call sites of the
//     targets to size the spec map (no fixed cap), tells the BPF side
//     whether the kernel has uprobe BPF cookies and where pt_regs keeps
//     the instruction pointer, and marks USDT programs for uprobe_multi
//     links where the kernel has them. Each target file is read once:
//     the Attach that follows uses what Prepare read.
//  2. Load the collection and [Manager.Bind] it.
//  3. [Manager.Attach] a program to the call sites of a Target. The
//     returned link.Link detaches everything and frees the spec ids when
//     closed; [Link.Sites] lists the attached call sites.
//
// Programs written against libbpf's own usdt.bpf.h load unchanged
// through [LoadCollectionSpec].
package usdt
