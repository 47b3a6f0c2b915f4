package compiler

import (
	"debug/elf"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/arch/amd64"
	"github.com/usdtspec/usdtspec/arch/arm"
	"github.com/usdtspec/usdtspec/arch/arm64"
	"github.com/usdtspec/usdtspec/arch/i386"
	"github.com/usdtspec/usdtspec/arch/loong64"
	"github.com/usdtspec/usdtspec/arch/mips64"
	"github.com/usdtspec/usdtspec/arch/ppc64"
	"github.com/usdtspec/usdtspec/arch/riscv64"
	"github.com/usdtspec/usdtspec/arch/s390x"
)

// arches lists the supported architectures. Adding one is a folder under
// arch/, a line here, and a row in internal/vm/matrix.tsv (its QEMU guest,
// cross compiler and Debian names).
var arches = []*arch.Arch{
	amd64.Arch,
	arm64.Arch,
	s390x.Arch,
	riscv64.Arch,
	ppc64.Arch,
	i386.Arch,
	arm.Arch,
	loong64.Arch,
	mips64.Arch,
}

// ArchFor returns the grammar for an ELF machine and class, or nil.
func ArchFor(m elf.Machine, c elf.Class) *arch.Arch {
	for _, a := range arches {
		if a.Machine == m && a.Class == c {
			return a
		}
	}
	return nil
}

// ArchNamed returns the architecture called name ("amd64", ...), or nil.
func ArchNamed(name string) *arch.Arch {
	for _, a := range arches {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// ArchForGOARCH returns the architecture whose kernel a Go program built
// for goarch runs on ("ppc64le" → ppc64), or nil.
func ArchForGOARCH(goarch string) *arch.Arch {
	for _, a := range arches {
		for _, g := range a.GOARCH {
			if g == goarch {
				return a
			}
		}
	}
	return nil
}

// Arches lists the supported architectures.
func Arches() []*arch.Arch { return arches }
