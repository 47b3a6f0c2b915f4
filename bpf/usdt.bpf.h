/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * usdt.bpf.h — the BPF side of usdtspec: libbpf's usdt.bpf.h API
 * (bpf_usdt_arg, bpf_usdt_arg_cnt, bpf_usdt_arg_size, bpf_usdt_cookie,
 * BPF_USDT) over libbpf's v1.7 spec layout, loadable by cilium/ebpf:
 *
 *  - the maps are ordinary (not __weak) definitions, and the spec map is
 *    sized by the Go side before load (usdt.Prepare), not capped at 256;
 *  - there is no LINUX_HAS_BPF_COOKIE kconfig extern: the Go side sets the
 *    read-only variable __usdtspec_has_cookie before load, and the
 *    verifier drops the branch that is not taken;
 *  - the instruction pointer's offset in pt_regs, needed only by the
 *    IP-to-spec-id fallback, is also set by the Go side
 *    (__usdtspec_ip_offset), so this header has no architecture #ifdef.
 *
 * A program written against libbpf's <bpf/usdt.bpf.h> builds against this
 * header by changing only its include line.
 */
#ifndef __USDTSPEC_USDT_BPF_H__
#define __USDTSPEC_USDT_BPF_H__

#include <linux/errno.h>
#include <bpf/bpf_helpers.h>

struct pt_regs;

#ifndef BPF_USDT_MAX_ARG_CNT
#define BPF_USDT_MAX_ARG_CNT 12
#endif
/* The spec map's size in the object; usdt.Prepare resizes it to the number
 * of distinct specs the attachments need. */
#ifndef BPF_USDT_MAX_SPEC_CNT
#define BPF_USDT_MAX_SPEC_CNT 1
#endif
#ifndef BPF_USDT_MAX_IP_CNT
#define BPF_USDT_MAX_IP_CNT 1
#endif

enum __bpf_usdt_arg_type {
	BPF_USDT_ARG_CONST,
	BPF_USDT_ARG_REG,
	BPF_USDT_ARG_REG_DEREF,
	BPF_USDT_ARG_SIB,
};

/* usdtspec's argument types beyond libbpf's (the Go side's layout
 * "v1.7+usdtspec"), from 0x80 so that types libbpf adds cannot collide;
 * libbpf's decoder returns -EINVAL for them. tp is the thread pointer. */
#define __USDTSPEC_ARG_INDEX 0x80	  /* *(idx << scale + off): no base register */
#define __USDTSPEC_ARG_TLS 0x81	  /* *(tp + off) */
#define __USDTSPEC_ARG_TLS_DEREF 0x82 /* *(tp + base + off) */
#define __USDTSPEC_ARG_TLS_SIB 0x83	  /* *(tp + base + idx << scale + off) */
#define __USDTSPEC_ARG_TLS_INDEX 0x84 /* *(tp + idx << scale + off) */
#define __USDTSPEC_ARG_PAIR      0x85 /* (u32)reg | idx << 32: a 32-bit program's 64-bit value */
/* An argument that did not compile: bpf_usdt_arg returns -EINVAL for it
 * alone (any type this decoder does not know does). */
#define __USDTSPEC_ARG_FAILING 0xff

/* libbpf >= 1.7 layout: 24 bytes. The bit-fields are declared in reverse
 * on big-endian so that both byte orders put reg_off at byte 14. */
struct __bpf_usdt_arg_spec {
	__u64 val_off;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	enum __bpf_usdt_arg_type arg_type: 8;
	__u16 idx_reg_off: 12;
	__u16 scale_bitshift: 4;
	__u8 __reserved: 8;
#else
	__u8 __reserved: 8;
	__u16 idx_reg_off: 12;
	__u16 scale_bitshift: 4;
	enum __bpf_usdt_arg_type arg_type: 8;
#endif
	short reg_off;
	_Bool arg_signed;
	char arg_bitshift;
};

