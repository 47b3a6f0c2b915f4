// A BPF program written against libbpf's <bpf/usdt.bpf.h> API. The test
// builds it twice: as it is, against libbpf's header, and with only the
// usdt.bpf.h include line changed, against bpf/usdt.bpf.h, which it then
// loads with cilium/ebpf and attaches.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct result {
	long a, b;
	long cookie;
	int cnt;
	int size0;
	int size1;
	int missing_ret;
	long missing_val;
	__u64 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct result);
} results SEC(".maps");

SEC("usdt")
int BPF_USDT(handle_plain, long a, long b)
{
	__u32 key = 0;
	struct result *r = bpf_map_lookup_elem(&results, &key);
	long x = 42;

	if (!r)
		return 0;
	r->a = a;
	r->b = b;
	r->cookie = bpf_usdt_cookie(ctx);
	r->cnt = bpf_usdt_arg_cnt(ctx);
	r->size0 = bpf_usdt_arg_size(ctx, 0);
	r->size1 = bpf_usdt_arg_size(ctx, 1);
	r->missing_ret = bpf_usdt_arg(ctx, 2, &x);
	r->missing_val = x;
	r->hits++;
	return 0;
}
