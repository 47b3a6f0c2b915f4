//go:build !(linux && amd64)

package amd64

// optimizedCombo: only an x86-64 Linux host can ask its kernel (the
// syscall number is x86-64's), and a kernel of another architecture
// never traces x86-64 programs.
func optimizedCombo() string { return "" }
