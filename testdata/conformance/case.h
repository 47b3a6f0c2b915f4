/*
 * Print helpers for the USDT conformance cases (see README.md for the
 * protocol). Right after a probe fires, a case prints one line:
 *
 *	emit_begin("provider:name");
 *	EMIT(x); EMIT(y); EMIT_P(p); EMIT_SKIP();
 *	emit_end();
 *
 * EMIT prints an integer, bool, enum, float or double by its type: signed
 * types as %lld of (long long)x, unsigned types as %llu of
 * (unsigned long long)x, float and double as the unsigned integer of
 * their IEEE bits. EMIT_P prints a pointer as %llu of its address.
 * EMIT_SKIP prints "*" (not compared). Pass EMIT the very variable (or
 * constant expression) that was passed to the probe.
 *
 * NOINLINE keeps a function out of line and, with gcc, out of
 * interprocedural constant propagation and cloning (noipa), so that its
 * parameters reach the probe as registers or stack slots. Functions
 * marked NOINLINE are also given external linkage in the cases, which
 * stops clang from promoting pointer parameters to values.
 */
#ifndef CONFORMANCE_CASE_H
#define CONFORMANCE_CASE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__has_attribute)
#if __has_attribute(noipa)
#define NOINLINE __attribute__((noinline, noipa))
#endif
#endif
#ifndef NOINLINE
#define NOINLINE __attribute__((noinline))
#endif

/*
 * Semaphore check as real software does it (dtrace -h's PROVIDER_NAME_ENABLED()):
 * a volatile read, so that the compiler reloads the counter every time.
 */
#define SEMA_ENABLED(provider, name) \
	__builtin_expect(*(volatile unsigned short *)&provider##_##name##_semaphore != 0, 0)

/* Line buffering: each line reaches the runner as soon as it is printed. */
static inline void case_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void emit_begin(const char *probe)
{
	fputs(probe, stdout);
}

static inline void emit_end(void)
{
	putchar('\n');
	fflush(stdout);
}

static inline void emit_s(long long v)
{
	printf(" %lld", v);
}

static inline void emit_u(unsigned long long v)
{
	printf(" %llu", v);
}

static inline void emit_f32(float f)
{
	uint32_t bits;
	memcpy(&bits, &f, sizeof bits);
	emit_u(bits);
}

static inline void emit_f64(double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	emit_u(bits);
}

static inline void emit_ptr(const volatile void *p)
{
	emit_u((unsigned long long)(uintptr_t)p);
}

static inline void emit_skip(void)
{
	fputs(" *", stdout);
}

/* Plain char is signed on x86 and unsigned on most other targets. */
static inline void emit_char(char c)
{
	if ((char)-1 < 0)
		emit_s((long long)c);
	else
		emit_u((unsigned long long)(unsigned char)c);
}

#ifdef __cplusplus

/* C++: overloads. (Enums are left out on purpose: in C++, sys/sdt.h marks
 * every enum unsigned, whatever its values.) */
static inline void emit_val(char v) { emit_char(v); }
static inline void emit_val(signed char v) { emit_s(v); }
static inline void emit_val(short v) { emit_s(v); }
static inline void emit_val(int v) { emit_s(v); }
static inline void emit_val(long v) { emit_s(v); }
static inline void emit_val(long long v) { emit_s(v); }
static inline void emit_val(bool v) { emit_u(v); }
static inline void emit_val(unsigned char v) { emit_u(v); }
static inline void emit_val(unsigned short v) { emit_u(v); }
static inline void emit_val(unsigned int v) { emit_u(v); }
static inline void emit_val(unsigned long v) { emit_u(v); }
static inline void emit_val(unsigned long long v) { emit_u(v); }
static inline void emit_val(float v) { emit_f32(v); }
static inline void emit_val(double v) { emit_f64(v); }

#define EMIT(x) emit_val(x)

#else

/* C: dispatch on the type; a type not listed (a pointer, a struct) does
 * not compile, so use EMIT_P for pointers. An enum selects its
 * compatible integer type (int when it has negative values, else
 * unsigned int, or a 64-bit type for 64-bit enumerators). */
#define EMIT(x) _Generic((x),                                             \
	char: emit_char,                                                  \
	signed char: emit_s,                                              \
	short: emit_s,                                                    \
	int: emit_s,                                                      \
	long: emit_s,                                                     \
	long long: emit_s,                                                \
	_Bool: emit_u,                                                    \
	unsigned char: emit_u,                                            \
	unsigned short: emit_u,                                           \
	unsigned int: emit_u,                                             \
	unsigned long: emit_u,                                            \
	unsigned long long: emit_u,                                       \
	float: emit_f32,                                                  \
	double: emit_f64)(x)

#endif

#define EMIT_P(p) emit_ptr((const volatile void *)(p))
#define EMIT_SKIP() emit_skip()

#endif
