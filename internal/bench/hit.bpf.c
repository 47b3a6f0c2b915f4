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

// The floor of decoding: the 12 registers of bench:args12 (rdi, rax,
// rdx, rcx, rsi, r8, r9, r10, r11, rbx, rbp, r12 on x86-64) loaded
// straight from the context at constant offsets, one load per argument,
// and stored as decode12 stores them (the offsets are x86-64's; the
// bench runs there only). No header involved: what a decoder
// that knew the call site's operands at compile time would cost.
#define CTX(off) (*(long *)((void *)ctx + (off)))
SEC("usdt")
int ctxload12(struct pt_regs *ctx)
{
	out.last[0] = CTX(112);	 // di
	out.last[1] = CTX(80);	 // ax
	out.last[2] = CTX(96);	 // dx
	out.last[3] = CTX(88);	 // cx
	out.last[4] = CTX(104); // si
	out.last[5] = CTX(72);	 // r8
	out.last[6] = CTX(64);	 // r9
	out.last[7] = CTX(56);	 // r10
	out.last[8] = CTX(48);	 // r11
	out.last[9] = CTX(40);	 // bx
	out.last[10] = CTX(32); // bp
	out.last[11] = CTX(24); // r12
	__sync_fetch_and_add(&out.hits, 1);
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


// The steps of usdtspec's decode12, each program one step further, for
// the breakdown of its BPF run time: the spec id (the BPF cookie, a
// helper call), the spec's lookup, the copy of the context's registers,
// then BPF_USDT with one argument. Built against usdtspec's header only
// (the first three use its internals).
#ifdef __USDTSPEC_USDT_BPF_H__
SEC("usdt")
int step_cookie(struct pt_regs *ctx)
{
	out.last[0] = bpf_get_attach_cookie(ctx);
	__sync_fetch_and_add(&out.hits, 1);
	return 0;
}

SEC("usdt")
int step_lookup(struct pt_regs *ctx)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_lookup(ctx);

	out.last[0] = spec ? spec->arg_cnt : 0;
	__sync_fetch_and_add(&out.hits, 1);
	return 0;
}

SEC("usdt")
int step_copy(struct pt_regs *ctx)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_lookup(ctx);
	struct __usdtspec_regs regs;

	// The copy that kernels before 6.17 make (on later ones BPF_USDT
	// reads the context in place: see __usdtspec_load_regs).
	__usdtspec_copy_regs(ctx, &regs);
	out.last[0] = spec ? spec->arg_cnt : 0;
	out.last[1] = regs.w[out.hits & 15]; // keeps the copy
	__sync_fetch_and_add(&out.hits, 1);
	return 0;
}

SEC("usdt")
int BPF_USDT(step_decode1, long a0)
{
	out.last[0] = a0;
	__sync_fetch_and_add(&out.hits, 1);
	return 0;
}
#endif
