// Package testprog is a small BPF program that uses bpf/usdt.bpf.h, for
// the usdt package's tests and example: it counts hits per
// bpf_usdt_cookie and keeps the last hit's arguments.
package testprog

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type last_hit count count.bpf.c -- -I../../bpf -I/usr/include/$MULTIARCH

// Load returns the program's CollectionSpec.
var Load = loadCount

// LastHit is the value of the "last" map.
type LastHit = countLastHit
