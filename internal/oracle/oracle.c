//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// oracle — ask libbpf itself what spec it builds for each call site of a
// USDT probe, so usdtspec's specs can be compared with it byte for byte.
//
// usage: oracle BPF_OBJECT BINARY PROVIDER:NAME...
//
// For each probe, in turn: bpf_program__attach_usdt(prog, -1, BINARY,
// PROVIDER, NAME) (pid -1: every process, so no process has to run), then
// the kernel's own account of the attachment (the uprobe_multi link's
// offsets, ref_ctr offsets and cookies, or one perf-event link per site on
// libbpf versions without uprobe_multi), then each cookie's value in
// libbpf's spec map, then detach. Output, one record a line, fields
// separated by tabs:
//
//	libbpf	MAJOR.MINOR	SPEC_SIZE
//	probe	PROVIDER	NAME
//	site	0xOFFSET	0xREF_CTR_OFFSET	SPEC_ID
//	spec	SPEC_ID	HEX_BYTES
//	error	ERRNO	LIBBPF_MESSAGES      (the probe was rejected)
//
// Needs root (or CAP_BPF + CAP_PERFMON). Exit status 0 when every probe
// produced a record, whether libbpf accepted it or not; 1 on a setup error.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "libbpf_harness.h"

static void print_spec(int map_fd, __u32 value_size, __u64 id, unsigned char *buf)
{
	__u32 key = (__u32)id;
	if (bpf_map_lookup_elem(map_fd, &key, buf)) {
		printf("spec\t%llu\tlookup failed: %s\n", (unsigned long long)id, strerror(errno));
		return;
	}
	printf("spec\t%llu\t", (unsigned long long)id);
	for (__u32 i = 0; i < value_size; i++)
		printf("%02x", buf[i]);
	printf("\n");
}

// Links of the program that existed before the current probe was
// attached. A destroyed link stays listed until the kernel frees it after
// an RCU grace period, so the previous probe's link can still be there.
enum { max_stale = 1024 };
static __u32 stale[max_stale];
static int nstale;

static int is_stale(__u32 id)
{
	for (int i = 0; i < nstale; i++)
		if (stale[i] == id)
			return 1;
	return 0;
}

// link_fd opens the next link after *id that belongs to prog_id and is not
// stale, or returns -1 when there is none; info is filled in.
static int next_link(__u32 prog_id, __u32 *id, struct bpf_link_info *info)
{
	while (bpf_link_get_next_id(*id, id) == 0) {
		if (is_stale(*id))
			continue;
		int fd = bpf_link_get_fd_by_id(*id);
		if (fd < 0)
			continue;
		__u32 len = sizeof(*info);
		memset(info, 0, sizeof(*info));
		if (bpf_obj_get_info_by_fd(fd, info, &len) == 0 && info->prog_id == prog_id)
			return fd;
		close(fd);
	}
	return -1;
}

// mark_stale records the program's current links.
static void mark_stale(__u32 prog_id)
{
	struct bpf_link_info info;
	__u32 id = 0;
	int fd;
	while ((fd = next_link(prog_id, &id, &info)) >= 0) {
		close(fd);
		if (nstale < max_stale)
			stale[nstale++] = id;
	}
}

