// Package vm runs conformance cases inside QEMU guests of other
// architectures (or other kernels), with software emulation.
//
// The host side ([Run]) packs an initramfs holding a static usdtspec built
// for the guest (its /init), the cases and whatever shared libraries and
// loader they need, boots Debian's kernel for the architecture with the
// QEMU recipe of its [Machine] (its row of matrix.tsv, the table of the
// guest architectures), and reads the report back from the console.
// The guest side ([GuestMain]) mounts what the runner needs, runs every
// case with the native runner, prints one line per case, and powers off.
//
// A guest whose QEMU or cross toolchain the host's Debian lacks (loong64:
// bookworm's QEMU cannot boot the EFI-stub kernel, and bookworm has no
// loongarch64 compiler) names a newer suite in its root column; [Root] makes
// a private root of that suite's packages, and [Run] starts the root's
// QEMU through the root's own dynamic loader.
package vm
