package amd64

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestOptimizedComboMatchesKallsyms: the syscall probe finds the uprobe
// syscall exactly when the kernel's symbol table has its entry point.
// (Which form it optimizes is up to the error code; the usdt tests check
// that the kernel really rewrites that combo's long nop.)
func TestOptimizedComboMatchesKallsyms(t *testing.T) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Skipf("no kernel symbol table: %v", err)
	}
	defer f.Close()
	has := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 3 && fields[2] == "__x64_sys_uprobe" {
			has = true
			break
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	got := optimizedCombo()
	t.Logf("__x64_sys_uprobe in kallsyms: %v; optimized combo %q", has, got)
	if has != (got != "") {
		t.Errorf("kallsyms has __x64_sys_uprobe: %v, but the syscall probe says %q", has, got)
	}
	// It must name a combo DecodeSite reports, or nothing ever moves.
	known := got == ""
	for _, c := range combos {
		known = known || c.name == got
	}
	if !known {
		t.Errorf("optimized combo %q is none of DecodeSite's", got)
	}
}