/* 304 bytes. */
struct __bpf_usdt_spec {
	struct __bpf_usdt_arg_spec args[BPF_USDT_MAX_ARG_CNT];
	__u64 usdt_cookie;
	short arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPF_USDT_MAX_SPEC_CNT);
	__type(key, int);
	__type(value, struct __bpf_usdt_spec);
} __bpf_usdt_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPF_USDT_MAX_IP_CNT);
	__type(key, long);
	__type(value, __u32);
} __bpf_usdt_ip_to_spec_id SEC(".maps");

/* Set by the Go side before load. */
volatile const _Bool __usdtspec_has_cookie = 1;
volatile const __u32 __usdtspec_ip_offset = 0;
volatile const __u32 __usdtspec_thread_pointer_offset = 0;
/* Tells the Go side that this header decodes usdtspec's extension types
 * (layout "v1.7+usdtspec"); never read here. */
volatile const __u32 __usdtspec_extensions = 1;

static __always_inline int __bpf_usdt_spec_id(struct pt_regs *ctx)
{
	if (__usdtspec_has_cookie)
		return (int)bpf_get_attach_cookie(ctx);

	long ip = 0;
	__u32 *id;

	if (bpf_probe_read_kernel(&ip, sizeof(ip), (void *)ctx + __usdtspec_ip_offset))
		return -ESRCH;
	id = bpf_map_lookup_elem(&__bpf_usdt_ip_to_spec_id, &ip);
	return id ? (int)*id : -ESRCH;
}

static __always_inline struct __bpf_usdt_spec *__bpf_usdt_lookup(struct pt_regs *ctx)
{
	int id = __bpf_usdt_spec_id(ctx);

	if (id < 0)
		return 0;
	return bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
}

/* Number of arguments of the USDT call site that fired, or -ESRCH. */
__attribute__((unused)) static __always_inline int bpf_usdt_arg_cnt(struct pt_regs *ctx)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_lookup(ctx);

	return spec ? spec->arg_cnt : -ESRCH;
}

/* Byte size of argument n (1, 2, 4 or 8), -ESRCH or -ENOENT. */
__attribute__((unused)) static __always_inline int bpf_usdt_arg_size(struct pt_regs *ctx, __u64 n)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_lookup(ctx);

	if (!spec)
		return -ESRCH;
	if (n >= BPF_USDT_MAX_ARG_CNT || n >= (__u64)spec->arg_cnt)
		return -ENOENT;
	return (__u32)(64 - (unsigned char)spec->args[n].arg_bitshift) / 8;
}

/* The size of the kernel's pt_regs (the uprobe program's context), as far
 * as __usdtspec_reg may load from it directly: 152, what every 64-bit
 * kernel has (s390x's user_pt_regs is the smallest). A loader may set it
 * before load (72 on 32-bit arm); the verifier knows its value and prunes
 * the loads beyond it. */
volatile const __u32 __usdtspec_ctx_size = 152;

/* How a register whose offset comes from the spec is read, two ways.
 *
 * Where the kernel lets bpf_rdonly_cast(ctx, 0) make the context an
 * untrusted read-only pointer (6.17 and later), the register is one load
 * at a variable offset from it: the verifier turns the kfunc call into a
 * move and the load into one the JIT emits as a plain load with an
 * exception table entry. The Go side tries that once with a small program
 * and sets __usdtspec_ctx_cast; the verifier knows its value and prunes
 * the other way. The kfunc is weak, so an object still loads on kernels
 * without it (before 6.2), where it is never called.
 *
 * Elsewhere the verifier allows only constant offsets into the context,
 * but a bounded variable index into the stack, so the context's registers
 * are copied to the stack once per hit and a register is one load from
 * the copy, without a helper call or a switch over the offsets (which,
 * inlined for every argument, made BPF_USDT's code tens of kilobytes).
 * Each word is copied only if it lies inside __usdtspec_ctx_size; the
 * verifier knows that value and drops the other loads. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
volatile const _Bool __usdtspec_ctx_cast = 0;

#define __USDTSPEC_CTX_WORDS 19
/* The copy is indexed by a variable word number, masked to 0..31: older
 * verifiers (6.1) refuse a variable-offset stack read unless the mask
 * bounds it and every slot it may reach is written, so the copy has 32
 * words and those the context lacks are 0. */
