//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A small USDT program for the usdt package's tests and example: it counts
// hits per bpf_usdt_cookie and keeps the last hit's arguments.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "usdt.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MAX_COOKIES 64

struct last_hit {
	__s64 arg[BPF_USDT_MAX_ARG_CNT];
	__s32 arg_cnt;
	__u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_COOKIES);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_COOKIES);
	__type(key, __u32);
	__type(value, struct last_hit);
} last SEC(".maps");

SEC("usdt")
int count(struct pt_regs *ctx)
{
	__u32 key = bpf_usdt_cookie(ctx);
	struct last_hit *h;
	__u64 *n;

	if (key >= MAX_COOKIES)
		return 0;
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	h = bpf_map_lookup_elem(&last, &key);
	if (!h)
		return 0;
	h->arg_cnt = bpf_usdt_arg_cnt(ctx);
	h->pid = bpf_get_current_pid_tgid() >> 32;
	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT; i++) {
		long v = 0;
		bpf_usdt_arg(ctx, i, &v);
		h->arg[i] = v;
	}
	return 0;
}
