#!/usr/bin/env bash
# setup.sh — a private Debian sid root holding sid's bpftrace (0.27, which
# reads USDT arguments through libbpf), for the peer test (peer_test.go).
#
# usage: bash internal/peer/setup.sh OUTDIR     (as root)
#
# sid's binaries need a newer glibc than this bookworm host has, so
# bpftrace runs from its own root: debootstrap --variant=minbase
# --include=bpftrace sid OUTDIR/sid-root. The host's apt configuration is
# never touched (debootstrap fetches with its own). The root is made once
# and kept (about 560 MB); delete OUTDIR/sid-root to refresh it.
# The Release file is checked against the host's debian-archive-keyring
# (KEYRING to override); it is never fetched unchecked.
#
# output: OUTDIR/sid-root            the root; the test runs
#                                    `chroot OUTDIR/sid-root bpftrace` in a
#                                    private mount namespace
#         OUTDIR/sid-root.version    `bpftrace --version` of the root
# needs: root, debootstrap (apt-get installed when missing), network to
# the Debian archive.
set -euo pipefail

me=peer/setup.sh
die() { echo "$me: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: setup.sh OUTDIR" >&2; exit 2; }
OUT=$(realpath -m "$1")
ROOT=$OUT/sid-root
MIRROR=${MIRROR:-http://deb.debian.org/debian}
KEYRING=${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

if [ -x "$ROOT/usr/bin/bpftrace" ] && [ -s "$ROOT.version" ]; then
  exit 0
fi
[ "$(id -u)" = 0 ] || die "making the sid root needs root (debootstrap, chroot)"
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
    die "apt-get install debootstrap failed"
fi
[ -r "$KEYRING" ] || die "no keyring $KEYRING to check sid's Release file"

# One maker at a time (OUTDIR, usually $USDTSPEC_CACHE/bpftrace, is shared
# by every clone on the machine); the one that waited finds the root made.
mkdir -p "$OUT"
exec 9>"$OUT/lock"
flock 9
if [ -x "$ROOT/usr/bin/bpftrace" ] && [ -s "$ROOT.version" ]; then
  exit 0
fi
tmp=$ROOT.tmp
rm -rf "$tmp"
echo "$me: debootstrap sid with bpftrace into $ROOT (once; about a minute)"
if ! debootstrap --variant=minbase --include=bpftrace --keyring="$KEYRING" \
    sid "$tmp" "$MIRROR" > "$OUT/debootstrap.log" 2>&1; then
  tail -n 20 "$OUT/debootstrap.log" >&2
  die "debootstrap failed (log: $OUT/debootstrap.log)"
fi
chroot "$tmp" bpftrace --version > "$tmp.version" || die "bpftrace --version failed in the new root"
rm -rf "$ROOT"
mv "$tmp" "$ROOT"
mv "$tmp.version" "$ROOT.version"
echo "$me: $(cat "$ROOT.version") in $ROOT"
