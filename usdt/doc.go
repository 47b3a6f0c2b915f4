// Package usdt attaches BPF programs to USDT probes, for cilium/ebpf users.
//
// The BPF side is the header bpf/usdt.bpf.h of this module, which offers
// libbpf's usdt.bpf.h API (bpf_usdt_arg, bpf_usdt_arg_cnt,
// bpf_usdt_arg_size, bpf_usdt_cookie, BPF_USDT) and can be loaded by
// cilium/ebpf. The Go side goes in three steps:
//
//  1. [Prepare] a CollectionSpec: it compiles the probes of the targets
//     to size the spec map (no fixed cap), tells the BPF side whether the
//     kernel has uprobe BPF cookies and where pt_regs keeps the
//     instruction pointer, and marks USDT programs for uprobe_multi links
//     where the kernel has them.
//  2. Load the collection and [Manager.Bind] it.
//  3. [Manager.Attach] a program to the call sites of a Target. The
//     returned link.Link detaches everything and frees the spec ids when
//     closed.
package usdt
