package conformance

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type hit conform conform.bpf.c -- -I../bpf -I/usr/include/$MULTIARCH
