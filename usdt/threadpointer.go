package usdt

import (
	"fmt"
	"sync"

	"github.com/cilium/ebpf/btf"
)

// threadPointerVarName is bpf/usdt.bpf.h's offset of the user thread
// pointer in struct task_struct, the base of thread-local operands.
const threadPointerVarName = "__usdtspec_thread_pointer_offset"

var kernelTypes = sync.OnceValues(btf.LoadKernelSpec)

// threadPointerOffset finds the byte offset of the member path (from
// arch.Arch.ThreadPointer, e.g. thread.fsbase) in the running kernel's
// struct task_struct, from its BTF. The offset depends on the kernel's
// build, and asking here rather than through a CO-RE relocation in the
// header keeps programs loadable on kernels without BTF, where
// thread-local arguments alone fail.
func threadPointerOffset(path []string) (uint32, error) {
	spec, err := kernelTypes()
	if err != nil {
		return 0, fmt.Errorf("kernel BTF: %w", err)
	}
	t, err := spec.AnyTypeByName("task_struct")
	if err != nil {
		return 0, fmt.Errorf("kernel BTF: %w", err)
	}
	var off btf.Bits
	for _, name := range path {
		s, ok := btf.UnderlyingType(t).(*btf.Struct)
		if !ok {
			return 0, fmt.Errorf("kernel BTF: %s is not a struct before member %q", t.TypeName(), name)
		}
		m, at, ok := findMember(s.Members, name)
		if !ok {
			return 0, fmt.Errorf("kernel BTF: struct %s has no member %q", s.Name, name)
		}
		off += at
		t = m.Type
	}
	if off%8 != 0 {
		return 0, fmt.Errorf("kernel BTF: member %v is a bit-field", path)
	}
	return uint32(off / 8), nil
}

// findMember finds a member by name, also inside anonymous structs and
// unions, with its bit offset from the start of the enclosing struct.
func findMember(members []btf.Member, name string) (btf.Member, btf.Bits, bool) {
	for _, m := range members {
		if m.Name == name {
			return m, m.Offset, true
		}
		if m.Name != "" {
			continue
		}
		var inner []btf.Member
		switch c := btf.UnderlyingType(m.Type).(type) {
		case *btf.Struct:
			inner = c.Members
		case *btf.Union:
			inner = c.Members
		}
		if found, at, ok := findMember(inner, name); ok {
			return found, m.Offset + at, true
		}
	}
	return btf.Member{}, 0, false
}
