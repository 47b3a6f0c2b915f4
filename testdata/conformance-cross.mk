# Cross-built conformance cases for QEMU guests: every case of
# testdata/conformance/ built with Debian's gcc/g++ for one architecture,
# to run inside a VM of that architecture. Included by the top-level
# Makefile after build/matrix.mk, testdata/probes.mk and
# testdata/conformance.mk (whose variables it reads: the architectures,
# the case list, the sources, the flags with the sys/sdt.h copy in
# $(PROBES_INC)), and run from the repository root:
#
#	make conformance-cases-ARCH     build build/conformance-ARCH/
#	make conformance-cases-cross    all the arches
#	make conformance-clean-ARCH     remove build/conformance-ARCH/
#	make conformance-cross-clean    remove them all
#
# The arches are the rows of the architecture matrix,
# internal/vm/matrix.tsv, as build/matrix.mk gives them: VM_ARCHES and,
# per ARCH, VM_TRIPLE_ARCH, VM_CFLAGS_ARCH and VM_ROOT_ARCH. An arch is
# built with TRIPLE-gcc and TRIPLE-g++ and the row's cflags, or with the
# host's gcc and g++ when it has no triple. When the row names a package
# root (internal/vm/pkg-root.sh, made on first use under $(VM_ROOT_DIR)),
# the root holds the compilers, which run chrooted there with the
# repository bind-mounted at its own path (internal/vm/root-exec.sh; as
# root, or in a user namespace). The table's comments say why a row has
# the values it has (arm's -marm, loong64's root). CONFX_CC_ARCH and
# CONFX_CXX_ARCH override an arch's compilers.
#
# (internal/vm/install-tools.sh installs them.) Each case is built at -O0 and -O2,
# linked static, except the shared-library cases (those with a
# testdata/conformance/libCASE.c), which are linked PIE with their
# library next to them (rpath $ORIGIN), as in build/conformance/:
#
#	build/conformance-ARCH/CASE-gcc-OPT-static     OPT: O0, O2
#	build/conformance-ARCH/CASE-gcc-OPT-pie        (shared-library cases)
#	build/conformance-ARCH/libCASE-gcc-OPT.so
#	build/conformance-ARCH/CASE-gcc-OPT-pie.libs   its libraries, one a line
#	build/conformance-ARCH/cases.list              every executable, one a line
#
# C++ cases keep the compiler family name (templates-gcc-O2-static is
# built by g++). All paths in cases.list and the .libs files are relative
# to the repository root.
#
# s390x: under Debian 12's QEMU 7.2, a uprobed s390x program can die of
# SIGILL when another uprobed binary has used the same text page before
# it. Every s390x static executable is therefore linked at an address of
# its own with -Wl,-Ttext-segment: the k-th one (k = 1, 2, ... in the order of
# $(CONF_CASES), then O0 before O2) at (k + 1) * 0x1000000, i.e.
# 0x2000000, 0x3000000, ... (0x1000000, the linker's default, is left to
# other binaries). The numbering is deterministic for a given set of
# cases; adding a case can move the later ones.

ifndef CONF_CASES
$(error testdata/conformance-cross.mk needs testdata/conformance.mk included first)
endif

# This fragment must not become the including Makefile's default goal.
CONFX_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

CONFX_ARCHES := $(VM_ARCHES)
CONFX_EXTRA_ARCHES :=
CONFX_OPTS := O0 O2

