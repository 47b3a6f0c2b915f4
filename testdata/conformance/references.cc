/*
 * Case references (C++): arguments that are references, so the probe
 * reads through the reference's pointer: (%rdi), (%rsi), 8(%rdx) at -O2;
 * const T& of several widths, a non-const int& the function then
 * modifies (the probe sees the value before), a reference to a struct
 * field, and a range-for over a vector of references.
 */
#include <cstdint>
#include <vector>
#include <sys/sdt.h>

#include "case.h"

struct point {
	int32_t x;
	int64_t y;
	uint16_t z;
};

volatile long vseed = 6;

NOINLINE void refs(const int8_t &a, const uint16_t &b, const int32_t &c, const int64_t &d,
		   const uint64_t &e, int &f)
{
	STAP_PROBE6(cxx, refs, a, b, c, d, e, f);
	emit_begin("cxx:refs");
	EMIT(a);
	EMIT(b);
	EMIT(c);
	EMIT(d);
	EMIT(e);
	EMIT(f);
	emit_end();
	f = f * 2 + 1;
}

NOINLINE void point_ref(const point &p, const int64_t &y)
{
	STAP_PROBE4(cxx, point_ref, p.x, p.y, p.z, y);
	emit_begin("cxx:point_ref");
	EMIT(p.x);
	EMIT(p.y);
	EMIT(p.z);
	EMIT(y);
	emit_end();
}

NOINLINE long each(const std::vector<int32_t> &v)
{
	long sum = 0;
	for (const int32_t &x : v) {
		STAP_PROBE2(cxx, each, x, sum);
		emit_begin("cxx:each");
		EMIT(x);
		EMIT(sum);
		emit_end();
		sum += x;
	}
	return sum;
}

int main()
{
	long n = vseed;
	int8_t a = static_cast<int8_t>(-n * 20);
	uint16_t b = static_cast<uint16_t>(65535 - n);
	int32_t c = static_cast<int32_t>(n * -300000000);
	int64_t d = INT64_MIN + n;
	uint64_t e = UINT64_MAX - static_cast<uint64_t>(n);
	int f = static_cast<int>(-n);
	point p = {static_cast<int32_t>(-n), n << 50, static_cast<uint16_t>(n + 40000)};
	std::vector<int32_t> v = {static_cast<int32_t>(n), -1, INT32_MIN, INT32_MAX};

	case_init();
	refs(a, b, c, d, e, f);
	refs(a, b, c, d, e, f); /* f was changed by the first call */
	point_ref(p, p.y);
	long sum = each(v);
	STAP_PROBE1(cxx, sum, sum);
	emit_begin("cxx:sum");
	EMIT(sum);
	emit_end();
	return 0;
}