// sites prints the call sites the kernel holds for the new links of
// program prog_id, and returns how many it found.
static int sites(__u32 prog_id, __u64 *ids, int max_ids)
{
	int n = 0, fd;
	__u32 id = 0;
	struct bpf_link_info info;
	__u32 len;
	while ((fd = next_link(prog_id, &id, &info)) >= 0) {
		if (info.type == BPF_LINK_TYPE_UPROBE_MULTI) {
			__u32 cnt = info.uprobe_multi.count;
			__u64 *offsets = calloc(cnt, 8), *refs = calloc(cnt, 8), *cookies = calloc(cnt, 8);
			memset(&info, 0, sizeof(info));
			info.uprobe_multi.count = cnt;
			info.uprobe_multi.offsets = (__u64)(unsigned long)offsets;
			info.uprobe_multi.ref_ctr_offsets = (__u64)(unsigned long)refs;
			info.uprobe_multi.cookies = (__u64)(unsigned long)cookies;
			len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				for (__u32 i = 0; i < cnt; i++) {
					printf("site\t0x%llx\t0x%llx\t%llu\n", (unsigned long long)offsets[i],
					       (unsigned long long)refs[i], (unsigned long long)cookies[i]);
					if (n < max_ids)
						ids[n] = cookies[i];
					n++;
				}
			} else {
				printf("error\t%d\tuprobe_multi link info: %s\n", errno, strerror(errno));
			}
			free(offsets);
			free(refs);
			free(cookies);
		} else if (info.type == BPF_LINK_TYPE_PERF_EVENT) {
			char name[4096];
			memset(&info, 0, sizeof(info));
			info.perf_event.uprobe.file_name = (__u64)(unsigned long)name;
			info.perf_event.uprobe.name_len = sizeof(name);
			len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
			    info.perf_event.type == BPF_PERF_EVENT_UPROBE) {
				printf("site\t0x%llx\t0x%llx\t%llu\n", (unsigned long long)info.perf_event.uprobe.offset,
				       (unsigned long long)info.perf_event.uprobe.ref_ctr_offset,
				       (unsigned long long)info.perf_event.uprobe.cookie);
				if (n < max_ids)
					ids[n] = info.perf_event.uprobe.cookie;
				n++;
			}
		}
		close(fd);
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: oracle BPF_OBJECT BINARY PROVIDER:NAME...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	struct bpf_program *prog;
	struct bpf_map *specs;
	struct bpf_object *obj = open_object("oracle", argv[1], "oracle_probe", "__bpf_usdt_specs", &prog, &specs);
	if (!obj)
		return 1;
	struct bpf_prog_info pinfo;
	__u32 plen = sizeof(pinfo);
	memset(&pinfo, 0, sizeof(pinfo));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pinfo, &plen)) {
		fprintf(stderr, "oracle: program info: %s\n", strerror(errno));
		return 1;
	}
	__u32 value_size = bpf_map__value_size(specs);
	int map_fd = bpf_map__fd(specs);
	unsigned char *value = malloc(value_size);
	printf("libbpf\t%u.%u\t%u\n", libbpf_major_version(), libbpf_minor_version(), value_size);

	enum { max_ids = 1 << 16 };
	static __u64 ids[max_ids];
	for (int i = 3; i < argc; i++) {
		char *colon = strchr(argv[i], ':');
		if (!colon) {
			fprintf(stderr, "oracle: %s: want PROVIDER:NAME\n", argv[i]);
			return 2;
		}
		*colon = 0;
		const char *provider = argv[i], *name = colon + 1;
		printf("probe\t%s\t%s\n", provider, name);
		messages[0] = 0;
		mark_stale(pinfo.id);
		struct bpf_link *link = bpf_program__attach_usdt(prog, -1, argv[2], provider, name, NULL);
		if (!link) {
			int err = errno;
			printf("error\t%d\t%s\n", err, messages[0] ? messages : strerror(err));
			continue;
		}
		int n = sites(pinfo.id, ids, max_ids);
		if (n == 0)
			printf("error\t0\tattached, but the kernel lists no uprobe link for the program\n");
		// Each distinct id once: sites with the same argument string
		// share one.
		for (int j = 0; j < n && j < max_ids; j++) {
			int seen = 0;
			for (int k = 0; k < j && !seen; k++)
				seen = ids[k] == ids[j];
			if (!seen)
				print_spec(map_fd, value_size, ids[j], value);
		}
		bpf_link__destroy(link);
		fflush(stdout);
	}
	bpf_object__close(obj);
	return 0;
}
