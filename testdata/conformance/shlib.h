/*
 * Interface of the shared library of case shlib (libshlib.c and
 * libshlib_sema.c, built as libshlib-COMPILER-OPT.so).
 */
#ifndef CONFORMANCE_SHLIB_H
#define CONFORMANCE_SHLIB_H

#include <stdint.h>

struct shlib_rec {
	int32_t id;
	int64_t total;
	uint16_t flags;
};

/* Plain probes (no semaphore): shlib:plain, shlib:plain_index. */
long shlib_plain(int n, const long *v, long i);

/* Probes guarded by semaphores in the library's .probes:
 * shlib:guarded, shlib:guarded_zero. */
long shlib_guarded(const struct shlib_rec *r, long x);

/* A global reached through the GOT (libshlib_got.c): shlib:got_address,
 * shlib:got_value. */
extern int shlib_global;
int *shlib_global_address(void);
void shlib_got(void);

#endif
