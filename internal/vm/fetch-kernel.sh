#!/usr/bin/env bash
# fetch-kernel.sh — fetch Debian's kernel image for one architecture and
# suite, for booting QEMU guests.
#
# usage: bash internal/vm/fetch-kernel.sh DEBARCH SUITE OUTDIR [META]
#        DEBARCH: the Debian architecture of the kernel (a kernel_debian of
#                 matrix.tsv); SUITE: bookworm, sid, ...
#        META:    the meta package to start from; without it, the kernel_meta
#                 of DEBARCH's rows in matrix.tsv next to this script (Go
#                 passes it, from the same table)
#
# output: OUTDIR/vmlinuz   the kernel image, as the package ships it (a
#                          bzImage, an Image, an EFI-stub image with a PE
#                          header, an ELF vmlinux, a zImage: whatever the
#                          architecture's QEMU loads with -kernel)
#         OUTDIR/config    the kernel's build config, when a package has one
#         OUTDIR/version   what was fetched, one "KEY VALUE..." a line:
#                            image PACKAGE VERSION     (the package with the image)
#                            config PACKAGE VERSION    (when there is a config)
#                            meta PACKAGE VERSION      (where the resolution started)
#                            release RELEASE           (uname -r, from the file names)
#                            suite SUITE / arch DEBARCH
# If OUTDIR/vmlinuz exists, nothing is done (it is the cache).
#
# How: a private apt root per SUITE and DEBARCH under the cache directory
# (own apt.conf, sources.list, lists, cache, empty dpkg status;
# APT::Architectures is DEBARCH alone), with "SUITE main" from the host's
# Debian mirror (not -updates or -security), signed-by the host's
# debian-archive-keyring (check-valid-until=no for sid, whose Release can be
# "expired" on a mirror; the signature is still checked); the host's apt and dpkg
# configuration is never touched (no dpkg --add-architecture). The kernel is
# resolved from the architecture's meta package every time (Debian drops
# superseded ABI packages), following Depends on linux-image-*,
# linux-binary-* and linux-base-<version> packages until one holds a
# vmlinuz/vmlinux image (Debian 7.x packaging: the image is in
# linux-binary-<ver>, the config in linux-base-<ver>). Packages are fetched
# with apt-get download, and only */vmlinu* and */config* are extracted
# (dpkg-deb --fsys-tarfile | tar --wildcards); the .deb files are deleted
# afterwards.
#
# env: USDTSPEC_APT_CACHE   private apt roots (default $USDTSPEC_CACHE/apt, ~/.cache/usdtspec/apt)
#      MIRROR               Debian archive URL (default: the host's apt configuration)
#      KEYRING              (default /usr/share/keyrings/debian-archive-keyring.gpg)
#      KERNEL_META          meta package to start from instead of META's
#      APT_MAX_AGE_MIN      re-run apt-get update when the lists are older (default 720)
#      KEEP_DEBS=1          keep the downloaded .deb files in the apt root
# needs: apt, dpkg, tar, flock. Network: the Debian archive only.
# The script is self-contained when given META (internal/vm/run.go embeds it
# and runs it with bash -c); without, it reads matrix.tsv (matrix.sh).
set -euo pipefail

me=fetch-kernel
die() { echo "$me: $*" >&2; exit 1; }

{ [ $# -eq 3 ] || [ $# -eq 4 ]; } || { echo "usage: fetch-kernel.sh DEBARCH SUITE OUTDIR [META]   (DEBARCH: a kernel_debian of internal/vm/matrix.tsv)" >&2; exit 2; }
DEBARCH=$1 SUITE=$2 OUTDIR=$3 META=${KERNEL_META:-${4:-}}

[ -e "$OUTDIR/vmlinuz" ] && exit 0

case $DEBARCH in ''|*[!a-z0-9]*) die "bad architecture name '$DEBARCH'" ;; esac
if [ -z "$META" ]; then
  declare -F matrix_kernel_meta >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/matrix.sh"
  META=$(matrix_kernel_meta "$DEBARCH")
  [ -n "$META" ] || die "no row of $MATRIX has a $DEBARCH kernel (kernel_debian)"
fi
case $SUITE in ''|*[!a-z0-9-]*) die "bad suite name '$SUITE'" ;; esac

for t in apt-get apt-cache dpkg-deb tar flock; do
  command -v $t >/dev/null || die "$t not found (install apt, dpkg, tar and util-linux)"
done

# The Debian archive and keyring this machine's apt uses (debian-archive.sh,
# already defined when Go runs this script embedded).
declare -F debian_archive >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh"
debian_archive

