# usdtspec — see README.md. `make run` is the main job, `make test` the tests.
GO        ?= go
BIN       := bin/usdtspec
# Everything slow to fetch or build is cached outside the clone, under one
# folder that every clone on this machine shares (env-overridable; made
# absolute, exported for the scripts and the Go tests): the Debian corpus
# (corpus/), guest kernels (vm/kernels/), private package roots
# (vm/roots/), the oracle's libbpf builds (oracle/), bpftrace's sid root
# (bpftrace/).
USDTSPEC_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/usdtspec
override USDTSPEC_CACHE := $(abspath $(USDTSPEC_CACHE))
export USDTSPEC_CACHE
# The real-world corpus (make corpus FETCH_SH=PATH/fetch.sh).
CORPUS_DIR ?= $(USDTSPEC_CACHE)/corpus
export CORPUS_DIR
LIBSTDCXX := $(firstword $(wildcard /usr/lib/*-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6))
PROBE_BINS := $(sort $(wildcard testdata/bin/*))
FUZZTIME  ?= 15s
# make test runs every fuzz target this long (make fuzz: FUZZTIME).
CI_FUZZTIME ?= 5s

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
BPF_TARGET_ARCH := $(or $(if $(findstring x86_64,$(MULTIARCH)),x86),$(if $(findstring aarch64,$(MULTIARCH)),arm64),$(if $(findstring s390x,$(MULTIARCH)),s390),unknown)
CASES     := build/conformance/cases.list

# QEMU guests: one per row of internal/vm/matrix.tsv, the table of the
# guest architectures. build/matrix.mk, generated from it (rule below),
# gives VM_ARCHES, VM_MATRIX (every arch:kernel; overridable), the
# guests' GOARCHes VM_GOARCHES, per arch VM_GOARCH_ARCH, VM_TRIPLE_ARCH,
# VM_CFLAGS_ARCH and VM_ROOT_ARCH, and the corpus's Debian architectures
# VM_CORPUS_DEBIAN. An arch's cross-built cases are build/conformance-ARCH/.
MATRIX_MK := build/matrix.mk
# Not for `make clean` or `make deps` alone: generating it needs Go, which
# a fresh machine's `sudo make deps` may not have yet.
ifneq ($(if $(MAKECMDGOALS),$(filter-out clean deps,$(MAKECMDGOALS)),all),)
include $(MATRIX_MK)
endif
ARCH      ?= arm64
VM_CASES  := build/conformance-{arch}/cases.list
KERNEL_DIR := $(USDTSPEC_CACHE)/vm/kernels
# Private roots of a newer Debian suite's packages (internal/vm/pkg-root.sh), for
# the guests whose QEMU or cross compiler the host's suite lacks (loong64:
# sid's QEMU and loongarch64 gcc); made on first use.
VM_ROOT_DIR := $(USDTSPEC_CACHE)/vm/roots

.PHONY: all deps build run test vet fuzz bench corpus generate conformance oracle oracle-harness clean \
	vm-init vm-tools conformance-vm conformance-matrix FORCE

all: build

# The Debian packages the build and the tests need (internal/setup/deps.sh:
# installs what is missing as root, says `sudo make deps` otherwise; quiet
# when nothing is), then the Go modules (not under sudo: the modules are
# the user's, and a later build fetches them).
deps:
	@bash internal/setup/deps.sh
	@if [ "$$(id -u)" = 0 ] && [ -n "$${SUDO_USER:-}" ]; then :; \
	elif ! command -v $(GO) >/dev/null; then \
	  echo "deps: $(GO) not found: install Go $$(sed -n 's/^go //p' go.mod) or newer (https://go.dev/dl/)" >&2; exit 1; \
	else $(GO) mod download; fi

build:
	$(GO) build -o $(BIN) ./cmd/usdtspec

# The main job: dump the probes of the bundled test binaries and of this
# machine's libstdc++, then run the native conformance suite.
run: deps build
	$(BIN) dump $(PROBE_BINS) $(LIBSTDCXX)
	$(MAKE) --no-print-directory conformance

# Rebuild the committed BPF objects (bpf2go, clang).
generate:
	MULTIARCH=$(MULTIARCH) $(GO) generate ./...

# Build every case in testdata/conformance and run them all natively:
# as x86-64 programs, and as 32-bit ones (i686 gcc) on this x86-64 kernel
# when it runs 32-bit programs at all.
conformance: build conformance-cases conformance-cases-i386
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "conformance: skipped: loading BPF and attaching uprobes needs root"; \
	else \
	  $(BIN) conform --cases $(CASES) && \
	  if build/conformance-i386/arity-gcc-O0-static >/dev/null 2>&1; then \
	    $(BIN) conform --cases build/conformance-i386/cases.list; \
	  else \
	    echo "conformance (i386, native): skipped: this kernel does not run 32-bit programs (IA-32 emulation off, exec gives ENOEXEC); the i386 rows of the VM matrix run them under Debian's x86-64 kernels"; \
	  fi; \
	fi

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

test: deps vet oracle-harness
	$(GO) test ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(CI_FUZZTIME)
	$(MAKE) --no-print-directory conformance
	$(MAKE) --no-print-directory oracle
	$(MAKE) --no-print-directory peer
	$(MAKE) --no-print-directory consumers
	@if command -v qemu-system-aarch64 >/dev/null; then \
	  $(MAKE) --no-print-directory conformance-matrix; \
	else \
	  echo "conformance-matrix: skipped: no QEMU (bash internal/vm/install-tools.sh installs it)"; \
	fi

# The guests' /init (internal/vm/guestinit), static, one per GOARCH.
vm-init: $(addprefix bin/usdtspec-guestinit-linux-,$(VM_GOARCHES))
bin/usdtspec-guestinit-linux-%: FORCE
	CGO_ENABLED=0 GOARCH=$* $(GO) build -o $@ ./internal/vm/guestinit

# The differential test against libbpf itself (sid's 1.7 and bookworm's
# 1.1, built from Debian's source packages into $(ORACLE_DIR)): every
# conformance build and amd64/i386 corpus file; the full tables of the
# probes libbpf rejects go to build/oracle-SUITE.txt.
# Then the drop-in check: conform.bpf.c built against libbpf 1.7's own
# usdt.bpf.h (weak maps, LINUX_HAS_BPF_COOKIE) runs through
# usdt.LoadCollectionSpec every native case whose specs libbpf's layout
# holds (dump's spec_layout is v1.7: the builds with thread-local or
# index-only operands need v1.7+usdtspec, which only bpf/usdt.bpf.h reads).
ORACLE_DIR := $(USDTSPEC_CACHE)/oracle
LIBBPF17 := $(ORACLE_DIR)/apt/src/sid
oracle-harness:
	bash internal/oracle/build.sh $(ORACLE_DIR)
oracle: build oracle-harness conformance-cases conformance-cases-i386
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "oracle: skipped: attaching uprobes through libbpf needs root"; \
	else \
	  ORACLE_DIR=$(ORACLE_DIR) ORACLE_REPORT=$(CURDIR)/build \
	    $(GO) test -count=1 -timeout 30m -v -run '^TestOracle$$' ./internal/oracle && \
	  clang -O2 -g -target bpf -Wall -Werror -D__TARGET_ARCH_$(BPF_TARGET_ARCH) -DCONFORM_LIBBPF_HEADER \
	    -I$(LIBBPF17)/root/usr/include -I$(LIBBPF17)/tree/include/uapi -idirafter /usr/include/$(MULTIARCH) \
	    -c conformance/conform.bpf.c -o build/conform-libbpf.bpf.o && \
	  for c in $$(cat $(CASES)); do \
	    $(BIN) dump --json $$c | grep -q '"spec_layout": "v1.7+usdtspec"' || echo $$c; \
	  done > $(dir $(CASES))cases-libbpf-layout.list && \
	  $(BIN) conform --bpf-object build/conform-libbpf.bpf.o --cases $(dir $(CASES))cases-libbpf-layout.list; \
	fi

# bpftrace as a peer on the same cases: sid's bpftrace (0.27, libbpf's
# argument reading) from a private sid root made once by debootstrap in
# $(PEER_DIR), runs every native conformance build with a generated
# script; the table (case | bpftrace | usdtspec) goes to
# build/peer-bpftrace.txt. Fails where usdtspec is wrong and bpftrace right.
.PHONY: peer peer-root
PEER_DIR := $(USDTSPEC_CACHE)/bpftrace
peer-root:
	bash internal/peer/setup.sh $(PEER_DIR)
peer: conformance-cases
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "peer: skipped: debootstrap, chroot and attaching uprobes need root"; \
	else \
	  bash internal/peer/setup.sh $(PEER_DIR) && \
	  PEER_DIR=$(PEER_DIR) PEER_REPORT=$(CURDIR)/build \
	    $(GO) test -count=1 -timeout 30m -v -run '^TestPeer$$' ./internal/peer; \
	fi

# The USDT consumers of `usdtspec conform --consumer` (docs/consumers.md):
# libbpf 1.7 and 1.1 (the oracle's libbpf builds, then the consumer
# harness internal/consumer/libbpfc into $(USDTSPEC_CACHE)/consumer) and
# bpftrace's sid root (as make peer-root; root only). bcc and chromium
# (the report's browser test) come from make deps. Then, as root, every
# consumer on the bundled cases, each probe's outcome checked against
# the consumers' rules (TestConsumers; CONSUMER_CASES_RE picks builds).
.PHONY: consumers
consumers: build conformance-cases oracle-harness
	bash internal/consumer/libbpfc/build.sh $(ORACLE_DIR) $(USDTSPEC_CACHE)/consumer/libbpf
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "consumers: bpftrace's root and the consumers' run skipped: debootstrap and attaching uprobes need root"; \
	else \
	  bash internal/peer/setup.sh $(PEER_DIR) && \
	  CONSUMER_REQUIRE=1 $(GO) test -count=1 -timeout 30m -v -run '^TestConsumers$$' ./internal/consumer; \
	fi

# README.md's consumers table: every consumer on the gcc -O2 PIE build of
# each bundled case (as root), the report in build/consumers-report/.
.PHONY: consumers-table
consumers-table: build conformance-cases
	grep -- '-gcc-O2-pie$$' $(CASES) > build/conformance/cases-gcc-O2-pie.list
	$(BIN) conform --consumer all --cases build/conformance/cases-gcc-O2-pie.list --report build/consumers-report
	bash internal/report/readme-table.sh build/consumers-report/report.md README.md

vm-tools:
	bash internal/vm/install-tools.sh

# One VM: make conformance-vm ARCH=s390x [KERNEL=bookworm]
ifneq ($(and $(VM_ARCHES),$(filter conformance-vm,$(MAKECMDGOALS))),)
ifeq ($(filter $(ARCH),$(VM_ARCHES)),)
$(error ARCH=$(ARCH): no such row in internal/vm/matrix.tsv (have $(VM_ARCHES)))
endif
endif
conformance-vm: build bin/usdtspec-guestinit-linux-$(VM_GOARCH_$(ARCH)) conformance-cases-$(ARCH)
	$(BIN) conform --vm $(ARCH)$(if $(KERNEL),:$(KERNEL)) --kernel-dir $(KERNEL_DIR) --root-dir $(VM_ROOT_DIR) --cases '$(VM_CASES)'

# Every (arch, kernel) VM in turn, then one row per VM and the total.
conformance-matrix: build vm-init conformance-cases-cross
	$(BIN) conform --vm $(VM_MATRIX) --kernel-dir $(KERNEL_DIR) --root-dir $(VM_ROOT_DIR) --cases '$(VM_CASES)'

# Every fuzz target for a short while; no panics allowed.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# Fetch the part of the Debian corpus for the supported architectures into $(CORPUS_DIR)
# with the corpus fetcher (make corpus FETCH_SH=PATH/fetch.sh), then the debug files
# of its stripped libc (libc6-dbg, same version); one fetch at a time per corpus.
corpus:
	$(if $(FETCH_SH),,$(error make corpus needs the corpus fetcher: make corpus FETCH_SH=PATH/fetch.sh))
	mkdir -p $(CORPUS_DIR)
	ARCHES="$(VM_CORPUS_DEBIAN)" SUITES="bookworm sid" \
	  flock $(CORPUS_DIR)/.lock bash $(FETCH_SH) all
	flock $(CORPUS_DIR)/.lock bash testdata/corpus-debug.sh

# BENCHMARKS.md: attach/detach of 1,000 call sites and the per-hit cost of
# a 12-argument probe against libbpf 1.7 (root; libbpf as the oracle builds
# it, sid only), and usdtspec dump against readelf (internal/bench).
BENCH_DIR := build/bench
bench: build $(BENCH_DIR)/benchprobes
	bash internal/oracle/build.sh $(ORACLE_DIR) sid
	bash internal/bench/libbpf/build.sh $(ORACLE_DIR) $(BENCH_DIR)
	$(GO) run ./internal/bench -o BENCHMARKS.md

$(BENCH_DIR)/benchprobes: internal/bench/testdata/benchprobes.c
	@mkdir -p $(@D)
	gcc -O2 -g0 -Wall -fno-ident -fPIE -pie -o $@ $<

# BENCHMARKS.md's trace section: 1,000,000 hits of one probe through
# usdtspec trace --json and through bpftrace (the host's, else sid's in
# $(PEER_DIR), made first if need be), every run checked hit by hit
# (internal/bench/tracebench, which builds internal/bench/testdata/traceloop.c).
.PHONY: bench-trace
bench-trace: build
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "bench-trace: skipped: loading BPF and attaching uprobes needs root"; \
	else \
	  { command -v bpftrace >/dev/null || bash internal/peer/setup.sh $(PEER_DIR); } && \
	  $(GO) run ./internal/bench/tracebench -o BENCHMARKS.md -bpftrace-root $(PEER_DIR)/sid-root; \
	fi

# The make variables of the architecture matrix (see MATRIX_MK above).
$(MATRIX_MK): internal/vm/matrix.tsv internal/vm/matrix.go internal/vm/matrixgen/main.go
	@mkdir -p $(@D)
	$(GO) run ./internal/vm/matrixgen > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@

include testdata/probes.mk
include testdata/conformance.mk
include testdata/conformance-cross.mk

FORCE:

clean:
	rm -rf bin build
