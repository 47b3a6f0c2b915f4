//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The probe of usdtspec trace: at every USDT call site it is attached to,
// it sends the time, the process and thread, and what bpf_usdt_arg returns
// for each argument through a ring buffer. A hit that finds the ring
// buffer full is counted in drops, never lost in silence.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "usdt.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EVENT_HIT 0
#define EVENT_LOADER 1  // the process is at the loader's _dl_debug_state, stopped
#define SIGSTOP 19

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

// One record of the ring buffer. Only the first arg_cnt values are sent
// (the record's length says how many): a probe with one argument costs 64
// bytes of ring buffer, not the 200 of a fixed record, so three times as
// many hits fit before the reader must catch up.
struct event {
	__u32 kind;     // EVENT_HIT or EVENT_LOADER
	__u32 pid;      // thread group id
	__u32 tid;
	__s32 arg_cnt;  // bpf_usdt_arg_cnt
	__u64 time_ns;  // bpf_ktime_get_boot_ns: CLOCK_BOOTTIME
	__u64 cookie;   // bpf_usdt_cookie: which probe fired
	__u64 spec_id;  // the raw attach cookie (spec id) when cookies work, else -1
	__u64 ip;       // instruction pointer at the uprobe
	__u32 failed;   // bit i: bpf_usdt_arg failed for argument i; value[i] is its return code
	__u32 pad;
	__s64 value[BPF_USDT_MAX_ARG_CNT];
};

// The record is built here, then copied into the ring buffer at its length.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

// Makes bpf2go emit the Go type.
const struct event *unused_event __attribute__((unused));

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		(*n)++;
}

SEC("usdt")
int trace(struct pt_regs *ctx)
{
	__u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 n;
	long v;
	int ret;

	if (!e)
		return 0;
	e->kind = EVENT_HIT;
	e->pad = 0;
	e->time_ns = bpf_ktime_get_boot_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->cookie = bpf_usdt_cookie(ctx);
	e->spec_id = __usdtspec_has_cookie ? bpf_get_attach_cookie(ctx) : (__u64)-1;
	e->ip = 0;
	bpf_probe_read_kernel(&e->ip, sizeof(e->ip), (void *)ctx + __usdtspec_ip_offset);
	e->arg_cnt = bpf_usdt_arg_cnt(ctx);
	e->failed = 0;
	n = e->arg_cnt < 0 ? 0 : e->arg_cnt;
	if (n > BPF_USDT_MAX_ARG_CNT)
		n = BPF_USDT_MAX_ARG_CNT;
	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT; i++) {
		if (i >= n)
			break;
		v = 0;
		ret = bpf_usdt_arg(ctx, i, &v);
		if (ret < 0) {
			e->failed |= 1u << i;
			v = ret;
		}
		e->value[i] = v;
	}
	if (bpf_ringbuf_output(&events, e, __builtin_offsetof(struct event, value) + n * sizeof(e->value[0]), 0))
		count_drop();
	return 0;
}

// At the dynamic loader's _dl_debug_state, which the loader calls before
// and after it changes the list of loaded objects (the breakpoint gdb uses
// to see libraries come and go), the process is stopped, and user space
// told: it attaches to the files just mapped, then continues the process
// (SIGCONT), so that no code of a new library runs unprobed.
SEC("uprobe")
int loader(struct pt_regs *ctx)
{
	struct event *e;
	__u64 id = bpf_get_current_pid_tgid();

	bpf_send_signal(SIGSTOP);
	e = bpf_ringbuf_reserve(&events, __builtin_offsetof(struct event, value), 0);
	if (!e) {
		// User space cannot know of the stop: it finds the process
		// stopped when it next looks (see Process.Rescan).
		count_drop();
		return 0;
	}
	__builtin_memset(e, 0, __builtin_offsetof(struct event, value));
	e->kind = EVENT_LOADER;
	e->time_ns = bpf_ktime_get_boot_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
