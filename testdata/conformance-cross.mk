# Cross-built conformance cases for QEMU guests: every case of
# testdata/conformance/ built with Debian's gcc/g++ for one architecture,
# to run inside a VM of that architecture. Included by the top-level
# Makefile after testdata/probes.mk and testdata/conformance.mk (whose
# variables it reads: the case list, the sources, the flags with the
# sys/sdt.h copy in $(PROBES_INC)), and run from the repository root:
#
#	make conformance-cases-ARCH     build build/conformance-ARCH/
#	make conformance-cases-cross    all the arches
#	make conformance-clean-ARCH     remove build/conformance-ARCH/
#	make conformance-cross-clean    remove them all
#
#	ARCH      compilers
#	amd64     gcc, g++ (native)
#	arm64     aarch64-linux-gnu-gcc, -g++
#	s390x     s390x-linux-gnu-gcc, -g++
#	riscv64   riscv64-linux-gnu-gcc, -g++
#	ppc64le   powerpc64le-linux-gnu-gcc, -g++
#	i386      i686-linux-gnu-gcc, -g++ (run natively, not in a VM)
#	mips64le  mips64el-linux-gnuabi64-gcc, -g++
#	arm       arm-linux-gnueabihf-gcc, -g++ -marm (armhf: ARMv7, hard float)
#	loong64   loongarch64-linux-gnu-gcc, -g++ (Debian sid's, see below)
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
# s390x: Debian 12's QEMU 7.2 can run a uprobed s390x program into a
# SIGILL when two different uprobed binaries have used the same text page
# (docs: ../shared/reference/qemu-vms.md, pitfall 9). Every s390x static
# executable is therefore linked at an address of its own with
# -Wl,-Ttext-segment: the k-th one (k = 1, 2, ... in the order of
# $(CONF_CASES), then O0 before O2) at (k + 1) * 0x1000000, i.e.
# 0x2000000, 0x3000000, ... (0x1000000, the linker's default, is left to
# other binaries). The numbering is deterministic for a given set of
# cases; adding a case can move the later ones.

ifndef CONF_CASES
$(error testdata/conformance-cross.mk needs testdata/conformance.mk included first)
endif

# This fragment must not become the including Makefile's default goal.
CONFX_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

CONFX_ARCHES := amd64 arm64 s390x riscv64 ppc64le i386 mips64le arm loong64
CONFX_EXTRA_ARCHES :=
CONFX_OPTS := O0 O2

CONFX_TRIPLE_arm64 := aarch64-linux-gnu
CONFX_TRIPLE_s390x := s390x-linux-gnu
CONFX_TRIPLE_riscv64 := riscv64-linux-gnu
CONFX_TRIPLE_ppc64le := powerpc64le-linux-gnu
CONFX_TRIPLE_mips64le := mips64el-linux-gnuabi64
CONFX_TRIPLE_arm := arm-linux-gnueabihf
CONFX_TRIPLE_loong64 := loongarch64-linux-gnu

CONFX_CC_amd64 ?= gcc
CONFX_CXX_amd64 ?= g++
# i386: 32-bit programs, run natively by the x86-64 kernel. Debian's
# i686 cross compiler, not gcc-multilib, which conflicts with every other
# cross compiler; libc6-i386 gives the dynamic case its loader.
CONFX_TRIPLE_i386 := i686-linux-gnu
CONFX_CC_i386 ?= $(CONFX_TRIPLE_i386)-gcc
CONFX_CXX_i386 ?= $(CONFX_TRIPLE_i386)-g++
CONFX_CC_arm64 ?= $(CONFX_TRIPLE_arm64)-gcc
CONFX_CXX_arm64 ?= $(CONFX_TRIPLE_arm64)-g++
CONFX_CC_s390x ?= $(CONFX_TRIPLE_s390x)-gcc
CONFX_CXX_s390x ?= $(CONFX_TRIPLE_s390x)-g++
CONFX_CC_riscv64 ?= $(CONFX_TRIPLE_riscv64)-gcc
CONFX_CXX_riscv64 ?= $(CONFX_TRIPLE_riscv64)-g++
CONFX_CC_ppc64le ?= $(CONFX_TRIPLE_ppc64le)-gcc
CONFX_CXX_ppc64le ?= $(CONFX_TRIPLE_ppc64le)-g++
CONFX_CC_mips64le ?= $(CONFX_TRIPLE_mips64le)-gcc
CONFX_CXX_mips64le ?= $(CONFX_TRIPLE_mips64le)-g++
# arm: A32 code (-marm), not the armhf default Thumb-2: the 32-bit arm
# kernel refuses a uprobe at an address that is not a multiple of 4
# (EINVAL), and at one that is, it writes an A32 breakpoint over Thumb
# code (arch/arm/probes/uprobes decodes A32 only), which crashes the
# traced program.
CONFX_CC_arm ?= $(CONFX_TRIPLE_arm)-gcc -marm
CONFX_CXX_arm ?= $(CONFX_TRIPLE_arm)-g++ -marm
# loong64: bookworm has no loongarch64 cross compiler; Debian sid's
# (gcc-loongarch64-linux-gnu, with libc6-dev-loong64-cross) lives in the
# private sid root that also holds the guest's QEMU (internal/vm/pkg-root.sh, made
# on first use under $(VM_ROOT_DIR)), and runs chrooted there with the
# repository bind-mounted at its own path (internal/vm/root-exec.sh; as root, or
# in a user namespace).
VM_ROOT_DIR ?= .cache/vm/roots
CONFX_ROOT_loong64 := sid
CONFX_CC_loong64 ?= internal/vm/root-exec.sh $(VM_ROOT_DIR)/$(CONFX_ROOT_loong64) $(CONFX_TRIPLE_loong64)-gcc
CONFX_CXX_loong64 ?= internal/vm/root-exec.sh $(VM_ROOT_DIR)/$(CONFX_ROOT_loong64) $(CONFX_TRIPLE_loong64)-g++
# Compiler drivers by language (c, cxx) as conformance.mk names them.
CONFX_DRIVER_c = $(CONFX_CC_$(1))
CONFX_DRIVER_cxx = $(CONFX_CXX_$(1))

# Extra link flags for every cross-built executable and library.
CONFX_LDFLAGS ?=

CONFX_DEPS := $(CONF_DEPS) testdata/conformance-cross.mk

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
# live in a package root (CONFX_ROOT_ARCH) has the root made first.
build/conformance-$(1): $(if $(CONFX_ROOT_$(1)),| $(VM_ROOT_DIR)/$(CONFX_ROOT_$(1))/.pkg-root)
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
$(VM_ROOT_DIR)/%/.pkg-root: internal/vm/pkg-root.sh
	bash internal/vm/pkg-root.sh $* $(VM_ROOT_DIR)

.PHONY: conformance-cases-cross conformance-cross-clean
conformance-cases-cross: $(addprefix conformance-cases-,$(CONFX_ARCHES))
conformance-cross-clean:
	rm -rf $(addprefix build/conformance-,$(CONFX_ARCHES) $(CONFX_EXTRA_ARCHES))

.DEFAULT_GOAL := $(CONFX_SAVED_DEFAULT_GOAL)
