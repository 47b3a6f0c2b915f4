// Package compiler reads the USDT probes of an ELF file and compiles their
// arguments into libbpf-compatible binary specs.
//
//	f, err := compiler.Open("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
//	for _, site := range f.CallSites {
//		spec, err := compiler.Encode(compiler.LayoutV17, f.ByteOrder, site.Arguments, 0)
//		...
//	}
//
// [Open] or [Read] give a [File]: every call site of its .note.stapsdt
// notes (a probe, "provider:name", has one call site per note) with its
// addresses translated to file offsets, its arguments parsed by the
// grammar of the file's architecture (chosen by e_machine, never by the
// host), and per-note and per-argument errors that name what failed and
// why. [Encode] turns a call site's arguments into the bytes of libbpf's
// struct __bpf_usdt_spec, in either of libbpf's two layouts and in the
// target's byte order. [OpenStream] reads the same call sites one at a
// time, pass by pass, without holding them: for a file of a million.
//
// Files are untrusted input. Only regular files are opened (a FIFO or a
// device fails at once with [ErrNotRegular]); what one file may make the
// package read and hold is bounded ([MaxNoteSectionSize], also for a
// compressed section once inflated, [MaxCallSites], [MaxNoteString],
// [MaxNoteArgs], [MaxDebugFileSize]), each failing with [ErrLimit]; and
// a separate debug file is read only when it is a regular file that no
// one but root or the file's owner may write. docs/dump.md explains each
// bound.
package compiler
