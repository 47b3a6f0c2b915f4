package amd64

import (
	"debug/elf"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/usdtspec/usdtspec/internal/archtest"
)

// families groups every accepted register name under the struct pt_regs
// field it reads.
var families = map[string][]string{
	"r15": {"r15", "r15d", "r15w", "r15b"}, "r14": {"r14", "r14d", "r14w", "r14b"},
	"r13": {"r13", "r13d", "r13w", "r13b"}, "r12": {"r12", "r12d", "r12w", "r12b"},
	"r11": {"r11", "r11d", "r11w", "r11b"}, "r10": {"r10", "r10d", "r10w", "r10b"},
	"r9": {"r9", "r9d", "r9w", "r9b"}, "r8": {"r8", "r8d", "r8w", "r8b"},
	"rbp": {"rbp", "ebp", "bp", "bpl"}, "rbx": {"rbx", "ebx", "bx", "bl"},
	"rax": {"rax", "eax", "ax", "al"}, "rcx": {"rcx", "ecx", "cx", "cl"},
	"rdx": {"rdx", "edx", "dx", "dl"}, "rsi": {"rsi", "esi", "si", "sil"},
	"rdi": {"rdi", "edi", "di", "dil"}, "rip": {"rip", "eip"},
	"rsp": {"rsp", "esp", "sp", "spl"},
}

// TestPtRegsAgainstC checks the table against offsetof(struct pt_regs, f)
// as the host's C compiler lays out <asm/ptrace.h>.
func TestPtRegsAgainstC(t *testing.T) {
	field := make(map[string]string, len(ptRegs))
	for f, names := range families {
		for _, name := range names {
			if _, ok := ptRegs[name]; !ok {
				t.Errorf("family %s: %q is not in the table", f, name)
			}
			field[name] = f
		}
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("needs an x86_64 host compiler and <asm/ptrace.h>")
	}
	header := "/usr/include/x86_64-linux-gnu/asm/ptrace.h"
	if out, err := exec.Command("gcc", "-print-multiarch").Output(); err == nil {
		if triplet := strings.TrimSpace(string(out)); triplet != "" {
			header = "/usr/include/" + triplet + "/asm/ptrace.h"
		}
	}
	// CheckKernelOffsets fails on a table name without a family.
	archtest.CheckKernelOffsets(t, "gcc", header, elf.EM_X86_64, "struct pt_regs", ptRegs,
		func(name string) (string, bool) {
			f, ok := field[name]
			return f, ok
		})
}
