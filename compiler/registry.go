package compiler

import (
	"debug/elf"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/amd64"
	"github.com/usdtspec/usdtspec/arch/arm64"
	"github.com/usdtspec/usdtspec/arch/s390x"
)

// arches lists the supported architectures. Adding one is a folder under
// arch/ and a line here.
var arches = []*arch.Arch{
	amd64.Arch,
	arm64.Arch,
	s390x.Arch,
}

// ArchFor returns the grammar for an ELF machine, or nil.
func ArchFor(m elf.Machine) *arch.Arch {
	for _, a := range arches {
		if a.Machine == m {
			return a
		}
	}
	return nil
}

// ArchNamed returns the grammar called name ("amd64", ...), or nil. The
// attach library uses it with runtime.GOARCH to know the tracing kernel's
// pt_regs.
func ArchNamed(name string) *arch.Arch {
	for _, a := range arches {
		if a.Name == name {
			return a
		}
	}
	return nil
}
