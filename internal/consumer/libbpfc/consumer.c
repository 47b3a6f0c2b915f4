// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// consumer — libbpf as a USDT consumer of the conformance cases: attach
// consumer.bpf.c with bpf_program__attach_usdt to every probe asked, and
// print every hit as libbpf's usdt.bpf.h decoded it.
//
// usage: consumer BPF_OBJECT FILE PROVIDER:NAME [FILE PROVIDER:NAME]...
//
// Probe i (0-based, in argument order) is attached for every process
// (pid -1) with BPF cookie i. Output, one record a line, tab-separated:
//
//	libbpf	MAJOR.MINOR
//	attached	I
//	refused	I	ERRNO	LIBBPF_MESSAGES       (libbpf would not attach probe I)
//	ready                                     (every probe asked is done)
//	hit	PID	I	ARG_CNT	VALUE:RET ...     (one per hit, in firing order, all 12 args)
//
// After "ready" it reads stdin to its end (the caller runs the case, then
// closes it), prints the hits left in the ring buffer, and exits 0.
// Needs root.
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libbpf_harness.h"

#define MAX_ARGS 12

struct hit {
	__u32 pid;
	__s32 arg_cnt;
	__u64 cookie;
	__s64 value[MAX_ARGS];
	__s32 ret[MAX_ARGS];
};

static int on_hit(void *ctx, void *data, size_t size)
{
	const struct hit *h = data;
	if (size < sizeof(*h))
		return 0;
	printf("hit\t%u\t%llu\t%d\t", h->pid, (unsigned long long)h->cookie, h->arg_cnt);
	for (int i = 0; i < MAX_ARGS; i++)
		printf("%s%lld:%d", i ? " " : "", (long long)h->value[i], h->ret[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc % 2) {
		fprintf(stderr, "usage: consumer BPF_OBJECT FILE PROVIDER:NAME [FILE PROVIDER:NAME]...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	struct bpf_program *prog;
	struct bpf_map *hits;
	if (!open_object("consumer", argv[1], "consume", "hits", &prog, &hits))
		return 1;
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(hits), on_hit, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "consumer: ring buffer: %s\n", strerror(errno));
		return 1;
	}
	printf("libbpf\t%u.%u\n", libbpf_major_version(), libbpf_minor_version());
	for (int i = 2, idx = 0; i < argc; i += 2, idx++) {
		char *probe = argv[i + 1];
		char *colon = strchr(probe, ':');
		if (!colon) {
			fprintf(stderr, "consumer: %s: want PROVIDER:NAME\n", probe);
			return 2;
		}
		*colon = 0;
		LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = idx);
		messages[0] = 0;
		struct bpf_link *link = bpf_program__attach_usdt(prog, -1, argv[i], probe, colon + 1, &opts);
		if (!link) {
			int err = errno;
			printf("refused\t%d\t%d\t%s\n", idx, err, messages[0] ? messages : strerror(err));
		} else {
			printf("attached\t%d\n", idx);
		}
	}
	printf("ready\n");
	fflush(stdout);
	struct pollfd pfd = {.fd = 0, .events = POLLIN};
	char buf[256];
	for (;;) {
		ring_buffer__consume(rb);
		fflush(stdout);
		int n = poll(&pfd, 1, 20);
		if (n > 0) {
			ssize_t r = read(0, buf, sizeof(buf));
			if (r <= 0)
				break;
		}
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	// Links are left to exit: libbpf 1.1 detaches one uprobe per call
	// site, slowly; the kernel does it as the descriptors close.
	return 0;
}