#define __USDTSPEC_REGS_MASK 31
struct __usdtspec_regs {
	/* The context as untrusted memory, or 0 where w holds the copy. */
	const char *cast;
	unsigned long w[__USDTSPEC_REGS_MASK + 1];
};

#define __USDTSPEC_CTX_WORD(i)						\
	if ((i) * 8 + 8 <= size)					\
		regs->w[i] = *(unsigned long *)((void *)ctx + (i) * 8);	\
	else								\
		regs->w[i] = 0;
static __always_inline void __usdtspec_copy_regs(struct pt_regs *ctx, struct __usdtspec_regs *regs)
{
	__u32 size = __usdtspec_ctx_size;

	regs->cast = 0;
	__USDTSPEC_CTX_WORD(0) __USDTSPEC_CTX_WORD(1) __USDTSPEC_CTX_WORD(2)
	__USDTSPEC_CTX_WORD(3) __USDTSPEC_CTX_WORD(4) __USDTSPEC_CTX_WORD(5)
	__USDTSPEC_CTX_WORD(6) __USDTSPEC_CTX_WORD(7) __USDTSPEC_CTX_WORD(8)
	__USDTSPEC_CTX_WORD(9) __USDTSPEC_CTX_WORD(10) __USDTSPEC_CTX_WORD(11)
	__USDTSPEC_CTX_WORD(12) __USDTSPEC_CTX_WORD(13) __USDTSPEC_CTX_WORD(14)
	__USDTSPEC_CTX_WORD(15) __USDTSPEC_CTX_WORD(16) __USDTSPEC_CTX_WORD(17)
	__USDTSPEC_CTX_WORD(18)
	for (int i = __USDTSPEC_CTX_WORDS; i <= __USDTSPEC_REGS_MASK; i++)
		regs->w[i] = 0;
}
#undef __USDTSPEC_CTX_WORD

/* Makes regs ready for __usdtspec_reg: the cast where the kernel allows
 * it, the copy elsewhere. */
static __always_inline void __usdtspec_load_regs(struct pt_regs *ctx, struct __usdtspec_regs *regs)
{
	if (__usdtspec_ctx_cast)
		regs->cast = bpf_rdonly_cast(ctx, 0);
	else
		__usdtspec_copy_regs(ctx, regs);
}

/* One 8-byte load from the context read in place, as an instruction of
 * its own: clang would otherwise merge it with the load from the copy (or
 * from a map value) on the other side of a branch into one instruction
 * used with two kinds of pointer, which the verifier refuses ("same insn
 * cannot be used with different pointers"), even where it knows only one
 * side is ever taken. */
static __always_inline unsigned long __usdtspec_load_in_place(const char *p)
{
	unsigned long v;

	asm volatile("%[v] = *(u64 *)(%[p] + 0)" : [v] "=r"(v) : [p] "r"(p));
	return v;
}

/* The register at byte offset off of pt_regs, which the caller has
 * checked is 8-byte aligned and inside __usdtspec_ctx_size. */
static __always_inline unsigned long __usdtspec_word(const struct __usdtspec_regs *regs, unsigned int off)
{
	unsigned int w = off >> 3;

	if (__usdtspec_ctx_cast)
		return __usdtspec_load_in_place(regs->cast + off);
	/* The barrier keeps clang from dropping the mask, which the
	 * caller's check makes redundant to it but not to every verifier. */
	barrier_var(w);
	return regs->w[w & __USDTSPEC_REGS_MASK];
}

/* Reads the register at byte offset off of pt_regs into *val: from regs
 * where off is inside __usdtspec_ctx_size and aligned, else with
 * bpf_probe_read_kernel (an offset past it fails there too). */
