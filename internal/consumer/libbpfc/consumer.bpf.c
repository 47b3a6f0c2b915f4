// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The libbpf consumer's BPF side: built against the usdt.bpf.h of the
// libbpf under test (internal/consumer/libbpfc/build.sh), so that libbpf
// decodes every argument with its own code. At every hit it records the
// pid, the attach cookie (the probe's index), bpf_usdt_arg_cnt and every
// bpf_usdt_arg value and return code, through a ring buffer.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

// One probe can have hundreds of distinct argument strings (many_sites
// has 320); libbpf's default of 256 spec ids would refuse it for a map
// size, not for what it can read.
#define BPF_USDT_MAX_SPEC_CNT 4096
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct hit {
	__u32 pid;
	__s32 arg_cnt;
	__u64 cookie;
	__s64 value[BPF_USDT_MAX_ARG_CNT];
	__s32 ret[BPF_USDT_MAX_ARG_CNT];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} hits SEC(".maps");

SEC("usdt")
int consume(struct pt_regs *ctx)
{
	struct hit *h = bpf_ringbuf_reserve(&hits, sizeof(*h), 0);
	long v;

	if (!h)
		return 0;
	h->pid = bpf_get_current_pid_tgid() >> 32;
	h->arg_cnt = bpf_usdt_arg_cnt(ctx);
	h->cookie = bpf_usdt_cookie(ctx);
	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT; i++) {
		v = 0;
		h->ret[i] = bpf_usdt_arg(ctx, i, &v);
		h->value[i] = v;
	}
	bpf_ringbuf_submit(h, 0);
	return 0;
}
