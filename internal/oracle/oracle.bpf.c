//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The oracle's BPF side: one empty USDT program, built against the usdt.bpf.h
// of the libbpf under test, so that the spec map libbpf fills has that
// version's value size. Nothing runs it; the oracle only attaches it and
// reads back the specs libbpf computed.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

// One probe can have hundreds of distinct argument strings (the
// many_sites case has 320); libbpf's default of 256 spec ids would make it
// fail with -E2BIG, which is a map size, not a parsing verdict.
#define BPF_USDT_MAX_SPEC_CNT 4096
#include <bpf/usdt.bpf.h>

SEC("usdt")
int oracle_probe(struct pt_regs *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
