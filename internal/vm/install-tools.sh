#!/usr/bin/env bash
# install-tools.sh — install on this (amd64 Debian) host what the QEMU guest
# tests need. From the architecture matrix (matrix.tsv, next to this
# script), for every row without a package root: its QEMU package
# (qemu_package) and, when it has a triple, Debian's cross gcc-TRIPLE and
# g++-TRIPLE (their libc6-dev-*-cross come as dependencies). Besides:
# OpenSBI (riscv64's `-bios default`), libc6-i386 (the loader of the
# dynamic 32-bit x86 cases when they run natively), gcc and
# libc6-dev-ppc64-cross for big-endian ppc64 (whose objects arch/ppc64's
# tests read), sys/sdt.h, and the small tools the kernel fetch and
# initramfs packing use.
#
# Then the private package roots the table names (its root column: the
# guests whose QEMU or cross compiler the host's suite lacks), in the
# cache's vm/roots/SUITE (internal/vm/pkg-root.sh: apt-get download and
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
#        INSTALL_TOOLS_ROOTS=0           skip the package roots
#        VM_ROOT_DIR                     where the roots go (default:
#                                        $USDTSPEC_CACHE/vm/roots, ~/.cache/usdtspec/vm/roots)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "install-tools.sh: $*" >&2; exit 1; }
. "$here/matrix.sh"

# The package roots of the guests that need a newer suite's QEMU or cross
# compiler (the table's root column; the same directory the Makefile's
# VM_ROOT_DIR names).
make_roots() {
  [ "${INSTALL_TOOLS_ROOTS:-1}" = 1 ] || return 0
  local suite
  for suite in $(matrix_roots); do
    bash "$here/pkg-root.sh" "$suite" "${VM_ROOT_DIR:-${USDTSPEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usdtspec}/vm/roots}"
  done
}

mapfile -t PKGS < <(matrix_host_packages)
[ ${#PKGS[@]} -gt 0 ] || die "no host packages in $MATRIX"
PKGS+=(
  opensbi libc6-i386
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
