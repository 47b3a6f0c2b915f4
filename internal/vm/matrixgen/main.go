// Command matrixgen prints the architecture matrix (internal/vm/matrix.tsv)
// as make variables, for the Makefile's build/matrix.mk:
//
//	VM_ARCHES          every row's arch, in the table's order
//	VM_MATRIX          ARCH:SUITE for every kernel of every row, comma-separated
//	                   (?=: a command line or the environment can narrow it)
//	VM_GOARCHES        the guests' GOARCHes, each once
//	VM_CORPUS_DEBIAN   the Debian architectures the corpus fetches
//	VM_GOARCH_ARCH, VM_DEBIAN_ARCH, VM_TRIPLE_ARCH, VM_CFLAGS_ARCH, VM_ROOT_ARCH
//	                   one row's columns ("" for '-')
//
// usage: go run ./internal/vm/matrixgen > build/matrix.mk
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/usdtspec/usdtspec/internal/vm"
)

func main() {
	w := bufio.NewWriter(os.Stdout)
	ms := vm.Machines()
	var arches, matrix, goarches, corpus []string
	for _, m := range ms {
		arches = append(arches, m.Arch)
		for _, k := range m.Kernels {
			matrix = append(matrix, m.Arch+":"+k)
		}
		if !slices.Contains(goarches, m.GOARCH) {
			goarches = append(goarches, m.GOARCH)
		}
		if m.Corpus && !slices.Contains(corpus, m.Debian) {
			corpus = append(corpus, m.Debian)
		}
	}
	set := func(name, op string, words ...string) {
		fmt.Fprintf(w, "%s %s", name, op)
		if v := strings.Join(words, " "); v != "" {
			fmt.Fprintf(w, " %s", v)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "# Generated from internal/vm/matrix.tsv by `go run ./internal/vm/matrixgen`; do not edit.")
	set("VM_ARCHES", ":=", arches...)
	set("VM_MATRIX", "?=", strings.Join(matrix, ","))
	set("VM_GOARCHES", ":=", goarches...)
	set("VM_CORPUS_DEBIAN", ":=", corpus...)
	for _, m := range ms {
		set("VM_GOARCH_"+m.Arch, ":=", m.GOARCH)
		set("VM_DEBIAN_"+m.Arch, ":=", m.Debian)
		set("VM_TRIPLE_"+m.Arch, ":=", m.Triple)
		set("VM_CFLAGS_"+m.Arch, ":=", m.CFlags...)
		set("VM_ROOT_"+m.Arch, ":=", m.Root)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "matrixgen:", err)
		os.Exit(1)
	}
}
