/*
 * Case high_bytes: x86's high-byte registers %ah, %bh, %ch, %dh, bits
 * 8-15 of eax/ebx/ecx/edx, which pt_regs holds inside the whole
 * register. gcc and clang do not allocate them to sys/sdt.h operands on
 * their own (gcc has no such registers; clang spills bytes to the
 * stack), so on x86 the probe is written as sys/sdt.h would write it,
 * with the operands "-1@%ah 1@%bh -1@%ch 1@%dh" and the values put in
 * place by the asm's input constraints: signed 0x80 (-128), 255, 127,
 * and 1, each with other bits set around it. Elsewhere the same values
 * go through STAP_PROBE4.
 */
#include <sys/sdt.h>

#include "case.h"

#if defined(__x86_64__)
#define HB_ADDR ".8byte"
#elif defined(__i386__)
#define HB_ADDR ".4byte"
#endif

NOINLINE void high_bytes_line(unsigned a, unsigned b, unsigned c, unsigned d)
{
	emit_begin("high_bytes:regs");
	EMIT((signed char)(a >> 8));
	EMIT((unsigned char)(b >> 8));
	EMIT((signed char)(c >> 8));
	EMIT((unsigned char)(d >> 8));
	emit_end();
}

NOINLINE void high_bytes(unsigned a, unsigned b, unsigned c, unsigned d)
{
#ifdef HB_ADDR
	/* A note as sys/sdt.h's _SDT_ASM_BODY lays it out (no semaphore,
	 * no .stapsdt.base: base 0), at the nop that the uprobe hits. */
	__asm__ volatile("990:\tnop\n"
			 "\t.pushsection .note.stapsdt,\"\",@note\n"
			 "\t.balign 4\n"
			 "\t.4byte 992f-991f, 994f-993f, 3\n"
			 "991:\t.asciz \"stapsdt\"\n"
			 "992:\t.balign 4\n"
			 "993:\t" HB_ADDR " 990b\n"
			 "\t" HB_ADDR " 0\n"
			 "\t" HB_ADDR " 0\n"
			 "\t.asciz \"high_bytes\"\n"
			 "\t.asciz \"regs\"\n"
			 "\t.asciz \"-1@%%ah 1@%%bh -1@%%ch 1@%%dh\"\n"
			 "994:\t.balign 4\n"
			 "\t.popsection\n"
			 :
			 : "a"(a), "b"(b), "c"(c), "d"(d));
#else
	STAP_PROBE4(high_bytes, regs, (signed char)(a >> 8), (unsigned char)(b >> 8),
		    (signed char)(c >> 8), (unsigned char)(d >> 8));
#endif
	high_bytes_line(a, b, c, d);
}

int main(void)
{
	case_init();
	high_bytes(0x12348001u, 0x5a5aff5au, 0xffff7fffu, 0x000001feu);
	return 0;
}
