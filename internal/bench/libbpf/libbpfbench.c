//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// libbpfbench — libbpf 1.7's side of `make bench` (internal/bench): the
// same measurements as usdtspec's, made through libbpf's own USDT support.
//
// usage: libbpfbench attach BPF_OBJECT BINARY PROVIDER NAME RUNS
//        libbpfbench hit BPF_OBJECT PROGRAM BINARY PROVIDER NAME PID
//
// attach: loads BPF_OBJECT (internal/bench/hit.bpf.c built against
// libbpf's usdt.bpf.h), then RUNS times bpf_program__attach_usdt(empty,
// pid -1, BINARY, PROVIDER, NAME) and bpf_link__destroy, each timed
// (CLOCK_MONOTONIC). Prints first how libbpf attached (the kernel's links
// of the program: "links uprobe_multi N_LINKS SITES" or "links perf_event
// N_LINKS SITES"), then one line per run: "run ATTACH_NS DETACH_NS".
//
// hit: attaches PROGRAM to the call sites of PROVIDER:NAME in process PID,
// prints "ready", waits for a line (or EOF) on stdin, then prints
// "hits N A0 ... A11 RUN_TIME_NS RUN_CNT" (the program's out variable:
// hits, last arguments; then the kernel's statistics of the program, which
// count only while BPF_ENABLE_STATS is on, e.g. in the bench) and detaches.
//
// Needs root (or CAP_BPF + CAP_PERFMON). Exit status 1 on any error.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct out {
	__u64 hits;
	long last[12];
};

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "libbpfbench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static struct bpf_object *load(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err = libbpf_get_error(obj);
	if (err)
		die(path, err);
	if ((err = bpf_object__load(obj)))
		die("loading the BPF object", err);
	return obj;
}

static struct bpf_program *program(struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);
	if (!prog) {
		fprintf(stderr, "libbpfbench: no program %s\n", name);
		exit(1);
	}
	return prog;
}

// describe prints how the program is attached, from the kernel's links.
static void describe(int prog_fd)
{
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo);
	if (bpf_prog_get_info_by_fd(prog_fd, &pinfo, &len))
		die("program info", errno);
	__u32 id = 0, multi = 0, perf = 0, sites = 0;
	while (!bpf_link_get_next_id(id, &id)) {
		int fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		struct bpf_link_info info = {};
		len = sizeof(info);
		if (!bpf_link_get_info_by_fd(fd, &info, &len) && info.prog_id == pinfo.id) {
			if (info.type == BPF_LINK_TYPE_UPROBE_MULTI) {
				multi++;
				sites += info.uprobe_multi.count;
			} else if (info.type == BPF_LINK_TYPE_PERF_EVENT) {
				perf++;
				sites++;
			}
		}
		close(fd);
	}
	if (multi)
		printf("links uprobe_multi %u %u\n", multi, sites);
	else
		printf("links perf_event %u %u\n", perf, sites);
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "attach")) {
		struct bpf_object *obj = load(argv[2]);
		struct bpf_program *prog = program(obj, "empty");
		int runs = atoi(argv[6]);
		for (int i = 0; i < runs; i++) {
			long long t0 = now();
			struct bpf_link *l = bpf_program__attach_usdt(prog, -1, argv[3], argv[4], argv[5], NULL);
			long long t1 = now();
			int err = libbpf_get_error(l);
			if (err)
				die("bpf_program__attach_usdt", err);
			if (i == 0)
				describe(bpf_program__fd(prog));
			bpf_link__destroy(l);
			long long t2 = now();
			printf("run %lld %lld\n", t1 - t0, t2 - t1);
			fflush(stdout);
		}
		bpf_object__close(obj);
		return 0;
	}
	if (argc == 8 && !strcmp(argv[1], "hit")) {
		struct bpf_object *obj = load(argv[2]);
		struct bpf_program *prog = program(obj, argv[3]);
		struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
		size_t size = 0;
		struct out *out = bss ? bpf_map__initial_value(bss, &size) : NULL;
		if (!out || size < sizeof(*out)) {
			fprintf(stderr, "libbpfbench: no mmapped .bss with the out variable\n");
			return 1;
		}
		struct bpf_link *l = bpf_program__attach_usdt(prog, atoi(argv[7]), argv[4], argv[5], argv[6], NULL);
		int err = libbpf_get_error(l);
		if (err)
			die("bpf_program__attach_usdt", err);
		printf("ready\n");
		fflush(stdout);
		char line[64];
		if (!fgets(line, sizeof(line), stdin) && ferror(stdin))
			die("stdin", errno);
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			die("program info", errno);
		printf("hits %llu", (unsigned long long)out->hits);
		for (int i = 0; i < 12; i++)
			printf(" %ld", out->last[i]);
		printf(" %llu %llu\n", (unsigned long long)info.run_time_ns, (unsigned long long)info.run_cnt);
		bpf_link__destroy(l);
		bpf_object__close(obj);
		return 0;
	}
	fprintf(stderr, "usage: libbpfbench attach BPF_OBJECT BINARY PROVIDER NAME RUNS\n"
			"       libbpfbench hit BPF_OBJECT PROGRAM BINARY PROVIDER NAME PID\n");
	return 2;
}
