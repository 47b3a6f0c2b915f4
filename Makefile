# usdtspec — see README.md. `make run` is the main job, `make test` the tests.
GO        ?= go
BIN       := bin/usdtspec
# The real-world corpus (../shared/corpus/fetch.sh); git-ignored, cached.
CORPUS_DIR ?= $(CURDIR)/.corpus
export CORPUS_DIR
LIBSTDCXX := $(firstword $(wildcard /usr/lib/*-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6))
PROBE_BINS := $(sort $(wildcard testdata/bin/*))
FUZZTIME  ?= 15s

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
CASES     := build/conformance/cases.list

.PHONY: all build run test vet fuzz bench corpus generate conformance clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/usdtspec

# The main job: dump the probes of the bundled test binaries and of this
# machine's libstdc++, then run the native conformance suite.
run: build
	$(BIN) dump $(PROBE_BINS) $(LIBSTDCXX)
	$(MAKE) --no-print-directory conformance

# Rebuild the committed BPF objects (bpf2go, clang).
generate:
	MULTIARCH=$(MULTIARCH) $(GO) generate ./...

# Build every case in testdata/conformance and run them all natively.
conformance: build conformance-cases
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "conformance: skipped: loading BPF and attaching uprobes needs root"; \
	else \
	  $(BIN) conform --cases $(CASES); \
	fi

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

test: vet
	$(GO) test ./...
	$(MAKE) --no-print-directory conformance

# Every fuzz target for a short while; no panics allowed.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# Fetch the part of the Debian corpus for the supported architectures into $(CORPUS_DIR).
corpus:
	ARCHES="amd64 arm64 s390x riscv64 ppc64el" SUITES="bookworm sid" bash $(or $(FETCH_SH),../shared/corpus/fetch.sh) all

bench: build
	$(GO) run ./internal/bench

include testdata/probes.mk
include testdata/conformance.mk

clean:
	rm -rf bin build
