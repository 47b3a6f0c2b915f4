/*
 * Case shlib: probes in a shared library, with and without semaphores.
 *
 * The executable (shlib.c, plain probes shlib_main:*) links
 * libshlib-COMPILER-OPT.so from libshlib.c (plain probes shlib:plain,
 * shlib:plain_index) and libshlib_sema.c (shlib:guarded and
 * shlib:guarded_zero, guarded by semaphores in the library), found next
 * to the executable through its rpath $ORIGIN. The runner attaches to the
 * executable and to the libraries named in CASE.libs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/sdt.h>

#include "case.h"
#include "shlib.h"

volatile long vseed = 4;

int main(int argc, char **argv)
{
	long n = vseed;
	long *v = malloc(8 * sizeof *v);
	struct shlib_rec rec = {(int32_t)-n, n << 40, (uint16_t)(65000 + n)};
	long total, y;

	case_init();
	for (int k = 0; k < 8; k++)
		v[k] = (k - 4) * n * 1000;

	STAP_PROBE2(shlib_main, start, n, argc);
	emit_begin("shlib_main:start");
	EMIT(n);
	EMIT(argc);
	emit_end();

	total = shlib_plain((int)n, v, n - 1);
	y = shlib_guarded(&rec, total);
	y += shlib_guarded(&rec, -n);
	shlib_got();

	STAP_PROBE2(shlib_main, end, total, y);
	emit_begin("shlib_main:end");
	EMIT(total);
	EMIT(y);
	emit_end();
	free(v);
	return 0;
}
