package usdt

import (
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// ctxCastVarName is bpf/usdt.bpf.h's switch between reading a register
// at a variable offset of the context in place (1) and from a copy of
// the context on the stack (0).
const ctxCastVarName = "__usdtspec_ctx_cast"

// ctxCast reports whether the running kernel lets a uprobe program read
// its context at a variable offset through bpf_rdonly_cast(ctx, 0)
// (Linux 6.17 and later). It loads the smallest program that does so:
// the answer depends on the verifier, not on the kfunc's presence alone
// (it exists since 6.2 but refused a cast to void before 6.17).
var ctxCast = sync.OnceValue(func() bool {
	spec, err := kernelTypes()
	if err != nil {
		return false
	}
	var fn *btf.Func
	if err := spec.TypeByName("bpf_rdonly_cast", &fn); err != nil {
		return false
	}
	id, err := spec.TypeID(fn)
	if err != nil {
		return false
	}
	prog, err := ebpf.NewProgramWithOptions(&ebpf.ProgramSpec{
		Type:    ebpf.Kprobe,
		License: "GPL",
		Instructions: asm.Instructions{
			// A scalar the verifier knows only as 0..120, 8-aligned.
			asm.LoadMem(asm.R6, asm.R1, 0, asm.DWord),
			asm.And.Imm(asm.R6, 0x78),
			// r0 = bpf_rdonly_cast(ctx, 0)
			asm.Mov.Imm(asm.R2, 0),
			{OpCode: asm.OpCode(asm.JumpClass).SetJumpOp(asm.Call), Src: asm.PseudoKfuncCall, Constant: int64(id)},
			asm.Add.Reg(asm.R0, asm.R6),
			asm.LoadMem(asm.R0, asm.R0, 0, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
	}, ebpf.ProgramOptions{})
	if err != nil {
		return false
	}
	prog.Close()
	return true
})
