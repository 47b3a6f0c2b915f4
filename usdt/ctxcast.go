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

// ctxCastKfunc is the kfunc bpf/usdt.bpf.h calls to read the context in
// place.
const ctxCastKfunc = "bpf_rdonly_cast"

// dropContextCast replaces the header's calls of bpf_rdonly_cast, dead
// where __usdtspec_ctx_cast stays 0, by what the verifier turns them into
// (r0 = r1). A kfunc call is refused at load wherever the JIT is off
// ("JIT is required for calling kernel function"), dead or not; where the
// kernel lacks the kfunc, cilium/ebpf would poison the weak call itself.
func dropContextCast(spec *ebpf.CollectionSpec) {
	for _, p := range spec.Programs {
		for i, ins := range p.Instructions {
			if !ins.IsKfuncCall() || ins.Reference() != ctxCastKfunc {
				continue
			}
			mov := asm.Mov.Reg(asm.R0, asm.R1).WithSymbol(ins.Symbol())
			if src := ins.Source(); src != nil {
				mov = mov.WithSource(src)
			}
			if fn := btf.FuncMetadata(&ins); fn != nil {
				mov = btf.WithFuncMetadata(mov, fn)
			}
			p.Instructions[i] = mov
		}
	}
}
