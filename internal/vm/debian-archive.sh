# debian-archive.sh — sourced by fetch-kernel.sh and pkg-root.sh (and
# prepended to them when Go runs them embedded): the Debian archive and
# keyring this machine's apt already uses, and the update of their
# private apt roots.
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

# apt_update_in DIR LABEL: apt-get update of the private apt root DIR
# (APT_CONFIG already pointing at it); its warnings and errors go to
# stderr under $me, and DIR/updated records when.
apt_update_in() {
  if ! apt-get update -q >"$1/update.log" 2>&1; then
    echo "$me: warning: apt-get update for $2 reported errors (see $1/update.log)" >&2
  fi
  if grep -q '^[WE]:' "$1/update.log"; then grep '^[WE]:' "$1/update.log" | sed "s/^/$me: apt: /" >&2; fi
  touch "$1/updated"
}

# lists_fresh_in DIR: DIR's package lists exist and are younger than
# APT_MAX_AGE_MIN minutes (default 12 hours).
lists_fresh_in() {
  [ -e "$1/updated" ] && [ -n "$(find "$1/updated" -mmin -"${APT_MAX_AGE_MIN:-720}")" ] &&
    compgen -G "$1/lists/*_Packages*" >/dev/null
}
