#!/usr/bin/env bash
# build.sh — build the libbpf oracle (oracle.c + oracle.bpf.c) against
# Debian's libbpf *source* packages, one build per suite.
#
# usage: bash internal/oracle/build.sh OUTDIR [SUITE...]   (default: sid bookworm)
#
# Debian's sid libbpf binaries need a newer glibc than this bookworm host
# has, so libbpf is built here from the source package (apt-get source
# through a private apt root with deb-src lines; the host's apt
# configuration is never touched), as a static library.
#
# output: OUTDIR/SUITE/oracle          the harness, libbpf linked in
#         OUTDIR/SUITE/oracle.bpf.o    its BPF object, built with that libbpf's usdt.bpf.h
#         OUTDIR/SUITE/version         the source package's version
#         OUTDIR/SUITE/inputs          what they were built from (a hash of this
#                                      script, the harness sources, the compilers'
#                                      versions and the libbpf sources' versions)
# The source packages stay in OUTDIR/apt (the cache, shared by every clone:
# OUTDIR is usually $USDTSPEC_CACHE/oracle); a build whose inputs are the
# same is not rebuilt, one with other inputs is rebuilt from scratch. One
# build.sh at a time per OUTDIR (flock OUTDIR/lock).
# needs: apt-get, dpkg-source, make, gcc, clang, libelf-dev, zlib1g-dev.
set -euo pipefail

me=oracle/build.sh
die() { echo "$me: $*" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: build.sh OUTDIR [SUITE...]" >&2; exit 2; }
OUT=$(realpath -m "$1"); shift
SUITES=${*:-sid bookworm}
HERE=$(cd "$(dirname "$0")" && pwd)
MULTIARCH=$(gcc -print-multiarch)
case $MULTIARCH in
  x86_64-*) TARGET_ARCH=x86 ;;
  aarch64-*) TARGET_ARCH=arm64 ;;
  s390x-*) TARGET_ARCH=s390 ;;
  *) die "no __TARGET_ARCH for $MULTIARCH" ;;
esac
for t in apt-get dpkg-source make gcc clang; do
  command -v $t >/dev/null || die "$t not found"
done
MIRROR=${MIRROR:-http://deb.debian.org/debian}
KEYRING=${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

APT=$OUT/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/src"
exec 9>"$OUT/lock"
flock 9
: > "$APT/status"
cat > "$APT/sources.list" <<EOF
deb-src [signed-by=$KEYRING check-valid-until=no] $MIRROR sid main
deb-src [signed-by=$KEYRING] $MIRROR bookworm main
EOF
cat > "$APT/apt.conf" <<EOF
Dir::Etc::SourceList "$APT/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$APT/lists";
Dir::State::status "$APT/status";
Dir::Cache "$APT/cache";
APT::Sandbox::User "root";
EOF
export APT_CONFIG=$APT/apt.conf

# inputs SUITE: the hash of what SUITE's build is made from. (Not file
# times: a fresh clone's files are all new, and another clone's may differ.)
inputs() {
  { cat "$HERE/build.sh" "$HERE/oracle.c" "$HERE/libbpf_harness.h" "$HERE/oracle.bpf.c"
    gcc --version | head -n 1; clang --version | head -n 1
    cat "$APT/src/$1/version" "$APT/src/sid/version" 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}
# fresh SUITE: its build is complete and made from the same inputs.
fresh() {
  local dir=$OUT/$1
  [ -e "$dir/oracle" ] && [ -e "$dir/oracle.bpf.o" ] && [ -s "$dir/inputs" ] &&
    [ "$(cat "$dir/inputs")" = "$(inputs "$1")" ]
}

updated=
for suite in $SUITES; do
  dir=$OUT/$suite
  if fresh "$suite"; then
    continue
  fi
  if [ -z "$updated" ]; then
    apt-get update -q -o Acquire::Languages=none >/dev/null || die "apt-get update failed"
    updated=1
  fi
  mkdir -p "$dir"
  rm -f "$dir/inputs"
  src=$APT/src/$suite
  if [ ! -d "$src/tree" ]; then
    rm -rf "$src" && mkdir -p "$src"
    (cd "$src" && apt-get source -q --download-only "libbpf/$suite" >/dev/null) ||
      die "apt-get source libbpf/$suite failed"
    dsc=$(ls "$src"/libbpf_*.dsc)
    # apt-get checked the files against the archive's signed Sources
    # index; the .dsc's own signature needs the uploader's key, not here.
    dpkg-source -q --no-check -x "$dsc" "$src/tree" >/dev/null
    basename "$dsc" .dsc | sed 's/^libbpf_//' > "$src/version"
  fi
  echo "$me: building libbpf $(cat "$src/version") ($suite)"
  # From scratch: the objects of another build of this script may differ.
  rm -rf "$src/obj" "$src/root"
  mkdir -p "$src/obj"
  make -s -C "$src/tree/src" -j"$(nproc)" BUILD_STATIC_ONLY=1 \
    OBJDIR="$src/obj" DESTDIR="$src/root" PREFIX=/usr LIBDIR=/usr/lib install >/dev/null
  inc=$src/root/usr/include
  # The BPF object gets the libbpf version's own usdt.bpf.h (its spec
  # layout) and UAPI headers.
  clang -O2 -g -target bpf -D__TARGET_ARCH_$TARGET_ARCH -I"$inc" -I"$src/tree/include/uapi" \
    -idirafter "/usr/include/$MULTIARCH" -c "$HERE/oracle.bpf.c" -o "$dir/oracle.bpf.o"
  # The harness reads link info (uprobe_multi and perf-event offsets and
  # cookies) that older UAPI headers do not describe: it takes the newest
  # UAPI header of the sources fetched, sid's, whatever libbpf it links.
  uapi=$APT/src/sid/tree/include/uapi
  [ -d "$uapi" ] || uapi=$src/tree/include/uapi
  gcc -O2 -Wall -Werror -I"$uapi" -I"$inc" "$HERE/oracle.c" "$src/root/usr/lib/libbpf.a" \
    -lelf -lz -o "$dir/oracle"
  cp "$src/version" "$dir/version"
  # Last: its presence means a complete build.
  inputs "$suite" > "$dir/inputs"
done
