module github.com/usdtspec/usdtspec

go 1.26.0

require (
	github.com/cavaliergopher/cpio v1.0.1
	github.com/cilium/ebpf v0.22.0
	github.com/google/go-cmp v0.7.0
	github.com/rogpeppe/go-internal v1.16.0
	golang.org/x/arch v0.33.0
	golang.org/x/sys v0.43.0
)

require golang.org/x/tools v0.40.1-0.20260108161641-ca281cf95054 // indirect

tool github.com/cilium/ebpf/cmd/bpf2go
