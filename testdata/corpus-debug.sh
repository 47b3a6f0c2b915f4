#!/usr/bin/env bash
# corpus-debug.sh — fetch the separate debug files that the corpus's
# stripped files need: glibc's libc.so.6 has lost .symtab, and its
# memory_* probes name local variables ("mp_", "perturb_byte") that only
# the debug file's symbol table holds. For each suite fetch.sh fetched,
# and each architecture of DEBUG_ARCHES whose libc6 .deb is there, this
# downloads libc6-dbg of exactly that version through fetch.sh's private
# apt root (never the host's) and unpacks it to
# $CORPUS_DIR/debug/SUITE/ARCH/usr/lib/debug, where TestCorpus looks
# (by build-id, .build-id/NN/….debug).
#
# usage: [CORPUS_DIR=DIR] [DEBUG_ARCHES="amd64 i386"] bash testdata/corpus-debug.sh
# (CORPUS_DIR's default is the Makefile's: $USDTSPEC_CACHE/corpus, ~/.cache/usdtspec/corpus)
set -euo pipefail
W=${CORPUS_DIR:-${USDTSPEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usdtspec}/corpus}
DEBUG_ARCHES=${DEBUG_ARCHES:-amd64 i386}
status=0
for root in "$W"/apt-*; do
	[ -f "$root/apt.conf" ] || continue
	suite=${root##*/apt-}
	for a in $DEBUG_ARCHES; do
		deb=$(ls "$W/debs/$suite/$a"/libc6_*.deb 2>/dev/null | head -1 || true)
		[ -n "$deb" ] || continue
		v=$(dpkg-deb -f "$deb" Version)
		out=$W/debug/$suite/$a
		if [ -f "$out/.done-$v" ]; then
			continue
		fi
		dl=$W/debug-debs/$suite/$a
		mkdir -p "$dl"
		if ! (cd "$dl" && APT_CONFIG=$root/apt.conf apt-get download -q "libc6-dbg:$a=$v" >/dev/null 2>"$dl/download.err"); then
			echo "corpus-debug: libc6-dbg:$a=$v ($suite): $(tail -1 "$dl/download.err")" >&2
			status=1
			continue
		fi
		rm -rf "$out" && mkdir -p "$out"
		dpkg -x "$dl"/libc6-dbg_*.deb "$out"
		rm -f "$dl"/libc6-dbg_*.deb
		touch "$out/.done-$v"
		echo "corpus-debug: $suite $a libc6-dbg $v: $(find "$out/usr/lib/debug" -name '*.debug' | wc -l) debug files"
	done
done
exit $status
