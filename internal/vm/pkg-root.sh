#!/usr/bin/env bash
# pkg-root.sh — a private root of a newer Debian suite's amd64 packages,
# for the QEMU guests the host's own packages cannot serve (the rows of
# matrix.tsv whose root column names SUITE; its comments say why): their
# QEMU, and their cross gcc/g++ with the libc they build against.
#
# usage: bash internal/vm/pkg-root.sh SUITE DIR [PACKAGE...]   (the root is DIR/SUITE)
#        PACKAGE: the packages of the root; without them, those of the rows
#        of matrix.tsv (next to this script) with root SUITE: qemu_package,
#        gcc-TRIPLE, g++-TRIPLE and libc6-dev-DEBIAN-cross (Go passes the
#        same list, vm.RootPackages)
#
# How: a private apt root (DIR/SUITE.apt: own apt.conf, sources.list with
# "SUITE main" from the host's Debian mirror, lists, an empty dpkg status;
# signed-by the host's debian-archive-keyring, check-valid-until=no for
# sid, whose Release can be "expired" on a mirror), `apt-get install
# --download-only` of the packages with every dependency (the status is
# empty, so the whole closure from libc6 up), and every .deb unpacked with
# dpkg-deb into DIR/SUITE (documentation, manuals and locales left out),
# with the merged-/usr links (bin, sbin, lib, lib64 -> usr/...) that the
# packages' maintainer scripts would have made. No maintainer script
# runs, nothing is installed on the host, the host's apt and dpkg
# configuration is never touched (no dpkg --add-architecture). The .deb
# files are deleted afterwards; the lists stay, for the next update.
#
# The root's programs need its own glibc, newer than the host's, so they
# run either through its dynamic loader (QEMU: vm.Run runs
# ROOT/<PT_INTERP> --library-path ROOT/usr/lib/... ROOT/usr/bin/qemu-...,
# a single process that execs nothing) or chrooted (the cross compiler,
# whose driver execs cc1, as and ld: internal/vm/root-exec.sh).
#
# output: DIR/SUITE               the root (about 650 MB)
#         DIR/SUITE/.pkg-root     what it holds: a "packages ..." line (the
#                                 packages asked for), then "PACKAGE VERSION"
#                                 for every package unpacked; written last,
#                                 its presence means a complete root
# If DIR/SUITE/.pkg-root exists and asks for the same packages, nothing is
# done; with another package list the root is made anew.
#
# env: MIRROR              Debian archive URL (default: the host's apt configuration)
#      KEYRING             (default /usr/share/keyrings/debian-archive-keyring.gpg)
#      APT_MAX_AGE_MIN     re-run apt-get update when the lists are older (default 720)
# needs: apt, dpkg, tar, flock, xargs. Network: the Debian archive only.
# Root is not needed (unpacking as another user gives that user's files).
# The script is self-contained when given the packages (internal/vm/root.go
# embeds it and runs it with bash -c); without, it reads matrix.tsv (matrix.sh).
set -euo pipefail

me=pkg-root
die() { echo "$me: $*" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: pkg-root.sh SUITE DIR [PACKAGE...]" >&2; exit 2; }
SUITE=$1 DIR=$2
shift 2
case $SUITE in ''|*[!a-z0-9-]*) die "bad suite name '$SUITE'" ;; esac

