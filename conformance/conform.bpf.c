//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The conformance probe: at every USDT call site it is attached to, it
// records what bpf_usdt_arg_cnt and bpf_usdt_arg return for each argument,
// in firing order, through a ring buffer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#ifdef CONFORM_LIBBPF_HEADER
// Built against libbpf's own <bpf/usdt.bpf.h> (make oracle does, to run the
// cases through it): its mode is the LINUX_HAS_BPF_COOKIE extern, and the
// instruction pointer comes from its architecture's pt_regs macros.
#include <stdbool.h>
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#define CONFORM_HAS_COOKIE LINUX_HAS_BPF_COOKIE
#define CONFORM_IP(ctx) PT_REGS_IP(ctx)
#else
#include "usdt.bpf.h"
// bpf/usdt.bpf.h's variables, set by the Go side: one object for every
// architecture.
#define CONFORM_HAS_COOKIE __usdtspec_has_cookie
#define CONFORM_IP(ctx) ({ __u64 ip = 0; bpf_probe_read_kernel(&ip, sizeof(ip), (void *)(ctx) + __usdtspec_ip_offset); ip; })
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct hit {
	__u32 pid;
	__s32 arg_cnt;      // bpf_usdt_arg_cnt
	__u64 cookie;       // bpf_usdt_cookie: which attachment fired
	__u64 spec_id;      // the raw attach cookie (spec id) when cookies work
	__u64 ip;           // instruction pointer at the probe
	__s64 value[BPF_USDT_MAX_ARG_CNT];
	__s32 ret[BPF_USDT_MAX_ARG_CNT];  // bpf_usdt_arg's return code
	__s32 size[BPF_USDT_MAX_ARG_CNT]; // bpf_usdt_arg_size
	// BPF_USDT's way of fetching (bpf/usdt.bpf.h only): all twelve
	// arguments at once, as BPF_USDT naming twelve fetches them, 0 past
	// the call site's last.
	__s32 fetched_all; // 1 where fetched is set (0 with libbpf's header)
	__s64 fetched[BPF_USDT_MAX_ARG_CNT];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} hits SEC(".maps");

// Hits lost because the ring buffer was full, by process: the runner
// reports them as drops, where a missing hit would otherwise read as a
// probe that did not fire. Keyed by PID so that another process's drops
// do not fail a case.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_drop(__u32 pid)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(&drops, &pid);

	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	// Another CPU may have added the entry in between: count on it.
	if (bpf_map_update_elem(&drops, &pid, &one, BPF_NOEXIST) == 0)
		return;
	n = bpf_map_lookup_elem(&drops, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
}

// Makes bpf2go emit the Go type.
const struct hit *unused_hit __attribute__((unused));

SEC("usdt")
int conform(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct hit *h = bpf_ringbuf_reserve(&hits, sizeof(*h), 0);
	long v;

	if (!h) {
		count_drop(pid);
		return 0;
	}
	h->pid = pid;
	h->arg_cnt = bpf_usdt_arg_cnt(ctx);
	h->cookie = bpf_usdt_cookie(ctx);
	h->spec_id = CONFORM_HAS_COOKIE ? bpf_get_attach_cookie(ctx) : (__u64)-1;
	h->ip = CONFORM_IP(ctx);
	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT; i++) {
		h->ret[i] = bpf_usdt_arg(ctx, i, &v);
		h->value[i] = v;
		h->size[i] = bpf_usdt_arg_size(ctx, i);
	}
#ifndef CONFORM_LIBBPF_HEADER
	__usdtspec_args(ctx, (long *)h->fetched, BPF_USDT_MAX_ARG_CNT);
	h->fetched_all = 1;
#else
	h->fetched_all = 0;
#endif
	bpf_ringbuf_submit(h, 0);
	return 0;
}
