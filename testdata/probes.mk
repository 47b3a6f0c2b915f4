# Probe test binaries: ELF files with .note.stapsdt notes from real
# compilers, for the tests. Included by the top-level Makefile
# (include testdata/probes.mk) and run from the repository root:
#
#	make probes        build testdata/bin/ (checked in; rebuild on purpose)
#	make probes-clean  remove testdata/bin/ and the build include dir
#
# For each of amd64, arm64 and s390x, with gcc and clang:
#	probes-ARCH-CC-O0-pie     -O0 PIE executable
#	probes-ARCH-CC-O2-pie     -O2 PIE executable
#	probes-ARCH-CC-O3-nopie   -O3 non-PIE executable
# and with gcc only:
#	probes-ARCH-gcc-O2-static static executable
#	libprobes-ARCH-gcc-O2.so  shared library (testdata/src/lib.c)
# and for amd64 and i386 (Debian's i686 cross compiler):
#	nopcombo-ARCH-gcc-O2-pie  call sites on sys/sdt.h's nop, nop; nop5 and
#	                          nop; nop10 (testdata/src/nopcombo.c), which
#	                          the usdt tests also run
#
# Cross compilers do not search /usr/include, so sys/sdt.h and
# sys/sdt-config.h are copied into $(PROBES_INC) (under the git-ignored
# build/) and every compile gets -I for it. Nothing is stripped (the notes
# are not allocated and survive strip anyway); -g0, no build id and
# -ffile-prefix-map keep the files small and the builds repeatable.

# This fragment must not become the including Makefile's default goal.
PROBES_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

PROBES_SRC := testdata/src
PROBES_BIN := testdata/bin
PROBES_INC := build/include

# Where systemtap-sdt-dev put the header (/usr/include/sys on most
# distributions, /usr/include/<triplet>/sys on Debian multiarch).
PROBES_SDT_H ?= $(firstword $(wildcard /usr/include/sys/sdt.h /usr/include/*/sys/sdt.h))

PROBES_ARCHES := amd64 arm64 s390x
PROBES_CCS := gcc clang

PROBES_CC_amd64_gcc ?= gcc
PROBES_CC_amd64_clang ?= clang --target=x86_64-linux-gnu
PROBES_CC_arm64_gcc ?= aarch64-linux-gnu-gcc
PROBES_CC_arm64_clang ?= clang --target=aarch64-linux-gnu
PROBES_CC_s390x_gcc ?= s390x-linux-gnu-gcc
PROBES_CC_s390x_clang ?= clang --target=s390x-linux-gnu

PROBES_CFLAGS ?= -g0 -Wall -fno-ident
PROBES_CFLAGS_ALL = $(PROBES_CFLAGS) -I$(PROBES_INC) -ffile-prefix-map=$(CURDIR)/=
PROBES_LDFLAGS ?= -Wl,--build-id=none

# Build modes: name => flags.
PROBES_MODES := O0-pie O2-pie O3-nopie
PROBES_MODE_O0-pie := -O0 -fPIE -pie
PROBES_MODE_O2-pie := -O2 -fPIE -pie
PROBES_MODE_O3-nopie := -O3 -fno-pie -no-pie
PROBES_MODE_O2-static := -O2 -static

PROBES_EXE_SRCS := $(PROBES_SRC)/probes.c $(PROBES_SRC)/sema.c
# The copies are order-only prerequisites (a fresh build/ does not make
# the checked-in binaries stale); the system header is a real one.
PROBES_HEADERS := $(PROBES_INC)/sys/sdt.h $(PROBES_INC)/sys/sdt-config.h

PROBES_ALL :=

# probes_exe ARCH CC MODE
define probes_exe
$(PROBES_BIN)/probes-$(1)-$(2)-$(3): $(PROBES_EXE_SRCS) $(PROBES_SDT_H) testdata/probes.mk | $(PROBES_HEADERS) $(PROBES_BIN)
	$$(PROBES_CC_$(1)_$(2)) $$(PROBES_CFLAGS_ALL) $$(PROBES_MODE_$(3)) -o $$@ $(PROBES_EXE_SRCS) $$(PROBES_LDFLAGS)
PROBES_ALL += $(PROBES_BIN)/probes-$(1)-$(2)-$(3)
endef

# probes_lib ARCH
define probes_lib
$(PROBES_BIN)/libprobes-$(1)-gcc-O2.so: $(PROBES_SRC)/lib.c $(PROBES_SDT_H) testdata/probes.mk | $(PROBES_HEADERS) $(PROBES_BIN)
	$$(PROBES_CC_$(1)_gcc) $$(PROBES_CFLAGS_ALL) -O2 -fPIC -shared -Wl,-soname,libprobes.so -o $$@ $(PROBES_SRC)/lib.c $$(PROBES_LDFLAGS)
PROBES_ALL += $(PROBES_BIN)/libprobes-$(1)-gcc-O2.so
endef

PROBES_CC_i386_gcc ?= i686-linux-gnu-gcc

# probes_nopcombo ARCH
define probes_nopcombo
$(PROBES_BIN)/nopcombo-$(1)-gcc-O2-pie: $(PROBES_SRC)/nopcombo.c $(PROBES_SDT_H) testdata/probes.mk | $(PROBES_HEADERS) $(PROBES_BIN)
	$$(PROBES_CC_$(1)_gcc) $$(PROBES_CFLAGS_ALL) $$(PROBES_MODE_O2-pie) -o $$@ $(PROBES_SRC)/nopcombo.c $$(PROBES_LDFLAGS)
PROBES_ALL += $(PROBES_BIN)/nopcombo-$(1)-gcc-O2-pie
endef

$(foreach a,amd64 i386,$(eval $(call probes_nopcombo,$(a))))

$(foreach a,$(PROBES_ARCHES),\
  $(foreach c,$(PROBES_CCS),\
    $(foreach m,$(PROBES_MODES),\
      $(eval $(call probes_exe,$(a),$(c),$(m)))))\
  $(eval $(call probes_exe,$(a),gcc,O2-static))\
  $(eval $(call probes_lib,$(a))))

.PHONY: probes probes-clean
probes: $(PROBES_ALL)

probes-clean:
	rm -rf $(PROBES_BIN) $(PROBES_INC)

$(PROBES_BIN) $(PROBES_INC)/sys:
	mkdir -p $@

$(PROBES_INC)/sys/sdt.h: $(PROBES_SDT_H) | $(PROBES_INC)/sys
	@test -n "$(PROBES_SDT_H)" || { echo "sys/sdt.h not found: install systemtap-sdt-dev (or set PROBES_SDT_H)" >&2; exit 1; }
	cp $(PROBES_SDT_H) $@

$(PROBES_INC)/sys/sdt-config.h: $(PROBES_SDT_H) | $(PROBES_INC)/sys
	@test -n "$(PROBES_SDT_H)" || { echo "sys/sdt.h not found: install systemtap-sdt-dev (or set PROBES_SDT_H)" >&2; exit 1; }
	cp $(dir $(PROBES_SDT_H))sdt-config.h $@

.DEFAULT_GOAL := $(PROBES_SAVED_DEFAULT_GOAL)
