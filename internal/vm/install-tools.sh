#!/usr/bin/env bash
# install-tools.sh — install on this (amd64 Debian) host what the QEMU guest
# tests need: QEMU system emulators for x86_64, arm64, 32-bit arm, s390x,
# riscv64, ppc64le and mips64el, OpenSBI (riscv64 `-bios default`), the
# Debian cross compilers (gcc/g++ for aarch64, armhf, s390x, riscv64,
# powerpc64le, mips64el, with their libc6-dev-*-cross as dependencies; gcc
# and libc6-dev-ppc64-cross for big-endian ppc64, whose objects
# arch/ppc64's tests read), the i686 cross compiler and
# libc6-i386 for 32-bit x86 cases run natively (not gcc-multilib: it
# conflicts with every cross compiler), sys/sdt.h, and the small tools the
# kernel fetch and initramfs packing use.
#
# Then, for loong64, whose QEMU and cross compiler bookworm lacks, the
# private root of Debian sid's packages (qemu-system-misc 11.x,
# gcc/g++-loongarch64-linux-gnu, libc6-dev-loong64-cross) in the
# repository's .cache/vm/roots/sid (internal/vm/pkg-root.sh: apt-get download and
# dpkg-deb -x, nothing installed on the host; about a minute, once).
#
# Native amd64 packages only: no `dpkg --add-architecture` (foreign-arch
# packages, such as guest kernels, go through private apt roots, see
# internal/vm/fetch-kernel.sh). Idempotent and quiet: when everything is installed it
# does nothing and prints nothing; otherwise it runs apt-get update once and
# installs the missing packages, printing apt's log only on failure.
#
# usage: bash internal/vm/install-tools.sh        (as root, or with sudo available)
# env:   INSTALL_TOOLS_EXTRA="pkg ..."   more packages to install
#        INSTALL_TOOLS_ROOTS=0           skip the sid package root
#        VM_ROOT_DIR                     where the roots go (default: the
#                                        repository's .cache/vm/roots)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The package roots of the guests that need a newer suite's QEMU or cross
# compiler (arch.VM.Root; the same directory the Makefile's VM_ROOT_DIR names).
make_roots() {
  [ "${INSTALL_TOOLS_ROOTS:-1}" = 1 ] || return 0
  bash "$here/pkg-root.sh" sid "${VM_ROOT_DIR:-$here/../.cache/vm/roots}"
}

PKGS=(
  qemu-system-x86 qemu-system-arm qemu-system-misc qemu-system-ppc qemu-system-mips opensbi
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  gcc-s390x-linux-gnu g++-s390x-linux-gnu
  gcc-riscv64-linux-gnu g++-riscv64-linux-gnu
  gcc-powerpc64le-linux-gnu g++-powerpc64le-linux-gnu
  gcc-i686-linux-gnu g++-i686-linux-gnu libc6-i386
  gcc-mips64el-linux-gnuabi64 g++-mips64el-linux-gnuabi64
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf
  gcc-powerpc64-linux-gnu libc6-dev-ppc64-cross
  gcc g++ make binutils dpkg-dev xz-utils zstd cpio
  systemtap-sdt-dev debian-archive-keyring ca-certificates
)
# shellcheck disable=SC2206
[ -n "${INSTALL_TOOLS_EXTRA:-}" ] && PKGS+=(${INSTALL_TOOLS_EXTRA})

missing=()
for p in "${PKGS[@]}"; do
  s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$s" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  make_roots
  exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-tools.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi

log=$(mktemp "${TMPDIR:-/tmp}/install-tools.XXXXXX")
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# An index that fails to update (a mirror in sync, say) is not fatal as long
# as the packages can still be installed from the lists already there.
$SUDO apt-get update -q >"$log" 2>&1 || echo "install-tools.sh: warning: apt-get update reported errors; trying the install anyway" >&2
if ! $SUDO apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >>"$log" 2>&1; then
  cat "$log" >&2
  echo "install-tools.sh: apt-get install failed for: ${missing[*]}" >&2
  exit 1
fi
make_roots