static __always_inline int __usdtspec_reg(struct pt_regs *ctx, const struct __usdtspec_regs *regs,
					  unsigned int off, unsigned long *val)
{
	if (off + 8 <= __usdtspec_ctx_size && !(off & 7)) {
		*val = __usdtspec_word(regs, off);
		return 0;
	}
	return bpf_probe_read_kernel(val, sizeof(*val), (void *)ctx + off);
}

/* The user thread pointer of the current task: the x86-64 %fs base, which
 * the kernel keeps in task->thread.fsbase (updated by arch_prctl and
 * clone's CLONE_SETTLS, which is how libc sets it). Its offset in
 * task_struct depends on the kernel's build, so the Go side reads it from
 * the running kernel's BTF and sets __usdtspec_thread_pointer_offset
 * before load; 0 (another architecture, or a kernel without BTF) gives
 * -EOPNOTSUPP. Not CO-RE: a CO-RE relocation in bpf_usdt_arg would make
 * every program that includes this header need kernel BTF to load, and
 * half of Debian's kernel builds have none. */
static __always_inline int __usdtspec_thread_pointer(unsigned long *tp)
{
	*tp = 0;
	if (!__usdtspec_thread_pointer_offset)
		return -EOPNOTSUPP;
	return bpf_probe_read_kernel(tp, sizeof(*tp),
				     (void *)bpf_get_current_task() + __usdtspec_thread_pointer_offset);
}

/* bpf_usdt_arg with the call site's spec already looked up. */
static __always_inline int __usdtspec_arg(struct pt_regs *ctx, const struct __usdtspec_regs *regs,
					  struct __bpf_usdt_spec *spec, __u64 n, long *res)
{
	struct __bpf_usdt_arg_spec *arg;
	unsigned long val, idx;
	unsigned int type;
	int err;

	*res = 0;
	if (!spec)
		return -ESRCH;
	if (n >= BPF_USDT_MAX_ARG_CNT)
		return -ENOENT;
	barrier_var(n);
	if (n >= (__u64)spec->arg_cnt)
		return -ENOENT;
	arg = &spec->args[n];

	/* An unsigned int, not the enum: the extension types are outside it. */
	type = arg->arg_type;
	/* A register, the common case, first: one load from the copy. */
	if (__builtin_expect(type == BPF_USDT_ARG_REG, 1)) {
		err = __usdtspec_reg(ctx, regs, (unsigned short)arg->reg_off, &val);
		if (err)
			return err;
	} else switch (type) {
	case BPF_USDT_ARG_CONST:
		val = arg->val_off;
		/* Keeps clang from merging this load with a load of the
		 * context at offset 0 (__usdtspec_load_regs): one instruction
		 * used with a map value and the context is refused by the
		 * verifier. */
		barrier_var(val);
		break;
	case __USDTSPEC_ARG_PAIR:
		/* A 32-bit program's 64-bit value in two registers: its low
		 * half in reg_off's, its high half in idx_reg_off's. */
		err = __usdtspec_reg(ctx, regs, (unsigned short)arg->reg_off, &val);
		if (err)
			return err;
		err = __usdtspec_reg(ctx, regs, arg->idx_reg_off, &idx);
		if (err)
			return err;
		val = (val & 0xffffffffUL) | idx << 32;
		break;
	case BPF_USDT_ARG_REG_DEREF:
	case BPF_USDT_ARG_SIB:
	case __USDTSPEC_ARG_INDEX:
	case __USDTSPEC_ARG_TLS:
	case __USDTSPEC_ARG_TLS_DEREF:
	case __USDTSPEC_ARG_TLS_SIB:
	case __USDTSPEC_ARG_TLS_INDEX:
		/* Base register, then index register scaled, then the thread
		 * pointer, each when the type has it, plus the displacement;
		 * memory reads are always 8 bytes, as in libbpf. */
		val = 0;
		if (type == BPF_USDT_ARG_REG_DEREF || type == BPF_USDT_ARG_SIB ||
		    type == __USDTSPEC_ARG_TLS_DEREF || type == __USDTSPEC_ARG_TLS_SIB) {
			err = __usdtspec_reg(ctx, regs, (unsigned short)arg->reg_off, &val);
			if (err)
				return err;
		}
		if (type == BPF_USDT_ARG_SIB || type == __USDTSPEC_ARG_INDEX ||
		    type == __USDTSPEC_ARG_TLS_SIB || type == __USDTSPEC_ARG_TLS_INDEX) {
			err = __usdtspec_reg(ctx, regs, arg->idx_reg_off, &idx);
			if (err)
				return err;
			val += idx << arg->scale_bitshift;
		}
		if (type >= __USDTSPEC_ARG_TLS && type <= __USDTSPEC_ARG_TLS_INDEX) {
			err = __usdtspec_thread_pointer(&idx);
			if (err)
				return err;
			val += idx;
		}
		err = bpf_probe_read_user(&val, sizeof(val), (void *)val + arg->val_off);
		if (err)
			return err;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		/* The argument's bytes are the first ones read: on big-endian
		 * they are the high bytes, so bring them down. */
		val >>= arg->arg_bitshift;
#endif
		break;
	default:
		return -EINVAL;
	}

