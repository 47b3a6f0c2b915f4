/* The library main.c loads: its constructor fires a probe before any
 * other code of it runs, so a tracer that attaches late misses it. */
#include <sys/sdt.h>
#include <stdio.h>

__attribute__((constructor)) static void init(void)
{
	STAP_PROBE1(dl, init, 42);
	printf("dl:init 42\n");
	fflush(stdout);
}

void fire(long v)
{
	int third = (int)(v / 3);
	unsigned char low = (unsigned char)v;

	STAP_PROBE3(dl, fire, v, third, low);
	printf("dl:fire %ld %d %u\n", v, third, (unsigned)low);
	fflush(stdout);
}
