//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// At every call site it is attached to, sends argument number `arg_index`
// (set from Go before loading) through a ring buffer, with the process,
// the thread and bpf_usdt_arg's return code: a negative one means the
// argument could not be read (no such argument, or an operand usdtspec
// could not compile), which the Go side prints instead of a value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "usdt.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct event {
	__u32 pid;
	__u32 tid;
	__s64 value;
	__s32 ret;    // bpf_usdt_arg's: 0, or a negative errno
	__s32 arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

// Hits that found the ring buffer full: counted, so that the program can
// say how many it missed rather than miss them in silence.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

// Which argument to send; a constant the Go side rewrites before loading.
volatile const __u32 arg_index = 0;

// Makes bpf2go emit the Go type printargEvent.
const struct event *unused_event __attribute__((unused));

SEC("usdt")
int printarg(struct pt_regs *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();
	long v = 0;

	if (!e) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);
		if (n)
			(*n)++;
		return 0;
	}
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->arg_cnt = bpf_usdt_arg_cnt(ctx);
	e->ret = bpf_usdt_arg(ctx, arg_index, &v);
	e->value = v;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