	/* Keep the argument's low bytes, then sign- or zero-extend them. */
	val <<= arg->arg_bitshift;
	if (arg->arg_signed)
		val = ((long)val) >> arg->arg_bitshift;
	else
		val = val >> arg->arg_bitshift;
	*res = val;
	return 0;
}

/* Fetches argument n into *res, sign- or zero-extended from its size.
 * Returns 0, or -ESRCH (no spec for this call site), -ENOENT (no such
 * argument), -EINVAL (an argument that did not compile, or an unknown
 * arg_type), -EOPNOTSUPP (a thread-local argument on a kernel without
 * task->thread.fsbase) or a bpf_probe_read error; *res is 0 on error. */
__attribute__((unused)) static __always_inline int bpf_usdt_arg(struct pt_regs *ctx, __u64 n, long *res)
{
	struct __usdtspec_regs regs;

	__usdtspec_load_regs(ctx, &regs);
	return __usdtspec_arg(ctx, &regs, __bpf_usdt_lookup(ctx), n, res);
}

/* The cookie given when attaching (not the BPF cookie, which carries the
 * spec id), or 0. */
__attribute__((unused)) static __always_inline long bpf_usdt_cookie(struct pt_regs *ctx)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_lookup(ctx);

	return spec ? spec->usdt_cookie : 0;
}

/* One argument that is not a register operand, decoded as bpf_usdt_arg
 * decodes it, in a subprogram of its own: BPF_USDT's unrolled pass calls
 * it for such an argument only, so its code is there once and not once
 * per argument, and a pass that finds only registers makes no call. */
static __noinline int __usdtspec_other_arg(struct pt_regs *ctx, const struct __usdtspec_regs *regs,
					    struct __bpf_usdt_spec *spec, __u64 n, long *res)
{
	return __usdtspec_arg(ctx, regs, spec, n, res);
}

/* The first cnt arguments into vals, the loop unrolled (cnt is a
 * constant of BPF_USDT): for a register operand, the common case, one
 * load of its type and offset, one check of the offset (reading from the
 * copy only), one load of the register; every other argument through
 * __usdtspec_other_arg. cast is a constant after inlining (the
 * caller reads __usdtspec_ctx_cast once), so only one way of reading a
 * register is compiled into each copy. */
