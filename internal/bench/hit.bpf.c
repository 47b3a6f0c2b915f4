//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The BPF side of the per-hit figures of `make bench`, built twice from
// this one source: against usdtspec's bpf/usdt.bpf.h (bpf2go, hit_bpfel.o,
// loaded through the usdt package) and against libbpf 1.7's own
// <bpf/usdt.bpf.h> (internal/bench/libbpf/build.sh, attached by libbpf
// through internal/bench/libbpf/libbpfbench.c). Only the include path
// differs: "usdt.bpf.h" is found in bpf/ or in libbpf's include/bpf/.
// (libbpf's header wants bool and struct pt_regs from the includer.)
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include "usdt.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// The decode program's hits and the last hit's 12 arguments, which the
// bench checks against what the traced program passed.
struct out {
	__u64 hits;
	long last[12];
};

struct out out = {};

// The uprobe's own cost: returns at once.
SEC("usdt")
int empty(struct pt_regs *ctx)
{
	return 0;
}

// Fetches all 12 arguments with bpf_usdt_arg (through BPF_USDT, as a
// program written against libbpf's API does).
SEC("usdt")
int BPF_USDT(decode12, long a0, long a1, long a2, long a3, long a4, long a5, long a6, long a7,
	     long a8, long a9, long a10, long a11)
{
	out.last[0] = a0;
	out.last[1] = a1;
	out.last[2] = a2;
	out.last[3] = a3;
	out.last[4] = a4;
	out.last[5] = a5;
	out.last[6] = a6;
	out.last[7] = a7;
	out.last[8] = a8;
	out.last[9] = a9;
	out.last[10] = a10;
	out.last[11] = a11;
	__sync_fetch_and_add(&out.hits, 1);
	return 0;
}
