package amd64

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
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
	if runtime.GOARCH != "amd64" {
		t.Skip("needs an x86_64 host compiler and <asm/ptrace.h>")
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include <asm/ptrace.h>\nint main(void) {\n")
	for field := range families {
		src.WriteString("printf(\"" + field + " %zu\\n\", offsetof(struct pt_regs, " + field + "));\n")
	}
	src.WriteString("return 0; }\n")
	dir := t.TempDir()
	c := filepath.Join(dir, "off.c")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "off")
	if out, err := exec.Command(gcc, "-o", bin, c).CombinedOutput(); err != nil {
		t.Skipf("cannot compile against <asm/ptrace.h> (install linux-libc-dev): %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		field, offText, _ := strings.Cut(line, " ")
		off, _ := strconv.Atoi(offText)
		for _, name := range families[field] {
			seen++
			if got, ok := ptRegs[name]; !ok || int(got) != off {
				t.Errorf("ptRegs[%q] = %d (present %v), C says offsetof(struct pt_regs, %s) = %d", name, got, ok, field, off)
			}
		}
	}
	if seen != len(ptRegs) {
		t.Errorf("checked %d names, table has %d: a name has no family here", seen, len(ptRegs))
	}
}
