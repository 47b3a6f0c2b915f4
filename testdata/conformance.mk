# Conformance cases: programs that fire USDT probes and print what they
# passed (protocol in testdata/conformance/README.md), for the runner in
# conformance/. Included by the top-level Makefile after testdata/probes.mk
# (whose sys/sdt.h copy in $(PROBES_INC) every compile uses), and run from
# the repository root:
#
#	make conformance-cases    build build/conformance/ (git-ignored)
#	make conformance-clean    remove it
#
# Every case testdata/conformance/CASE.c (C) or CASE.cc (C++) is built
# with gcc and clang (g++ and clang++ for C++) at -O0, -O2 and -O3, linked
# as PIE, non-PIE and (gcc only) static:
#
#	build/conformance/CASE-COMPILER-OPT-LINK
#	COMPILER: gcc, clang   OPT: O0, O2, O3   LINK: pie, nopie, static
#
# A case with a file testdata/conformance/libCASE.c is a shared-library
# case: libCASE.c and every libCASE_*.c make
# build/conformance/libCASE-COMPILER-OPT.so, which the executables link
# with rpath $ORIGIN; each executable gets a file
# build/conformance/CASE-COMPILER-OPT-LINK.libs naming its libraries, one
# path a line. Shared-library cases are not built static.
# build/conformance/cases.list names every executable, one a line. All the
# paths in cases.list and the .libs files are relative to the repository
# root, as make writes them.

ifndef PROBES_HEADERS
$(error testdata/conformance.mk needs testdata/probes.mk included first)
endif

# This fragment must not become the including Makefile's default goal.
CONF_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

CONF_SRC := testdata/conformance
CONF_OUT := build/conformance

CONF_CC_gcc ?= gcc
CONF_CC_clang ?= clang
CONF_CXX_gcc ?= g++
CONF_CXX_clang ?= clang++

CONF_CFLAGS ?= -g0 -Wall
CONF_CXXFLAGS ?= -g0 -Wall
CONF_LDFLAGS ?=
CONF_FLAGS_c = $(CONF_CFLAGS) -I$(PROBES_INC)
CONF_FLAGS_cxx = $(CONF_CXXFLAGS) -I$(PROBES_INC)

CONF_COMPILERS := gcc clang
CONF_OPTS := O0 O2 O3
CONF_LINK_pie := -fPIE -pie
CONF_LINK_nopie := -fno-pie -no-pie
CONF_LINK_static := -static
# Shared-library cases find their libraries next to the executable.
CONF_RPATH := '-Wl,-rpath,$$ORIGIN'

