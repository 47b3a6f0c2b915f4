/*
 * Case templates (C++): one probe in a function template, instantiated
 * for int8_t, uint16_t, int64_t and double, so cxx:tmpl has one call site
 * per instantiation with a different argument string each (-1@, 2@, -8@,
 * 8f@); a class template whose member function fires cxx:member with
 * fields read through this; and a two-parameter template.
 */
#include <cstdint>
#include <sys/sdt.h>

#include "case.h"

volatile int8_t v8 = -128;
volatile uint16_t v16 = 65535;
volatile int64_t v64 = INT64_MIN + 3;
volatile double vd = -1.0 / 3.0;
volatile long vseed = 9;

template <typename T>
NOINLINE void fire(T v)
{
	STAP_PROBE1(cxx, tmpl, v);
	emit_begin("cxx:tmpl");
	EMIT(v);
	emit_end();
}

template <typename A, typename B>
NOINLINE void fire2(A a, B b)
{
	STAP_PROBE2(cxx, tmpl2, a, b);
	emit_begin("cxx:tmpl2");
	EMIT(a);
	EMIT(b);
	emit_end();
}

template <typename T>
struct box {
	T first;
	T second;
	int32_t tag;

	NOINLINE void fire() const
	{
		STAP_PROBE3(cxx, member, first, second, tag);
		emit_begin("cxx:member");
		EMIT(first);
		EMIT(second);
		EMIT(tag);
		emit_end();
	}
};

int main()
{
	case_init();
	fire<int8_t>(v8);
	fire<uint16_t>(v16);
	fire<int64_t>(v64);
	fire<double>(vd);
	fire<int8_t>(static_cast<int8_t>(v8 + 1));

	fire2<int16_t, uint32_t>(static_cast<int16_t>(-vseed), static_cast<uint32_t>(vseed) << 28);
	fire2<uint8_t, int64_t>(static_cast<uint8_t>(vseed + 240), -vseed * 100000000000LL);

	box<int16_t> b16 = {static_cast<int16_t>(-vseed * 1000), static_cast<int16_t>(vseed), -1};
	box<uint64_t> b64 = {UINT64_MAX - static_cast<uint64_t>(vseed), static_cast<uint64_t>(vseed) << 63, 7};
	b16.fire();
	b64.fire();
	return 0;
}
