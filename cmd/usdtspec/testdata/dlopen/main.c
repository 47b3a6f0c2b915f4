/* A program that loads a library with probes only when told to: with
 * "wait", after a line on stdin (a tracer attached to its PID says go).
 * It then calls the library, whose probes print what they passed, in the
 * conformance cases' protocol: "provider:name value...". */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char buf[16];
	void *lib;
	void (*fire)(long);

	if (argc < 2)
		return 2;
	if (argc > 2 && strcmp(argv[2], "wait") == 0 && !fgets(buf, sizeof(buf), stdin))
		return 3;
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	fire = (void (*)(long))dlsym(lib, "fire");
	if (!fire)
		return 1;
	for (long i = 0; i < 5; i++)
		fire(i * 1000 - 2);
	dlclose(lib);
	return 0;
}
