package bpf_test

import (
	"fmt"
	"regexp"

	"github.com/usdtspec/usdtspec/bpf"
)

// The header's include guard and the API it gives a BPF program: the
// functions and the BPF_USDT macro of libbpf's <bpf/usdt.bpf.h>.
func ExampleHeader() {
	h := bpf.Header()
	guard := regexp.MustCompile(`(?m)^#ifndef (\w+_H__)$`).FindSubmatch(h)
	fmt.Printf("%s: include guard %s\n", bpf.HeaderName, guard[1])
	api := regexp.MustCompile(`(?m)^(?:__attribute__\(\(unused\)\) )?static __always_inline \w+ (bpf_usdt_\w+)\(|^#define (BPF_USDT)\(`)
	for _, m := range api.FindAllSubmatch(h, -1) {
		fmt.Printf("%s%s\n", m[1], m[2])
	}
	// Output:
	// usdt.bpf.h: include guard __USDTSPEC_USDT_BPF_H__
	// bpf_usdt_arg_cnt
	// bpf_usdt_arg_size
	// bpf_usdt_arg
	// bpf_usdt_cookie
	// BPF_USDT
}