# The packages: QEMU for the guests, their cross gcc/g++ and their libc
# (static cases; loader and libraries of the dynamic ones).
if [ $# -gt 0 ]; then
  PKGS="$*"
else
  declare -F matrix_root_packages >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/matrix.sh"
  PKGS=$(matrix_root_packages "$SUITE" | tr '\n' ' ')
  [ -n "$PKGS" ] || die "no row of $MATRIX has the package root $SUITE"
fi
WANT="packages $(echo $PKGS | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"

mkdir -p "$DIR" || die "cannot create $DIR"
DIR=$(cd "$DIR" && pwd)
ROOT=$DIR/$SUITE
STAMP=$ROOT/.pkg-root
fresh() { [ -s "$STAMP" ] && [ "$(head -n 1 "$STAMP")" = "$WANT" ]; }
# (Touched, so that make, whose rule runs this script when it is newer
# than the stamp, is satisfied too.)
if fresh; then touch "$STAMP" 2>/dev/null || true; exit 0; fi

for t in apt-get dpkg-deb dpkg tar flock xargs; do
  command -v $t >/dev/null || die "$t not found (install apt, dpkg, tar, util-linux and findutils)"
done

# One maker per root at a time.
exec 9>"$DIR/$SUITE.lock"
flock 9
fresh && exit 0

# The Debian archive and keyring this machine's apt uses (debian-archive.sh,
# already defined when Go runs this script embedded).
declare -F debian_archive >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh"
debian_archive
HOSTARCH=$(dpkg --print-architecture)

# ---------------------------------------------------------------- private apt root
A=$DIR/$SUITE.apt
mkdir -p "$A"/lists/partial "$A"/cache "$A"/debs/partial "$A"/apt.conf.d "$A"/sources.list.d "$A"/prefs.d
opts="signed-by=$KEYRING"
case $SUITE in sid|unstable|experimental) opts="$opts check-valid-until=no" ;; esac
printf 'deb [%s] %s %s main\n' "$opts" "$MIRROR" "$SUITE" > "$A/sources.list.new"
: > "$A/status"
cat > "$A/apt.conf.new" <<EOF
Dir::State "$A"; Dir::State::lists "$A/lists"; Dir::State::status "$A/status";
Dir::Cache "$A/cache"; Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Dir::Cache::archives "$A/debs";
Dir::Etc::SourceList "$A/sources.list"; Dir::Etc::SourceParts "$A/sources.list.d";
Dir::Etc::Preferences "$A/prefs"; Dir::Etc::PreferencesParts "$A/prefs.d";
Dir::Etc::Parts "$A/apt.conf.d"; Dir::Etc::Main "$A/apt.conf.d/none";
APT::Architecture "$HOSTARCH"; APT::Architectures { "$HOSTARCH"; };
APT::Get::List-Cleanup "false"; Acquire::Languages "none";
Acquire::GzipIndexes "true";
APT::Install-Recommends "false"; APT::Install-Suggests "false";
// No _apt download sandbox: the private root belongs to the caller.
APT::Sandbox::User "root";
EOF
if ! cmp -s "$A/sources.list.new" "$A/sources.list" || ! cmp -s "$A/apt.conf.new" "$A/apt.conf"; then
  rm -rf "$A"/lists/*InRelease "$A"/lists/*Packages* "$A/updated"
fi
mv "$A/sources.list.new" "$A/sources.list"
mv "$A/apt.conf.new" "$A/apt.conf"
export APT_CONFIG=$A/apt.conf

apt_update() { apt_update_in "$A" "$SUITE/$HOSTARCH"; }
lists_fresh() { lists_fresh_in "$A"; }
# download: every package and its dependencies into $A/debs.
download() {
  rm -f "$A"/debs/*.deb
  # shellcheck disable=SC2086
  apt-get install -q -y --download-only $PKGS >"$A/download.log" 2>&1
}

echo "$me: $SUITE root with $PKGS -> $ROOT (once; about a minute)"
UPDATED=0
lists_fresh || { apt_update; UPDATED=1; }
if ! download; then
  # A package of the lists may have left the archive: fetch them anew.
  [ $UPDATED = 0 ] || { tail -n 20 "$A/download.log" >&2; die "apt-get download failed (log: $A/download.log)"; }
  rm -rf "$A"/lists/*InRelease "$A"/lists/*Packages*
  apt_update
  download || { tail -n 20 "$A/download.log" >&2; die "apt-get download failed (log: $A/download.log)"; }
fi
compgen -G "$A/debs/*.deb" >/dev/null || die "apt-get downloaded nothing (log: $A/download.log)"

# ---------------------------------------------------------------- unpack
tmp=$ROOT.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
# Two at a time: xz decompression is the cost (about 150 MB of packages).
export tmp
if ! find "$A/debs" -maxdepth 1 -name '*.deb' -print0 | xargs -0 -P 2 -n 8 bash -c '
    for d; do
      dpkg-deb --fsys-tarfile "$d" | tar -x -C "$tmp" --exclude=./usr/share/doc --exclude=./usr/share/man \
        --exclude=./usr/share/locale --exclude=./usr/share/info || { echo "cannot unpack $d" >&2; exit 1; }
    done' unpack; then
  die "unpacking failed"
fi
# Merged /usr, as base-files and the maintainer scripts would have it:
# /lib64/ld-linux-x86-64.so.2 is every binary's PT_INTERP.
for d in bin sbin lib lib64; do
  if [ ! -e "$tmp/$d" ] && [ ! -L "$tmp/$d" ]; then
    mkdir -p "$tmp/usr/$d"
    ln -s "usr/$d" "$tmp/$d"
  fi
done
mkdir -p "$tmp/tmp" "$tmp/dev" "$tmp/proc"
chmod 1777 "$tmp/tmp"
: > "$tmp/dev/null"

# A QEMU of the root must start through the root's loader (the
# multiarch folder of the host's architecture holds it and the libraries).
ld=$(compgen -G "$tmp/usr/lib/*-linux-gnu*/ld-linux*.so.*" | head -n 1 || true)
for q in "$tmp"/usr/bin/qemu-system-*; do
  [ -x "$q" ] || continue
  [ -n "$ld" ] || die "no dynamic loader in the new root"
  if ! "$ld" --library-path "$(dirname "$ld")" "$q" --version >/dev/null 2>"$A/qemu.log"; then
    cat "$A/qemu.log" >&2
    die "$(basename "$q") of the new root does not start (see above)"
  fi
  break
done

{
  echo "$WANT"
  for d in "$A"/debs/*.deb; do
    dpkg-deb --show --showformat='${Package} ${Version}\n' "$d"
  done | sort
} > "$tmp/.pkg-root.tmp"
rm -f "$A"/debs/*.deb
rm -rf "$ROOT"
mv "$tmp" "$ROOT"
# The stamp last: its presence means a complete root.
mv "$ROOT/.pkg-root.tmp" "$STAMP"
echo "$me: $(($(wc -l < "$STAMP") - 1)) packages unpacked in $ROOT ($(grep -m1 '^qemu-system-misc ' "$STAMP" || true))"
