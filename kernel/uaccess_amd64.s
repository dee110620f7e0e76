// The one instruction through which the kernel touches program memory.

#include "textflag.h"

// func ucopy(dst, src unsafe.Pointer, n uintptr) (left uintptr)
// Copies n bytes and returns how many it did not copy: 0, or what was
// left when the program's memory faulted. The copy is ucopyRep's one
// REP MOVSB, so that the page-fault path can tell a fault in it from
// one anywhere else in the kernel by RIP alone (userCopyFault, uaccess.go).
TEXT ·ucopy(SB),NOSPLIT,$0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	CALL ucopyRep<>(SB)
	MOVQ CX, left+24(FP)
	RET

// ucopyRep: REP MOVSB at its first byte, RET right after. On a fault the
// CPU leaves RDI, RSI and RCX where the copy stopped (Intel SDM vol. 2,
// REP: "the registers are updated to allow the instruction to be
// restarted"); a fault that cannot be resolved resumes at the RET
// (ucopyRep+2) with RCX = the bytes not copied. A fault that demand
// paging resolves restarts the REP MOVSB where it stopped.
TEXT ucopyRep<>(SB),NOSPLIT|NOFRAME,$0
	REP; MOVSB
	RET

// func ucopyRepAddr() uintptr
TEXT ·ucopyRepAddr(SB),NOSPLIT,$0-8
	LEAQ ucopyRep<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET
