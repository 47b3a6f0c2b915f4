// Package trace is the machinery of usdtspec trace: a BPF program that
// sends every hit of the probes it is attached to, with each argument
// decoded by bpf/usdt.bpf.h, through a ring buffer (counting the hits
// it finds no room for), the decoding of those hits, and the start of
// a command held at its first instruction until its probes are
// attached.
package trace
