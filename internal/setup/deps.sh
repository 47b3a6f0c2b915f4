#!/usr/bin/env bash
# deps.sh — install on this Debian host the packages that the build and the
# tests need (make deps runs it, and make run and make test run make deps):
#
#   gcc, g++, clang, llvm, the libc and kernel headers, binutils, make:
#     the conformance cases, the layout and pt_regs checks against real C
#     compilers, the committed BPF objects' rebuild (make generate)
#   the aarch64, s390x and armhf cross gcc (with armhf's kernel headers):
#     the layout tests of those architectures
#   libbpf-dev, systemtap-sdt-dev: the libbpf-API test program, sys/sdt.h
#   dpkg-dev (dpkg-source), libelf-dev, zlib1g-dev: libbpf built from
#     Debian's source packages for the oracle (internal/oracle/build.sh)
#   debootstrap: the sid root that runs bpftrace (internal/peer/setup.sh)
#   python3, binutils, ca-certificates: the corpus fetch; time: the bench
#   python3-bpfcc, bpfcc-tools, linux-headers-ARCH: bcc, a consumer of
#     `usdtspec conform --consumer` (internal/consumer; bcc compiles at run
#     time against kernel headers, shown to it in a private mount
#     namespace when the running kernel has none of its own)
#   chromium: the consumers report's test in a headless browser
#     (internal/report)
#
# then internal/vm/install-tools.sh, the QEMU guests' packages (QEMU,
# OpenSBI, the cross compilers of the VM matrix), without its package roots
# (those are caches, made on first use by the build, as its user).
#
# Idempotent: it asks dpkg-query what is missing and installs only that
# (apt-get update first, apt's log shown only on failure), and prints
# nothing when nothing is missing. Without root, missing packages are an
# error of one line: run `sudo make deps`.
#
# usage: bash internal/setup/deps.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
me=deps

PKGS=(
  make gcc g++ libc6-dev linux-libc-dev binutils clang llvm libbpf-dev systemtap-sdt-dev
  gcc-aarch64-linux-gnu gcc-s390x-linux-gnu gcc-arm-linux-gnueabihf linux-libc-dev-armhf-cross
  python3 ca-certificates time dpkg-dev libelf-dev zlib1g-dev debootstrap debian-archive-keyring
  python3-bpfcc bpfcc-tools chromium
)
if command -v dpkg >/dev/null; then
  PKGS+=("linux-headers-$(dpkg --print-architecture)")
fi

if ! command -v dpkg-query >/dev/null; then
  echo "$me: no dpkg-query (not Debian?): not checking packages; see $0 for what the tests need" >&2
  exit 0
fi

# One dpkg-query for all: "PACKAGE STATUS" for the packages dpkg knows.
declare -A have=()
while read -r p s; do
  [ "$s" = installed ] && have[$p]=1
done < <(dpkg-query -W -f '${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
missing=()
for p in "${PKGS[@]}"; do
  [ -n "${have[$p]:-}" ] || missing+=("$p")
done

root=0
[ "$(id -u)" = 0 ] && root=1
if [ ${#missing[@]} -gt 0 ]; then
  if [ $root = 0 ]; then
    echo "$me: missing packages (${missing[*]}): run \`sudo make deps\`" >&2
    exit 1
  fi
  echo "$me: installing ${missing[*]}"
  log=$(mktemp "${TMPDIR:-/tmp}/deps.XXXXXX")
  trap 'rm -f "$log"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$log" 2>&1 ||
    echo "$me: warning: apt-get update reported errors; trying the install anyway" >&2
  if ! apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "$me: apt-get install failed for: ${missing[*]}" >&2
    exit 1
  fi
fi

# The VM matrix's packages. Without root, install-tools.sh would ask sudo
# for a password: setsid leaves it no terminal to ask on, so it installs
# with a password-less sudo and fails at once otherwise.
if [ $root = 1 ]; then
  INSTALL_TOOLS_ROOTS=0 bash "$here/../vm/install-tools.sh"
else
  out=$(INSTALL_TOOLS_ROOTS=0 setsid -w bash "$here/../vm/install-tools.sh" 2>&1 </dev/null) || {
    echo "$me: missing packages for the VM tests ($(printf '%s\n' "$out" | tail -n 1)): run \`sudo make deps\`" >&2
    exit 1
  }
  [ -z "$out" ] || printf '%s\n' "$out"
fi
