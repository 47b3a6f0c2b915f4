package main

// hit.bpf.c against usdtspec's bpf/usdt.bpf.h; `make generate` rebuilds it.
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb hit hit.bpf.c -- -I../../bpf -I/usr/include/$MULTIARCH
