#!/usr/bin/env bash
# build.sh — build the libbpf consumer (consumer.c + consumer.bpf.c)
# against the libbpf builds of internal/oracle/build.sh, one per suite:
# sid's libbpf 1.7 and bookworm's 1.1.
#
# usage: bash internal/consumer/libbpfc/build.sh ORACLE_DIR OUTDIR [SUITE...]
#        (default suites: sid bookworm)
#
# ORACLE_DIR is internal/oracle/build.sh's output (usually
# $USDTSPEC_CACHE/oracle); build.sh is run first for the suites not built.
# output: OUTDIR/SUITE/consumer, OUTDIR/SUITE/consumer.bpf.o (with that
# libbpf's own usdt.bpf.h), OUTDIR/SUITE/version (the libbpf source
# package's), OUTDIR/SUITE/inputs (hash of what they were built from).
set -euo pipefail
me=consumer/libbpfc/build.sh
die() { echo "$me: $*" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: build.sh ORACLE_DIR OUTDIR [SUITE...]" >&2; exit 2; }
ORACLE=$(realpath -m "$1"); OUT=$(realpath -m "$2"); shift 2
SUITES=${*:-sid bookworm}
HERE=$(cd "$(dirname "$0")" && pwd)
MULTIARCH=$(gcc -print-multiarch)
case $MULTIARCH in
  x86_64-*) TARGET_ARCH=x86 ;;
  aarch64-*) TARGET_ARCH=arm64 ;;
  s390x-*) TARGET_ARCH=s390 ;;
  *) die "no __TARGET_ARCH for $MULTIARCH" ;;
esac
bash "$HERE/../../oracle/build.sh" "$ORACLE" $SUITES
mkdir -p "$OUT"
exec 9>"$OUT/lock"
flock 9
for suite in $SUITES; do
  src=$ORACLE/apt/src/$suite
  inc=$src/root/usr/include
  [ -e "$src/root/usr/lib/libbpf.a" ] || die "no libbpf build in $src (internal/oracle/build.sh)"
  dir=$OUT/$suite
  inputs=$( { cat "$HERE/build.sh" "$HERE/consumer.c" "$HERE/../../oracle/libbpf_harness.h" "$HERE/consumer.bpf.c" "$src/version"
              gcc --version | head -n 1; clang --version | head -n 1; } | sha256sum | cut -d' ' -f1)
  if [ -e "$dir/consumer" ] && [ "$(cat "$dir/inputs" 2>/dev/null)" = "$inputs" ]; then
    continue
  fi
  mkdir -p "$dir"
  rm -f "$dir/inputs"
  echo "$me: building the libbpf consumer against libbpf $(cat "$src/version") ($suite)"
  clang -O2 -g -target bpf -Wall -D__TARGET_ARCH_$TARGET_ARCH -I"$inc" -I"$src/tree/include/uapi" \
    -idirafter "/usr/include/$MULTIARCH" -c "$HERE/consumer.bpf.c" -o "$dir/consumer.bpf.o"
  gcc -O2 -Wall -Werror -I"$src/tree/include/uapi" -I"$inc" -I"$HERE/../../oracle" "$HERE/consumer.c" "$src/root/usr/lib/libbpf.a" \
    -lelf -lz -o "$dir/consumer"
  cp "$src/version" "$dir/version"
  echo "$inputs" > "$dir/inputs"
done
