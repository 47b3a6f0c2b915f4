// Package bpf holds usdtspec's BPF side: usdt.bpf.h, the C header a BPF
// program includes to read the arguments of the USDT probe that fired
// (bpf_usdt_arg, bpf_usdt_arg_cnt, bpf_usdt_arg_size, bpf_usdt_cookie,
// BPF_USDT: libbpf's <bpf/usdt.bpf.h> API) from the specs that package
// usdt writes when it attaches the program. The header and package usdt
// must come from the same version of this module: the spec map's layout
// and the variables usdt sets before load are a contract between them.
//
// Header returns the header of this version. The usdtspec command writes
// it where a build finds it; with bpf2go, in the package of the BPF
// program:
//
//	//go:generate go run github.com/usdtspec/usdtspec/cmd/usdtspec header -o include
//	//go:generate go run github.com/cilium/ebpf/cmd/bpf2go prog prog.bpf.c -- -I include
//
// and in prog.bpf.c:
//
//	#include "vmlinux.h" // or <linux/types.h>, <linux/bpf.h>, ...
//	#include <bpf/bpf_helpers.h>
//	#include "usdt.bpf.h"
//
// go run without @version builds the usdtspec of the go.mod that requires
// this module, so the header written matches the package usdt compiled in.
package bpf

import (
	"bytes"
	_ "embed"
)

// HeaderName is the header's file name, as a BPF program includes it.
const HeaderName = "usdt.bpf.h"

//go:embed usdt.bpf.h
var header []byte

// Header returns a copy of usdt.bpf.h as of this version of the module.
func Header() []byte { return bytes.Clone(header) }