# (Without HOME, bash's ~ is the user's home from the password database.)
CACHE=${USDTSPEC_APT_CACHE:-${USDTSPEC_CACHE:-${XDG_CACHE_HOME:-${HOME:-~}/.cache}/usdtspec}/apt}
R=$CACHE/$SUITE-$DEBARCH
mkdir -p "$R"/lists/partial "$R"/cache/archives/partial "$R"/apt.conf.d "$R"/sources.list.d "$R"/prefs.d "$R"/debs \
  || die "cannot create $R"
R=$(cd "$R" && pwd)

# One fetch per apt root at a time.
exec 9>"$R/lock"
flock 9
[ -e "$OUTDIR/vmlinuz" ] && exit 0

# ---------------------------------------------------------------- private apt root
opts="signed-by=$KEYRING"
case $SUITE in sid|unstable|experimental) opts="$opts check-valid-until=no" ;; esac
printf 'deb [%s] %s %s main\n' "$opts" "$MIRROR" "$SUITE" > "$R/sources.list.new"
: > "$R/status"
cat > "$R/apt.conf.new" <<EOF
Dir::State "$R"; Dir::State::lists "$R/lists"; Dir::State::status "$R/status";
Dir::Cache "$R/cache"; Dir::Cache::pkgcache "pkgcache.bin"; Dir::Cache::srcpkgcache "";
Dir::Etc::SourceList "$R/sources.list"; Dir::Etc::SourceParts "$R/sources.list.d";
Dir::Etc::Preferences "$R/prefs"; Dir::Etc::PreferencesParts "$R/prefs.d";
Dir::Etc::Parts "$R/apt.conf.d"; Dir::Etc::Main "$R/apt.conf.d/none";
APT::Architecture "$DEBARCH"; APT::Architectures { "$DEBARCH"; };
APT::Get::List-Cleanup "false"; Acquire::Languages "none";
// Keep the lists compressed as downloaded (about 10 MB instead of 60).
Acquire::GzipIndexes "true";
// No _apt download sandbox: the private root belongs to the caller.
APT::Sandbox::User "root";
EOF
# A changed configuration (another mirror, say) invalidates the lists.
if ! cmp -s "$R/sources.list.new" "$R/sources.list" || ! cmp -s "$R/apt.conf.new" "$R/apt.conf"; then
  rm -rf "$R"/lists/*InRelease "$R"/lists/*Packages* "$R"/cache/*.bin
fi
mv "$R/sources.list.new" "$R/sources.list"
mv "$R/apt.conf.new" "$R/apt.conf"
export APT_CONFIG=$R/apt.conf

UPDATED=0
apt_update() { UPDATED=1; apt_update_in "$R" "$SUITE/$DEBARCH"; }
lists_fresh() { lists_fresh_in "$R"; }

# ---------------------------------------------------------------- resolution
# field PKG FIELD: one field of PKG's candidate version.
field() {
  apt-cache show --no-all-versions "$1" 2>/dev/null |
    awk -v f="$2" 'index($0, f ": ") == 1 { print substr($0, length(f) + 3); exit }' || true
}
# kernel_deps PKG: the kernel packages PKG depends on (first alternative
# that is one), one a line.
kernel_deps() {
  { field "$1" Pre-Depends; field "$1" Depends; } | tr ',' '\n' | while IFS= read -r alt; do
    echo "$alt" | tr '|' '\n' | sed 's/(.*)//; s/:any//; s/[[:space:]]//g' |
      grep -E '^linux-(image|binary|base)-[a-z0-9]' | head -1 || true
  done
}

# fetch_one PKG DIR: download PKG and extract its */vmlinu* and */config* into DIR.
fetch_one() {
  local p=$1 x=$2 deb st
  rm -f "$R"/debs/"${p}"_*.deb
  (cd "$R/debs" && apt-get download -q "$p" >"$R/download.log" 2>&1) || return 1
  deb=$(compgen -G "$R/debs/${p}_*.deb" | head -1) || return 1
  mkdir -p "$x"
  # tar exits 2 when a pattern matches nothing, which is expected here.
  set +e
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --no-recursion --wildcards '*/vmlinu*' '*/config*' 2>/dev/null
  st=${PIPESTATUS[0]}
  set -e
  [ "${KEEP_DEBS:-0}" = 1 ] || rm -f "$deb"
  [ "$st" = 0 ] || { echo "$me: dpkg-deb failed on $(basename "$deb")" >&2; return 2; }
}

# image_in DIR / config_in DIR: the kernel image / config a package put there.
image_in() {
  find "$1" -type f \( -name 'vmlinuz*' -o -name 'vmlinux*' \) -size +1M -printf '%s %p\n' 2>/dev/null |
    sort -rn | head -1 | cut -d' ' -f2-
}
config_in() {
  find "$1" -type f \( -name 'config-*' -o -name config \) -size +10k 2>/dev/null | sort | head -1
}