# Cases: every CASE.c and CASE.cc that is not a library source (lib*).
CONF_C_CASES := $(sort $(filter-out lib%,$(basename $(notdir $(wildcard $(CONF_SRC)/*.c)))))
CONF_CXX_CASES := $(sort $(filter-out lib%,$(basename $(notdir $(wildcard $(CONF_SRC)/*.cc)))))
CONF_CASES := $(CONF_C_CASES) $(CONF_CXX_CASES)
$(foreach c,$(CONF_C_CASES),$(eval CONF_LANG_$(c) := c)$(eval CONF_MAIN_$(c) := $(CONF_SRC)/$(c).c))
$(foreach c,$(CONF_CXX_CASES),$(eval CONF_LANG_$(c) := cxx)$(eval CONF_MAIN_$(c) := $(CONF_SRC)/$(c).cc))
CONF_DRIVER_c_gcc = $(CONF_CC_gcc)
CONF_DRIVER_c_clang = $(CONF_CC_clang)
CONF_DRIVER_cxx_gcc = $(CONF_CXX_gcc)
CONF_DRIVER_cxx_clang = $(CONF_CXX_clang)

# Shared-library cases and their library sources.
CONF_LIB_CASES := $(foreach c,$(CONF_C_CASES),$(if $(wildcard $(CONF_SRC)/lib$(c).c),$(c)))
$(foreach c,$(CONF_LIB_CASES),$(eval CONF_LIBSRCS_$(c) := $(CONF_SRC)/lib$(c).c $(sort $(wildcard $(CONF_SRC)/lib$(c)_*.c))))

# Every compile depends on all the headers of the directory (case.h and
# the shared-library interfaces) and on this file.
CONF_DEPS := $(wildcard $(CONF_SRC)/*.h) testdata/conformance.mk $(PROBES_SDT_H)

CONF_EXES :=
CONF_LIBS :=
CONF_LIBLISTS :=

# conf_lib CASE COMPILER OPT
define conf_lib
$(CONF_OUT)/lib$(1)-$(2)-$(3).so: $(CONF_LIBSRCS_$(1)) $(CONF_DEPS) | $(PROBES_HEADERS) $(CONF_OUT)
	$$(CONF_CC_$(2)) $$(CONF_FLAGS_c) -$(3) -fPIC -shared -Wl,-soname,lib$(1)-$(2)-$(3).so -o $$@ $(CONF_LIBSRCS_$(1)) $$(CONF_LDFLAGS)
CONF_LIBS += $(CONF_OUT)/lib$(1)-$(2)-$(3).so
endef

# conf_exe CASE COMPILER OPT LINK
define conf_exe
$(CONF_OUT)/$(1)-$(2)-$(3)-$(4): $(CONF_MAIN_$(1)) $(CONF_DEPS) $(if $(CONF_LIBSRCS_$(1)),$(CONF_OUT)/lib$(1)-$(2)-$(3).so) | $(PROBES_HEADERS) $(CONF_OUT)
	$$(CONF_DRIVER_$(CONF_LANG_$(1))_$(2)) $$(CONF_FLAGS_$(CONF_LANG_$(1))) -$(3) $$(CONF_LINK_$(4)) -o $$@ $(CONF_MAIN_$(1)) $(if $(CONF_LIBSRCS_$(1)),$(CONF_OUT)/lib$(1)-$(2)-$(3).so $$(CONF_RPATH)) $$(CONF_LDFLAGS)
CONF_EXES += $(CONF_OUT)/$(1)-$(2)-$(3)-$(4)
endef

# conf_liblist CASE COMPILER OPT LINK
define conf_liblist
$(CONF_OUT)/$(1)-$(2)-$(3)-$(4).libs: testdata/conformance.mk | $(CONF_OUT)
	printf '%s\n' $(CONF_OUT)/lib$(1)-$(2)-$(3).so > $$@.tmp && mv $$@.tmp $$@
CONF_LIBLISTS += $(CONF_OUT)/$(1)-$(2)-$(3)-$(4).libs
endef

$(foreach case,$(CONF_CASES),\
  $(foreach cc,$(CONF_COMPILERS),\
    $(foreach opt,$(CONF_OPTS),\
      $(if $(CONF_LIBSRCS_$(case)),$(eval $(call conf_lib,$(case),$(cc),$(opt))))\
      $(foreach link,pie nopie $(if $(filter gcc,$(cc)),$(if $(CONF_LIBSRCS_$(case)),,static)),\
        $(eval $(call conf_exe,$(case),$(cc),$(opt),$(link)))\
        $(if $(CONF_LIBSRCS_$(case)),$(eval $(call conf_liblist,$(case),$(cc),$(opt),$(link))))))))

.PHONY: conformance-cases conformance-clean
conformance-cases: $(CONF_OUT)/cases.list $(CONF_LIBLISTS)

# Rebuilt when an executable is, when this file changes, or when a case
# is added or removed (the source directory's mtime).
$(CONF_OUT)/cases.list: $(CONF_EXES) testdata/conformance.mk $(CONF_SRC) | $(CONF_OUT)
	@printf '%s\n' $(CONF_EXES) > $@.tmp && mv $@.tmp $@
	@echo "$@: $(words $(CONF_EXES)) executables, $(words $(CONF_LIBS)) shared libraries"

conformance-clean:
	rm -rf $(CONF_OUT)

$(CONF_OUT):
	mkdir -p $@

.DEFAULT_GOAL := $(CONF_SAVED_DEFAULT_GOAL)
