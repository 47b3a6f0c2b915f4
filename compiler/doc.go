// Package compiler reads the USDT probes of an ELF file and compiles their
// arguments into libbpf-compatible binary specs.
//
// [Open] or [Read] give a [File]: every .note.stapsdt call site with its
// addresses translated to file offsets, its arguments parsed by the
// grammar of the file's architecture (chosen by e_machine, never by the
// host), and per-note and per-argument errors that name what failed and
// why. [Encode] turns a call site's arguments into the bytes of libbpf's
// struct __bpf_usdt_spec, in either of libbpf's two layouts and in the
// target's byte order.
package compiler
