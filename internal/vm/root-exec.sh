#!/usr/bin/env bash
# root-exec.sh — run a program of a private package root (internal/vm/pkg-root.sh)
# on files of the current directory: the cross compilers of sid's root,
# whose driver execs cc1, as and ld, all linked against the root's glibc.
#
# usage: internal/vm/root-exec.sh ROOT PROGRAM [ARG...]
#
# In a private mount namespace (unshare -m; unshare -rm, a user namespace,
# when not root), the current directory is bind-mounted at the same path
# inside ROOT (and /dev/null onto ROOT/dev/null), then PROGRAM runs
# chrooted into ROOT, in that directory: relative and absolute paths under
# the current directory mean the same inside and out. Nothing stays
# mounted on the host. Only the current directory is visible: run it from
# the repository root (make does). Exit status: PROGRAM's.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: root-exec.sh ROOT PROGRAM [ARG...]" >&2; exit 2; }
ROOT=$(realpath -e "$1") || { echo "root-exec.sh: no root $1 (make it with internal/vm/pkg-root.sh)" >&2; exit 1; }
shift
[ -e "$ROOT/.pkg-root" ] || { echo "root-exec.sh: $ROOT is not a complete package root (make it with internal/vm/pkg-root.sh)" >&2; exit 1; }
here=$(pwd -P)
[ "$here" != / ] || { echo "root-exec.sh: run it from a directory other than /" >&2; exit 1; }
mkdir -p "$ROOT$here"

ns=(-m)
[ "$(id -u)" = 0 ] || ns=(-r -m)
# The inner unshare (no new namespace) only changes root and directory.
exec unshare "${ns[@]}" -- bash -c '
  mount --bind "$2" "$1$2" && mount --bind /dev/null "$1/dev/null" || exit 125
  exec unshare --root="$1" --wd="$2" -- "${@:3}"' root-exec "$ROOT" "$here" "$@"