static __always_inline void __usdtspec_fetch_args(struct pt_regs *ctx, struct __bpf_usdt_spec *spec,
						  const struct __usdtspec_regs *regs,
						  long *vals, int cnt, __u32 n, unsigned long last,
						  const _Bool cast)
{
	const struct __bpf_usdt_arg_spec *arg;
	const char *cp = regs->cast;
	/* 64-bit, as the registers of BPF are: a 32-bit offset would be
	 * zero-extended again before each comparison. */
	unsigned long val, off;
	__u32 bs;

#pragma clang loop unroll(full)
	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT; i++) {
		if (i >= cnt)
			break;
		/* Past the call site's last argument: 0, as bpf_usdt_arg
		 * gives. */
		if (__builtin_expect(i >= n, 0)) {
			vals[i] = 0;
			continue;
		}
		arg = &spec->args[i];
		off = (unsigned short)arg->reg_off;
		/* Read in place, any offset is one load: one past the context
		 * reads what bpf_usdt_arg's bpf_probe_read_kernel would, and a
		 * fault gives 0 as its failure does. From the copy, one
		 * comparison rules out both an offset past the context's last
		 * word and one that is not 8-byte aligned: the low bits of an
		 * unaligned one, moved up, make it too large. */
		if (__builtin_expect(arg->arg_type != BPF_USDT_ARG_REG ||
				     (!cast && (off | (off & 7) << 16) > last), 0)) {
			__usdtspec_other_arg(ctx, regs, spec, i, &vals[i]);
			continue;
		}
		if (cast) {
			val = __usdtspec_load_in_place(cp + off);
		} else {
			__u32 w = off >> 3;

			barrier_var(w); /* keeps the mask: see __usdtspec_word */
			val = regs->w[w & __USDTSPEC_REGS_MASK];
		}
		/* An 8-byte argument (shift 0) as it is; a narrower one sign-
		 * or zero-extended. As a shift count, the unsigned byte and
		 * libbpf's signed char agree modulo 64. */
		bs = (unsigned char)arg->arg_bitshift;
		if (bs) {
			val <<= bs;
			if (arg->arg_signed)
				val = ((long)val) >> bs;
			else
				val >>= bs;
		}
		vals[i] = val;
	}
}

/* The first cnt arguments into vals, read in place, when every one of
 * them is a register operand, as __usdtspec_fetch_args would fetch them,
 * in straight-line code: each argument loads its register offset, its
 * register, its shift and sign, with no branch (the sign- or zero-
 * extension done by masks), and folds its check into one word tested
 * once at the end. Returns 0 when some argument is not a register
 * operand, or the call site has fewer than cnt arguments: vals is then
 * partly garbage, and the caller fetches them again with
 * __usdtspec_fetch_args. A branch per argument, as there, cost about
 * 2 ns an argument more on the bench (BPF_USDT's 12 arguments). Only in
 * place: from the copy, the same code needs more stack than BPF's 512
 * bytes leave beside the copy. */
static __always_inline int __usdtspec_fetch_in_place(const struct __bpf_usdt_spec *spec,
						     const struct __usdtspec_regs *regs,
						     long *vals, int cnt, __u32 n)
{
	const struct __bpf_usdt_arg_spec *arg;
	unsigned long val, bs, sign, bad;

	/* n < cnt sets the top bit. */
	bad = ((unsigned long)n - cnt) >> 63;
#pragma clang loop unroll(full)
	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT; i++) {
		if (i >= cnt)
			break;
		arg = &spec->args[i];
		bad |= arg->arg_type ^ BPF_USDT_ARG_REG;
		val = __usdtspec_load_in_place(regs->cast + (unsigned short)arg->reg_off);
		bs = (unsigned char)arg->arg_bitshift;
		sign = -(unsigned long)(unsigned char)arg->arg_signed;
		val <<= bs;
		vals[i] = ((unsigned long)((long)val >> bs) & sign) | ((val >> bs) & ~sign);
		/* One argument at a time: hoisted, the loads would each
		 * hold a register, and the spills pass the 512 bytes. */
		barrier();
	}
	return !bad;
}