VM_ROOT_DIR ?= $(or $(USDTSPEC_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/usdtspec)/vm/roots
# confx_compiler ARCH DRIVER: the command that compiles for ARCH with
# DRIVER (gcc or g++): TRIPLE-DRIVER, or the host's DRIVER when the row
# has no triple, run in the row's package root when it has one, with the
# row's flags.
confx_compiler = $(if $(VM_ROOT_$(1)),internal/vm/root-exec.sh $(VM_ROOT_DIR)/$(VM_ROOT_$(1)) )$(if $(VM_TRIPLE_$(1)),$(VM_TRIPLE_$(1))-)$(2)$(if $(VM_CFLAGS_$(1)), $(VM_CFLAGS_$(1)))
$(foreach arch,$(CONFX_ARCHES),\
  $(if $(filter undefined default,$(origin CONFX_CC_$(arch))),$(eval CONFX_CC_$(arch) = $$(call confx_compiler,$(arch),gcc)))\
  $(if $(filter undefined default,$(origin CONFX_CXX_$(arch))),$(eval CONFX_CXX_$(arch) = $$(call confx_compiler,$(arch),g++))))
# Compiler drivers by language (c, cxx) as conformance.mk names them.
CONFX_DRIVER_c = $(CONFX_CC_$(1))
CONFX_DRIVER_cxx = $(CONFX_CXX_$(1))

# Extra link flags for every cross-built executable and library.
CONFX_LDFLAGS ?=

# (The table too: a row's triple, flags or root name its compilers.)
CONFX_DEPS := $(CONF_DEPS) testdata/conformance-cross.mk internal/vm/matrix.tsv

# s390x text addresses: slot k is "0x<two hex digits>000000", from
# 0x02000000 to 0xff000000 (254 slots).
CONFX_HEXDIGITS := 0 1 2 3 4 5 6 7 8 9 a b c d e f
CONFX_S390X_SLOTS := $(wordlist 3,256,$(foreach a,$(CONFX_HEXDIGITS),$(foreach b,$(CONFX_HEXDIGITS),$(a)$(b))))
# One word per s390x static executable defined so far.
CONFX_S390X_COUNT :=

# confx_text ARCH LINK: the -Ttext-segment flag of the next executable
# (s390x static only; empty elsewhere). Expanded inside $(eval), after
# CONFX_S390X_COUNT has grown by one word for this executable.
confx_text = $(if $(and $(filter s390x,$(1)),$(filter static,$(2))),-Wl$(CONFX_COMMA)-Ttext-segment=0x$(word $(words $(CONFX_S390X_COUNT)),$(CONFX_S390X_SLOTS))000000)
CONFX_COMMA := ,

# confx_lib ARCH CASE OPT
define confx_lib
build/conformance-$(1)/lib$(2)-gcc-$(3).so: $(CONF_LIBSRCS_$(2)) $(CONFX_DEPS) | $(PROBES_HEADERS) build/conformance-$(1)
	$$(CONFX_CC_$(1)) $$(CONF_FLAGS_c) -$(3) -fPIC -shared -Wl,-soname,lib$(2)-gcc-$(3).so -o $$@ $(CONF_LIBSRCS_$(2)) $$(CONF_LDFLAGS) $$(CONFX_LDFLAGS)
CONFX_LIBS_$(1) += build/conformance-$(1)/lib$(2)-gcc-$(3).so
endef

# confx_exe ARCH CASE OPT LINK TEXTFLAG
define confx_exe
build/conformance-$(1)/$(2)-gcc-$(3)-$(4): $(CONF_MAIN_$(2)) $(CONFX_DEPS) $(if $(CONF_LIBSRCS_$(2)),build/conformance-$(1)/lib$(2)-gcc-$(3).so) | $(PROBES_HEADERS) build/conformance-$(1)
	$$(call CONFX_DRIVER_$(CONF_LANG_$(2)),$(1)) $$(CONF_FLAGS_$(CONF_LANG_$(2))) -$(3) $$(CONF_LINK_$(4)) $(5) -o $$@ $(CONF_MAIN_$(2)) $(if $(CONF_LIBSRCS_$(2)),build/conformance-$(1)/lib$(2)-gcc-$(3).so $$(CONF_RPATH)) $$(CONF_LDFLAGS) $$(CONFX_LDFLAGS)
CONFX_EXES_$(1) += build/conformance-$(1)/$(2)-gcc-$(3)-$(4)
endef

# confx_liblist ARCH CASE OPT LINK
define confx_liblist
build/conformance-$(1)/$(2)-gcc-$(3)-$(4).libs: testdata/conformance-cross.mk | build/conformance-$(1)
	printf '%s\n' build/conformance-$(1)/lib$(2)-gcc-$(3).so > $$@.tmp && mv $$@.tmp $$@
CONFX_LIBLISTS_$(1) += build/conformance-$(1)/$(2)-gcc-$(3)-$(4).libs
endef

# confx_arch ARCH: the per-arch targets; evaluated after the executables
# are defined, since prerequisite lists are expanded when read.
define confx_arch
.PHONY: conformance-cases-$(1) conformance-clean-$(1)
conformance-cases-$(1): build/conformance-$(1)/cases.list $(CONFX_LIBLISTS_$(1))

conformance-clean-$(1):
	rm -rf build/conformance-$(1)

# Rebuilt when an executable is, when this file changes, or when a case
# is added or removed (the source directory's mtime).
build/conformance-$(1)/cases.list: $(CONFX_EXES_$(1)) testdata/conformance-cross.mk $(CONF_SRC) | build/conformance-$(1)
	@printf '%s\n' $(CONFX_EXES_$(1)) > $$@.tmp && mv $$@.tmp $$@
	@echo "$$@: $(words $(CONFX_EXES_$(1))) executables, $(words $(CONFX_LIBS_$(1))) shared libraries"

# The directory rule checks that the compilers are there, so that a
# missing cross compiler fails once, with a hint; an arch whose compilers
# live in a package root (VM_ROOT_ARCH) has the root made first.
build/conformance-$(1): $(if $(VM_ROOT_$(1)),| $(VM_ROOT_DIR)/$(VM_ROOT_$(1))/.pkg-root)
	@command -v $$(firstword $$(CONFX_CC_$(1))) >/dev/null && command -v $$(firstword $$(CONFX_CXX_$(1))) >/dev/null || \
	  { echo "conformance-cases-$(1): $$(firstword $$(CONFX_CC_$(1))) or $$(firstword $$(CONFX_CXX_$(1))) not found: run internal/vm/install-tools.sh" >&2; exit 1; }
	mkdir -p $$@
endef

$(foreach arch,$(CONFX_ARCHES) $(CONFX_EXTRA_ARCHES),\
  $(eval CONFX_EXES_$(arch) :=)\
  $(eval CONFX_LIBS_$(arch) :=)\
  $(eval CONFX_LIBLISTS_$(arch) :=))

$(foreach arch,$(CONFX_ARCHES) $(CONFX_EXTRA_ARCHES),\
  $(foreach case,$(CONF_CASES),\
    $(foreach opt,$(CONFX_OPTS),\
      $(if $(CONF_LIBSRCS_$(case)),\
        $(eval $(call confx_lib,$(arch),$(case),$(opt)))\
        $(eval $(call confx_exe,$(arch),$(case),$(opt),pie,))\
        $(eval $(call confx_liblist,$(arch),$(case),$(opt),pie)),\
        $(if $(filter s390x,$(arch)),$(eval CONFX_S390X_COUNT += x))\
        $(eval $(call confx_exe,$(arch),$(case),$(opt),static,$(call confx_text,$(arch),static)))))))

ifneq ($(words $(CONFX_S390X_COUNT)),$(words $(wordlist 1,$(words $(CONFX_S390X_COUNT)),$(CONFX_S390X_SLOTS))))
$(error testdata/conformance-cross.mk: more s390x static executables ($(words $(CONFX_S390X_COUNT))) than text-address slots ($(words $(CONFX_S390X_SLOTS))))
endif

$(foreach arch,$(CONFX_ARCHES) $(CONFX_EXTRA_ARCHES),$(eval $(call confx_arch,$(arch))))

# A package root (the stamp is written last, see internal/vm/pkg-root.sh).
$(VM_ROOT_DIR)/%/.pkg-root: internal/vm/pkg-root.sh internal/vm/matrix.tsv
	bash internal/vm/pkg-root.sh $* $(VM_ROOT_DIR)

.PHONY: conformance-cases-cross conformance-cross-clean
conformance-cases-cross: $(addprefix conformance-cases-,$(CONFX_ARCHES))
conformance-cross-clean:
	rm -rf $(addprefix build/conformance-,$(CONFX_ARCHES) $(CONFX_EXTRA_ARCHES))

.DEFAULT_GOAL := $(CONFX_SAVED_DEFAULT_GOAL)
