//go:build ignore

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// libbpfbench — libbpf 1.7's side of `make bench` (internal/bench): the
// same measurements as usdtspec's, made through libbpf's own USDT support.
//
// usage: libbpfbench attach BPF_OBJECT BINARY PROVIDER NAME RUNS
//        libbpfbench hit BPF_OBJECT PROGRAM BINARY PROVIDER NAME PID
//        libbpfbench process BPF_OBJECT PID RUNS LIST
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
// "hits N A0 ... A11 RUN_TIME_NS RUN_CNT XLATED JITED" (the program's out
// variable: hits, last arguments; then the kernel's statistics of the
// program, which count only while BPF_ENABLE_STATS is on, e.g. in the
// bench; then the sizes in bytes of its BPF and machine code) and detaches.
//
// process: the whole-process attach. LIST is a file of lines "PATH
// PROVIDER NAME", one per probe of every file process PID maps (the bench
// writes it); each of RUNS runs attaches the empty program to each with
// bpf_program__attach_usdt(empty, PID, PATH, PROVIDER, NAME), timed as a
// whole, then destroys every link, timed likewise. Prints how libbpf
// attached after the first run ("links ..." as for attach), then "run
// ATTACH_NS DETACH_NS ATTACH_CPU_NS DETACH_CPU_NS" per run (the CPU
// times: this process's user and system time, getrusage).
//
// Needs root (or CAP_BPF + CAP_PERFMON). Exit status 1 on any error.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
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

// The pause before each whole-process run: a detach leaves the kernel's
// rcu_sync of dup_mmap_sem active for a grace period or so, and an attach
// right after it skips the grace period that the first uprobe registration
// of a kernel at rest waits for. The bench's usdtspec side pauses as long.
#define PROCESS_PAUSE_US 100000

// cpu: this process's CPU time so far (user and system), ns.
static long long cpu(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL +
	       (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
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
		printf(" %llu %llu %u %u\n", (unsigned long long)info.run_time_ns, (unsigned long long)info.run_cnt,
		       info.xlated_prog_len, info.jited_prog_len);
		bpf_link__destroy(l);
		bpf_object__close(obj);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "process")) {
		struct bpf_object *obj = load(argv[2]);
		struct bpf_program *prog = program(obj, "empty");
		int pid = atoi(argv[3]), runs = atoi(argv[4]);
		FILE *list = fopen(argv[5], "r");
		if (!list)
			die(argv[5], errno);
		char (*path)[4096] = NULL, (*prov)[256] = NULL, (*name)[256] = NULL;
		int n = 0, cap = 0;
		for (;;) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				path = realloc(path, cap * sizeof(*path));
				prov = realloc(prov, cap * sizeof(*prov));
				name = realloc(name, cap * sizeof(*name));
				if (!path || !prov || !name)
					die("realloc", ENOMEM);
			}
			if (fscanf(list, "%4095s %255s %255s", path[n], prov[n], name[n]) != 3)
				break;
			n++;
		}
		fclose(list);
		struct bpf_link **links = calloc(n ? n : 1, sizeof(*links));
		if (!links)
			die("calloc", ENOMEM);
		for (int r = 0; r < runs; r++) {
			// As the bench's side does: start each run from a kernel
			// at rest (see PROCESS_PAUSE_US).
			usleep(PROCESS_PAUSE_US);
			long long c0 = cpu(), t0 = now();
			for (int i = 0; i < n; i++) {
				links[i] = bpf_program__attach_usdt(prog, pid, path[i], prov[i], name[i], NULL);
				int err = libbpf_get_error(links[i]);
				if (err) {
					fprintf(stderr, "libbpfbench: %s %s:%s: ", path[i], prov[i], name[i]);
					die("bpf_program__attach_usdt", err);
				}
			}
			long long t1 = now(), c1 = cpu();
			if (r == 0)
				describe(bpf_program__fd(prog));
			long long c2 = cpu(), t2 = now();
			for (int i = 0; i < n; i++)
				bpf_link__destroy(links[i]);
			long long t3 = now(), c3 = cpu();
			printf("run %lld %lld %lld %lld\n", t1 - t0, t3 - t2, c1 - c0, c3 - c2);
			fflush(stdout);
		}
		bpf_object__close(obj);
		return 0;
	}
	fprintf(stderr, "usage: libbpfbench attach BPF_OBJECT BINARY PROVIDER NAME RUNS\n"
			"       libbpfbench hit BPF_OBJECT PROGRAM BINARY PROVIDER NAME PID\n"
			"       libbpfbench process BPF_OBJECT PID RUNS LIST\n");
	return 2;
}
