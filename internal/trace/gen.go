package trace

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type event trace trace.bpf.c -- -I../../bpf -I/usr/include/$MULTIARCH