# The binary cache (about 50 MB) only speeds up the apt-cache calls of one
# run; the lists stay, for incremental updates.
WORK=$(mktemp -d "$R/work.XXXXXX")
trap 'rm -rf "$WORK" "$R/cache/pkgcache.bin"' EXIT

# resolve: breadth-first from META; sets IMG, IMG_PKG, CFG, CFG_PKG.
# Returns 1 when a download failed (stale lists?), 2 when no package had an
# image, 3 when META is not in the lists.
resolve() {
  local queue=("$META") seen=" " p v n=0 d
  IMG='' IMG_PKG='' CFG='' CFG_PKG='' VISITED=''
  while [ ${#queue[@]} -gt 0 ] && [ $n -lt 12 ]; do
    p=${queue[0]}; queue=("${queue[@]:1}")
    case $seen in *" $p "*) continue ;; esac
    seen="$seen$p "; n=$((n + 1))
    v=$(field "$p" Version)
    if [ -z "$v" ]; then
      [ "$p" = "$META" ] && return 3
      continue
    fi
    VISITED="$VISITED $p=$v"
    # The meta packages and linux-base-<ver> are small; image packages are
    # the ones to download anyway.
    fetch_one "$p" "$WORK/x/$n" || return 1
    if [ -z "$IMG" ] && [ -n "$(image_in "$WORK/x/$n")" ]; then
      IMG=$(image_in "$WORK/x/$n") IMG_PKG="$p $v"
    fi
    if [ -z "$CFG" ] && [ -n "$(config_in "$WORK/x/$n")" ]; then
      CFG=$(config_in "$WORK/x/$n") CFG_PKG="$p $v"
    fi
    [ -n "$IMG" ] && [ -n "$CFG" ] && return 0
    # Once the image is found, only linux-base-<ver> (the config) is of interest.
    while IFS= read -r d; do
      [ -n "$d" ] || continue
      if [ -n "$IMG" ]; then case $d in linux-base-*) ;; *) continue ;; esac; fi
      queue+=("$d")
    done < <(kernel_deps "$p")
  done
  [ -n "$IMG" ] || return 2
}

lists_fresh || apt_update
st=0; resolve || st=$?
if { [ $st = 1 ] || [ $st = 3 ]; } && [ $UPDATED = 0 ]; then
  # A package of the lists may have left the archive, or the lists are old
  # or damaged: fetch them anew.
  rm -rf "$R"/lists/*InRelease "$R"/lists/*Packages* "$R"/cache/*.bin
  apt_update
  rm -rf "$WORK/x"
  st=0; resolve || st=$?
fi
case $st in
  0) ;;
  1) cat "$R/download.log" >&2; die "apt-get download failed for $SUITE/$DEBARCH (apt root $R)" ;;
  3) if compgen -G "$R/lists/*InRelease" >/dev/null &&
        ! grep -h '^Architectures:' "$R"/lists/*InRelease | grep -qw "$DEBARCH"; then
       die "$SUITE has no $DEBARCH packages on $MIRROR$([ "$DEBARCH" != riscv64 ] || echo ' (riscv64 is in sid, not bookworm)')"
     fi
     compgen -G "$R/lists/*_Packages*" >/dev/null ||
       die "no package lists for $SUITE/$DEBARCH from $MIRROR: apt-get update failed (see $R/update.log)"
     die "$META not found for $DEBARCH in $SUITE (see $R/update.log)" ;;
  *) die "no vmlinuz/vmlinux image found following Depends from $META in $SUITE/$DEBARCH (visited:$VISITED)" ;;
esac

# uname -r from the image's name (boot/vmlinuz-REL) or directory (modules/REL/vmlinuz).
case $(basename "$IMG") in
  vmlinu[xz]-*) REL=$(basename "$IMG"); REL=${REL#vmlinu?-} ;;
  *) REL=$(basename "$(dirname "$IMG")") ;;
esac

mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
{
  echo "image $IMG_PKG"
  [ -z "$CFG" ] || echo "config $CFG_PKG"
  echo "meta $META $(field "$META" Version)"
  echo "release $REL"
  echo "suite $SUITE"
  echo "arch $DEBARCH"
} > "$OUTDIR/version.tmp"
rm -f "$OUTDIR/config"
[ -z "$CFG" ] || mv "$CFG" "$OUTDIR/config"
mv "$OUTDIR/version.tmp" "$OUTDIR/version"
# vmlinuz last: its presence means a complete fetch.
mv "$IMG" "$OUTDIR/vmlinuz.tmp"
mv "$OUTDIR/vmlinuz.tmp" "$OUTDIR/vmlinuz"
echo "$me: $DEBARCH $SUITE: ${IMG_PKG% *} ${IMG_PKG#* } ($REL) -> $OUTDIR/vmlinuz"
