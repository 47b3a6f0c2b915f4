#!/usr/bin/env bash
# build.sh — build libbpf 1.7's side of `make bench`: the driver
# libbpfbench.c linked with libbpf 1.7, and ../hit.bpf.c compiled against
# libbpf 1.7's own usdt.bpf.h. The libbpf is the one the oracle builds from
# Debian sid's source package (bash internal/oracle/build.sh ORACLE_DIR
# sid): its static library and headers in ORACLE_DIR/apt/src/sid/root/usr.
#
# usage: bash internal/bench/libbpf/build.sh ORACLE_DIR OUTDIR
#
# output: OUTDIR/libbpfbench          the driver, libbpf 1.7 linked in
#         OUTDIR/hit.libbpf.bpf.o     hit.bpf.c against libbpf's usdt.bpf.h
#         OUTDIR/libbpf.version       the source package's version
# needs: gcc, clang, libelf-dev, zlib1g-dev.
set -euo pipefail

me=bench/libbpf/build.sh
die() { echo "$me: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: build.sh ORACLE_DIR OUTDIR" >&2; exit 2; }
ORACLE=$(realpath -m "$1")
OUT=$(realpath -m "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
src=$ORACLE/apt/src/sid
root=$src/root/usr
[ -f "$root/lib/libbpf.a" ] && [ -f "$root/include/bpf/usdt.bpf.h" ] ||
  die "no libbpf 1.7 in $root: run bash internal/oracle/build.sh $1 sid first"
MULTIARCH=$(gcc -print-multiarch)
case $MULTIARCH in
  x86_64-*) TARGET_ARCH=x86 ;;
  aarch64-*) TARGET_ARCH=arm64 ;;
  s390x-*) TARGET_ARCH=s390 ;;
  *) die "no __TARGET_ARCH for $MULTIARCH" ;;
esac
mkdir -p "$OUT"
inc=$root/include
uapi=$src/tree/include/uapi
# -I$inc/bpf first: hit.bpf.c's "usdt.bpf.h" is libbpf's here.
clang -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$TARGET_ARCH -I"$inc/bpf" -I"$inc" -I"$uapi" \
  -idirafter "/usr/include/$MULTIARCH" -c "$HERE/../hit.bpf.c" -o "$OUT/hit.libbpf.bpf.o"
gcc -O2 -Wall -Werror -I"$uapi" -I"$inc" "$HERE/libbpfbench.c" "$root/lib/libbpf.a" -lelf -lz -o "$OUT/libbpfbench"
cp "$src/version" "$OUT/libbpf.version"
