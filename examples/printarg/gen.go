package main

// printarg.bpf.c against this module's bpf/usdt.bpf.h; `make generate`
// rebuilds the committed objects. In a module of your own, write the
// header first (go tool usdtspec header -o bpf) and pass -I bpf.
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type event printarg printarg.bpf.c -- -I../../bpf -I/usr/include/$MULTIARCH
