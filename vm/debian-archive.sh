# debian-archive.sh — sourced by fetch-kernel.sh and pkg-root.sh (and
# prepended to them when Go runs them embedded): the Debian archive and
# keyring this machine's apt already uses, for their private apt roots.
#
# sets: MIRROR   the first non-security URI of the deb822 sources, else of
#                the one-line sources.list (or $MIRROR as given)
#       KEYRING  the archive keyring (or $KEYRING as given)
# needs: a die function.

find_mirror() {
  local f
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -r "$f" ] || continue
      sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] || continue
      awk '$1=="deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' "$f"
    done
  } | awk '/^[a-z+]+:\/\// && !/security/ { print; exit }'
}

debian_archive() {
  MIRROR=${MIRROR:-$(find_mirror)}
  [ -n "$MIRROR" ] || die "cannot find the Debian archive in /etc/apt (set MIRROR)"
  KEYRING=${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
  [ -r "$KEYRING" ] || die "keyring $KEYRING not found (apt-get install debian-archive-keyring, or set KEYRING)"
}
