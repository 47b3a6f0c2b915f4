# matrix.sh — sourced by install-tools.sh, pkg-root.sh and fetch-kernel.sh
# when they run on their own: the architecture matrix (matrix.tsv, next to
# this file; its comments describe the columns) read with awk. When Go runs
# pkg-root.sh and fetch-kernel.sh embedded, it passes what they would look
# up here on their command line instead.
#
# needs: awk, a die function.

MATRIX=${MATRIX:-$(dirname "${BASH_SOURCE[0]}")/matrix.tsv}

# matrix_cols COLUMN...: the named columns of every row, tab-separated,
# one row a line, in the table's order.
matrix_cols() {
  [ -r "$MATRIX" ] || die "no architecture table $MATRIX"
  awk -F'\t' -v want="$*" '
    /^#/ || /^[[:space:]]*$/ { next }
    !header {
      for (i = 1; i <= NF; i++) col[$i] = i
      n = split(want, w, " ")
      for (j = 1; j <= n; j++) if (!(w[j] in col)) { print FILENAME ": no column " w[j] > "/dev/stderr"; exit 2 }
      header = 1; next
    }
    { out = $(col[w[1]]); for (j = 2; j <= n; j++) out = out "\t" $(col[w[j]]); print out }' "$MATRIX"
}

# matrix_kernel_meta DEBARCH: the kernel meta package of the rows whose
# kernel is of Debian architecture DEBARCH; nothing when there is none.
matrix_kernel_meta() {
  matrix_cols kernel_debian kernel_meta | awk -F'\t' -v d="$1" '$1 == d { print $2; exit }'
}

# matrix_root_packages SUITE: the packages of the package root of SUITE,
# one a line: for every row with that root, its QEMU package and its cross
# gcc, g++ and libc (the same list as the Go side's vm.RootPackages).
matrix_root_packages() {
  matrix_cols root qemu_package triple debian | awk -F'\t' -v s="$1" '
    $1 == s {
      print $2
      if ($3 != "-") print "gcc-" $3 "\n" "g++-" $3 "\n" "libc6-dev-" $4 "-cross"
    }' | sort -u
}

# matrix_host_packages: the host packages of the rows without a package
# root, one a line: the QEMU package, and the cross gcc and g++ (which
# bring their libc) when the row has a triple.
matrix_host_packages() {
  matrix_cols root qemu_package triple | awk -F'\t' '
    $1 == "-" && !seen[$2]++ { print $2 }
    $1 == "-" && $3 != "-" && !seen[$3]++ { print "gcc-" $3 "\n" "g++-" $3 }'
}

# matrix_roots: the suites of the package roots the table names, one a line.
matrix_roots() {
  matrix_cols root | awk '$1 != "-" && !seen[$1]++'
}
