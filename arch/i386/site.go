package i386

import "github.com/usdtspec/usdtspec/arch/amd64"

// i386 call sites decode as 32-bit x86 code. There is no OptimizedCombo:
// the kernel optimizes uprobes of 64-bit tasks only (can_optimize in
// arch/x86/kernel/uprobes.c wants insn->x86_64), so a nop combo in an
// i386 program is shown but never attached on its long nop.
func init() { Arch.DecodeSite = amd64.SiteDecoder(32) }
