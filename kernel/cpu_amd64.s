// Small CPU instructions Go cannot express.

#include "textflag.h"

// func readCR2() uint64
TEXT ·readCR2(SB),NOSPLIT,$0-8
	MOVQ CR2, AX
	MOVQ AX, ret+0(FP)
	RET

// func readCR3() uint64
TEXT ·readCR3(SB),NOSPLIT,$0-8
	MOVQ CR3, AX
	MOVQ AX, ret+0(FP)
	RET

// func invlpg(va uintptr)
TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ va+0(FP), AX
	INVLPG (AX)
	RET

// func lgdt(p uintptr)
TEXT ·lgdt(SB),NOSPLIT,$0-8
	MOVQ p+0(FP), AX
	LGDT (AX)
	RET

// func lidt(p uintptr)
TEXT ·lidt(SB),NOSPLIT,$0-8
	MOVQ p+0(FP), AX
	LIDT (AX)
	RET

// func ltr(sel uint16)
TEXT ·ltr(SB),NOSPLIT,$0-2
	MOVW sel+0(FP), AX
	LTR AX
	RET

// func rdrand() (v uint64, ok bool)
TEXT ·rdrand(SB),NOSPLIT,$0-9
	MOVL $10, CX
retry:
	BYTE $0x48; BYTE $0x0F; BYTE $0xC7; BYTE $0xF0 // rdrand rax
	JCS done
	DECL CX
	JNZ retry
	MOVQ $0, v+0(FP)
	MOVB $0, ok+8(FP)
	RET
done:
	MOVQ AX, v+0(FP)
	MOVB $1, ok+8(FP)
	RET

// func swtch(save *uintptr, next uintptr)
// Switches kernel stacks: saves this context's SP in *save, resumes the
// context whose SP is next. Go keeps no values in registers across a call,
// so the frame pointer is the only register to carry over.
TEXT ·swtch(SB),NOSPLIT,$0-16
	MOVQ save+0(FP), AX
	MOVQ next+8(FP), BX
	PUSHQ BP
	MOVQ SP, 0(AX)
	MOVQ BX, SP
	POPQ BP
	RET

// func enterRuntime(sp, entry uintptr)
// Leaves the kernel for good on this stack: the Go runtime starts at
// entry (_rt0_amd64_linux) with sp pointing at argc, as under Linux, and
// FS base 0 until the runtime sets its own with arch_prctl.
TEXT ·enterRuntime(SB),NOSPLIT,$0-16
	MOVQ sp+0(FP), R8
	MOVQ entry+8(FP), BX
	XORL AX, AX
	MOVQ AX, ·curFS(SB)
	XORL DX, DX
	MOVL $0xC0000100, CX
	WRMSR
	MOVQ R8, SP
	XORL AX, AX
	XORL CX, CX
	XORL DX, DX
	XORL SI, SI
	XORL DI, DI
	XORQ R8, R8
	XORQ R9, R9
	XORQ R10, R10
	XORQ R11, R11
	XORQ R12, R12
	XORQ R13, R13
	XORQ R14, R14
	XORQ R15, R15
	STI // the program runs with interrupts on: event upcalls, the timer
	JMP BX


// func readCR0() uint64
TEXT ·readCR0(SB),NOSPLIT,$0-8
	MOVQ CR0, AX
	MOVQ AX, ret+0(FP)
	RET

// func writeCR0(v uint64)
TEXT ·writeCR0(SB),NOSPLIT,$0-8
	MOVQ v+0(FP), AX
	MOVQ AX, CR0
	RET