/* The first cnt arguments of the call site that fired into vals, fetched
 * as bpf_usdt_arg does (a failed fetch gives 0): the spec looked up and
 * the context made readable once (__usdtspec_load_regs), then one
 * unrolled pass. (Before, one rolled loop decoded every kind inline:
 * twelve inlined copies of the decoding of every operand kind had made
 * BPF_USDT's program about eight times larger, 15 KB of x86-64 for 12
 * arguments instead of 2 KB, and no faster; the rolled loop cost about
 * 5 ns per argument beyond the first, much of it its own bookkeeping.) */
static __always_inline void __usdtspec_args(struct pt_regs *ctx, long *vals, int cnt)
{
	struct __bpf_usdt_spec *spec;
	struct __usdtspec_regs regs;
	unsigned long last;
	__u32 n;

	if (cnt <= 0)
		return;
	spec = __bpf_usdt_lookup(ctx);
	n = 0;
	if (spec && spec->arg_cnt > 0)
		n = spec->arg_cnt;
	__usdtspec_load_regs(ctx, &regs);
	/* The offset of the last 8-byte word inside the context. */
	last = __usdtspec_ctx_size - 8;
	if (__usdtspec_ctx_cast) {
		if (!spec || !__usdtspec_fetch_in_place(spec, &regs, vals, cnt, n))
			__usdtspec_fetch_args(ctx, spec, &regs, vals, cnt, n, last, 1);
	} else {
		__usdtspec_fetch_args(ctx, spec, &regs, vals, cnt, n, last, 0);
	}
}

/* BPF_USDT(name, a, b, ...) declares a program whose arguments are the
 * USDT arguments, fetched as bpf_usdt_arg does (a failed fetch gives 0),
 * all of them by __usdtspec_args before the body runs. */
#define ___usdtspec_arg(n) ___usdtspec_vals[n]
#define ___bpf_usdt_args0() ctx
#define ___bpf_usdt_args1(x) ___bpf_usdt_args0(), ___usdtspec_arg(0)
#define ___bpf_usdt_args2(x, args...) ___bpf_usdt_args1(args), ___usdtspec_arg(1)
#define ___bpf_usdt_args3(x, args...) ___bpf_usdt_args2(args), ___usdtspec_arg(2)
#define ___bpf_usdt_args4(x, args...) ___bpf_usdt_args3(args), ___usdtspec_arg(3)
#define ___bpf_usdt_args5(x, args...) ___bpf_usdt_args4(args), ___usdtspec_arg(4)
#define ___bpf_usdt_args6(x, args...) ___bpf_usdt_args5(args), ___usdtspec_arg(5)
#define ___bpf_usdt_args7(x, args...) ___bpf_usdt_args6(args), ___usdtspec_arg(6)
#define ___bpf_usdt_args8(x, args...) ___bpf_usdt_args7(args), ___usdtspec_arg(7)
#define ___bpf_usdt_args9(x, args...) ___bpf_usdt_args8(args), ___usdtspec_arg(8)
#define ___bpf_usdt_args10(x, args...) ___bpf_usdt_args9(args), ___usdtspec_arg(9)
#define ___bpf_usdt_args11(x, args...) ___bpf_usdt_args10(args), ___usdtspec_arg(10)
#define ___bpf_usdt_args12(x, args...) ___bpf_usdt_args11(args), ___usdtspec_arg(11)
#define ___bpf_usdt_args(args...) ___bpf_apply(___bpf_usdt_args, ___bpf_narg(args))(args)

#define BPF_USDT(name, args...)						\
name(struct pt_regs *ctx);						\
static __always_inline typeof(name(0))					\
____##name(struct pt_regs *ctx, ##args);				\
typeof(name(0)) name(struct pt_regs *ctx)				\
{									\
	__attribute__((unused)) long ___usdtspec_vals[___bpf_narg(args) + 1]; \
	__usdtspec_args(ctx, ___usdtspec_vals, ___bpf_narg(args));	\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
	return ____##name(___bpf_usdt_args(args));			\
	_Pragma("GCC diagnostic pop")					\
}									\
static __always_inline typeof(name(0))					\
____##name(struct pt_regs *ctx, ##args)

#endif /* __USDTSPEC_USDT_BPF_H__ */
