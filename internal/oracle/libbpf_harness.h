// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// libbpf_harness.h — what the C programs that drive libbpf share (the
// oracle, internal/oracle/oracle.c; the libbpf consumer,
// internal/consumer/libbpfc/consumer.c): libbpf's warnings kept for the
// record being printed, and the opening of their BPF object.
#ifndef LIBBPF_HARNESS_H
#define LIBBPF_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

// libbpf's warnings since messages was last emptied (messages[0] = 0):
// its only account of why it rejects a probe. One line: each warning's
// newlines and tabs become spaces, and " | " separates them.
static char messages[8192];

static int collect(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level != LIBBPF_WARN)
		return 0;
	size_t n = strlen(messages);
	// Room for " | ", one character and the NUL, or the warning is
	// dropped.
	if (n + 5 > sizeof(messages))
		return 0;
	if (n > 0) {
		memcpy(messages + n, " | ", 4);
		n += 3;
	}
	vsnprintf(messages + n, sizeof(messages) - n, format, args);
	for (char *p = messages + n; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	n = strlen(messages);
	while (n > 0 && messages[n - 1] == ' ')
		messages[--n] = 0;
	return 0;
}

// open_object sets collect as libbpf's printer, then opens and loads the
// BPF object at path and finds its program prog and its map map; on
// failure it says why on stderr, after "tool: ", and returns NULL.
static struct bpf_object *open_object(const char *tool, const char *path, const char *prog,
				      const char *map, struct bpf_program **progp, struct bpf_map **mapp)
{
	libbpf_set_print(collect);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "%s: open %s: %s: %s\n", tool, path, strerror(errno), messages);
		return NULL;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: load %s: %s: %s\n", tool, path, strerror(errno), messages);
		return NULL;
	}
	*progp = bpf_object__find_program_by_name(obj, prog);
	*mapp = bpf_object__find_map_by_name(obj, map);
	if (!*progp || !*mapp) {
		fprintf(stderr, "%s: %s has no %s program or %s map\n", tool, path, prog, map);
		return NULL;
	}
	return obj;
}

#endif
