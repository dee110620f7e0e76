// Kernel entries from the running Go program: the SYSCALL instruction and
// CPU exceptions. Everything runs at ring 0, so neither switches stacks or
// privilege by itself; the code below does what is needed.

#include "textflag.h"

#define MSR_FS_BASE $0xC0000100
// KSTACK_SIZE is kstackSize (sched.go); IST4_SIZE is len(ist4) (events.go).
#define KSTACK_SIZE $0x8000
#define IST4_SIZE $16384

// LOADFS sets the FS base to AX (clobbers CX, DX) and records it in curFS.
#define LOADFS \
	MOVQ AX, ·curFS(SB); \
	MOVQ AX, DX; \
	SHRQ $32, DX; \
	MOVL MSR_FS_BASE, CX; \
	WRMSR

// All entries save the same frame (type frame, frame.go), lowest address
// first: FXSAVE area, FS base, pad, the 15 general registers, then (for
// exceptions only) vector and error code, then an IRETQ frame: RIP, CS,
// RFLAGS, RSP, SS. Returning is always IRETQ, which restores every
// register at once, at ring 0 too.

#define PUSHREGS \
	PUSHQ AX; PUSHQ BX; PUSHQ CX; PUSHQ DX; PUSHQ SI; PUSHQ DI; PUSHQ BP; \
	PUSHQ R8; PUSHQ R9; PUSHQ R10; PUSHQ R11; PUSHQ R12; PUSHQ R13; PUSHQ R14; PUSHQ R15

#define POPREGS \
	POPQ R15; POPQ R14; POPQ R13; POPQ R12; POPQ R11; POPQ R10; POPQ R9; POPQ R8; \
	POPQ BP; POPQ DI; POPQ SI; POPQ DX; POPQ CX; POPQ BX; POPQ AX

// SAVEFPFS saves the FPU/SSE state and FS base below the registers and
// switches FS to the kernel's TLS, so kernel Go code finds its own g.
// It also reads the FS base the CPU really holds: if that is not the one
// the kernel loaded last, the platform lost a write (fsLost counts it and
// fsSeen keeps the value found), and the frame records what was found.
#define SAVEFPFS \
	SUBQ $528, SP; \
	FXSAVE64 (SP); \
	MOVL MSR_FS_BASE, CX; \
	RDMSR; \
	SHLQ $32, DX; \
	ORQ DX, AX; \
	MOVQ AX, 512(SP); \
	CMPQ AX, ·curFS(SB); \
	JEQ 3(PC); \
	INCQ ·fsLost(SB); \
	MOVQ AX, ·fsSeen(SB); \
	MOVQ ·kernelFS(SB), AX; \
	LOADFS

#define RESTOREFPFS \
	MOVQ 512(SP), AX; \
	LOADFS; \
	FXRSTOR64 (SP); \
	ADDQ $528, SP

// CALLGO calls the Go function fn with the frame at SP as its argument.
#define CALLGO(fn) \
	MOVQ SP, AX; \
	SUBQ $16, SP; \
	MOVQ AX, 0(SP); \
	CALL fn; \
	ADDQ $16, SP

// syscallEntry is MSR_LSTAR. SYSCALL left RIP in CX and RFLAGS in R11 and
// cleared IF; SP is still the caller's (a goroutine or thread stack).
TEXT syscallEntry<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ SP, ·userSP(SB)
	MOVQ ·kstackTop(SB), SP
	PUSHQ $0x10          // SS
	PUSHQ ·userSP(SB)    // RSP
	PUSHQ R11            // RFLAGS
	PUSHQ $0x08          // CS
	PUSHQ CX             // RIP
	PUSHREGS
	SAVEFPFS
	CALLGO(·syscallGo(SB))
	JMP userReturn<>(SB)

// userReturn resumes the context whose frame is at SP.
TEXT userReturn<>(SB),NOSPLIT|NOFRAME,$0
	RESTOREFPFS
	POPREGS
	IRETQ

// forkReturn is where a new thread first runs: swtch "returns" here on
// the thread's fresh kernel stack, whose top holds its frame.
TEXT forkReturn<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ ·kstackTop(SB), SP
	SUBQ $688, SP
	JMP userReturn<>(SB)

// irqEntry is the event channel upcall vector. Interrupts are meant to be
// enabled only while the Go program runs, so the thread's kernel stack is
// empty: move the CPU's frame there from the IST stack and save the rest,
// so the handler may switch threads (preemption).
//
// Under nested emulation (Xen under QEMU's software SVM; platform.go
// explains the emulated CPU's faults) upcalls also arrive while kernel
// code runs: with IF clear, or with IF set although
// no kernel code sets it. Such an upcall must not touch the kernel stack,
// which is in use, and must not be taken for the program's: it returns at
// once with IF clear, and the events are scanned before the program runs
// again.
// The interrupted context is the kernel's if IF was clear, if the
// kernel's TLS was loaded, or if its stack was the thread's kernel stack
// or lay below userLo (the IST and boot stacks); the entry and exit paths
// are covered by one of these at every instruction.
TEXT irqEntry<>(SB),NOSPLIT|NOFRAME,$0
	CLI
	TESTQ $0x200, 16(SP) // RFLAGS.IF of the interrupted context
	JZ ifClear
	PUSHQ AX
	// Now AX at 0(SP), then RIP, CS, RFLAGS, RSP (32(SP)), SS.
	MOVQ ·kernelFS(SB), AX
	CMPQ AX, ·curFS(SB)
	JEQ inKernel
	MOVQ 32(SP), AX
	SHRQ $36, AX // below userLo (64 GiB)?
	JZ inKernel
	MOVQ 32(SP), AX
	CMPQ AX, ·kstackTop(SB)
	JHI fromProgram
	ADDQ KSTACK_SIZE, AX
	CMPQ AX, ·kstackTop(SB)
	JHI inKernel // kstackTop - kstackSize < RSP <= kstackTop
	JMP fromProgram
ifClear:
	// Delivered again while an earlier delivery was still on the IST
	// stack (seen under QEMU's emulated SVM: a delivery cut short by a VM
	// exit is committed and then injected once more)? The new frame has
	// overwritten the earlier one, so the interrupted context is lost.
	PUSHQ AX
	PUSHQ BX
	MOVQ 40(SP), AX // the interrupted RSP
	LEAQ ·ist4(SB), BX
	SUBQ BX, AX
	CMPQ AX, IST4_SIZE
	POPQ BX
	POPQ AX
	JLS redelivered // ist4 <= RSP <= ist4+size (unsigned)
	INCQ ·maskedIRQs(SB)
	JMP deferUpcall
redelivered:
	// Save it as an exception frame with the upcall's vector (0xF3,
	// upcallVector): trap hands it to upcallRedelivered, which crashes.
	PUSHQ $0
	PUSHQ $0xF3
	JMP trapCommon<>(SB)
inKernel:
	POPQ AX
	ANDQ $~0x200, 16(SP) // the interrupted kernel code resumes with IF clear
	INCQ ·kernelIRQs(SB)
deferUpcall:
	// Xen raises the upcall for as long as evtchn_upcall_pending is set:
	// clear it, so the platform stops interrupting. The selector bits
	// stay set, and the kernel's next return to the program scans them
	// (beforeUserReturn).
	PUSHQ AX
	MOVQ ·upcallPendingByte(SB), AX
	TESTQ AX, AX
	JZ noEvents
	MOVB $0, (AX)
noEvents:
	POPQ AX
	IRETQ
fromProgram:
	PUSHQ BX
	MOVQ ·kstackTop(SB), AX
	SUBQ $40, AX
	MOVQ 16(SP), BX
	MOVQ BX, 0(AX)
	MOVQ 24(SP), BX
	MOVQ BX, 8(AX)
	MOVQ 32(SP), BX
	MOVQ BX, 16(AX)
	MOVQ 40(SP), BX
	MOVQ BX, 24(AX)
	MOVQ 48(SP), BX
	MOVQ BX, 32(AX)
	MOVQ 8(SP), BX  // the interrupted AX
	MOVQ BX, -8(AX)
	MOVQ 0(SP), BX  // and BX, which is now restored
	MOVQ BX, -16(AX)
	LEAQ -16(AX), SP
	PUSHQ CX; PUSHQ DX; PUSHQ SI; PUSHQ DI; PUSHQ BP
	PUSHQ R8; PUSHQ R9; PUSHQ R10; PUSHQ R11; PUSHQ R12; PUSHQ R13; PUSHQ R14; PUSHQ R15
	SAVEFPFS
	CALLGO(·interrupt(SB))
	JMP userReturn<>(SB)

// trapCommon saves the interrupted context (on the vector's IST stack)
// and calls trap, which may rewrite it (demand paging returns to retry;
// a signal redirects it to the handler).
TEXT trapCommon<>(SB),NOSPLIT|NOFRAME,$0
	PUSHREGS
	SAVEFPFS
	CALLGO(·trap(SB))
	RESTOREFPFS
	POPREGS
	ADDQ $16, SP // vector, error code
	IRETQ

// func syscallEntryAddr() uintptr
TEXT ·syscallEntryAddr(SB),NOSPLIT,$0-8
	LEAQ syscallEntry<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func forkReturnAddr() uintptr
TEXT ·forkReturnAddr(SB),NOSPLIT,$0-8
	LEAQ forkReturn<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func irqEntryAddr() uintptr
TEXT ·irqEntryAddr(SB),NOSPLIT,$0-8
	LEAQ irqEntry<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// ---- exception vectors 0-31 ----
// Each pushes a dummy error code where the CPU pushes none, then its
// vector number, and joins trapCommon.

TEXT vec0<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $0
	JMP trapCommon<>(SB)

TEXT vec1<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $1
	JMP trapCommon<>(SB)

TEXT vec2<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $2
	JMP trapCommon<>(SB)

TEXT vec3<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $3
	JMP trapCommon<>(SB)

TEXT vec4<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $4
	JMP trapCommon<>(SB)

TEXT vec5<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $5
	JMP trapCommon<>(SB)

TEXT vec6<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $6
	JMP trapCommon<>(SB)

TEXT vec7<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $7
	JMP trapCommon<>(SB)

TEXT vec8<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $8
	JMP trapCommon<>(SB)

TEXT vec9<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $9
	JMP trapCommon<>(SB)

TEXT vec10<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $10
	JMP trapCommon<>(SB)

TEXT vec11<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $11
	JMP trapCommon<>(SB)

TEXT vec12<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $12
	JMP trapCommon<>(SB)

TEXT vec13<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $13
	JMP trapCommon<>(SB)

TEXT vec14<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $14
	JMP trapCommon<>(SB)

TEXT vec15<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $15
	JMP trapCommon<>(SB)

TEXT vec16<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $16
	JMP trapCommon<>(SB)

TEXT vec17<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $17
	JMP trapCommon<>(SB)

TEXT vec18<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $18
	JMP trapCommon<>(SB)

TEXT vec19<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $19
	JMP trapCommon<>(SB)

TEXT vec20<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $20
	JMP trapCommon<>(SB)

TEXT vec21<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $21
	JMP trapCommon<>(SB)

TEXT vec22<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $22
	JMP trapCommon<>(SB)

TEXT vec23<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $23
	JMP trapCommon<>(SB)

TEXT vec24<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $24
	JMP trapCommon<>(SB)

TEXT vec25<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $25
	JMP trapCommon<>(SB)

TEXT vec26<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $26
	JMP trapCommon<>(SB)

TEXT vec27<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $27
	JMP trapCommon<>(SB)

TEXT vec28<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $28
	JMP trapCommon<>(SB)

TEXT vec29<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $29
	JMP trapCommon<>(SB)

TEXT vec30<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $30
	JMP trapCommon<>(SB)

TEXT vec31<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $31
	JMP trapCommon<>(SB)

DATA vectorTab<>+0(SB)/8, $vec0<>(SB)
DATA vectorTab<>+8(SB)/8, $vec1<>(SB)
DATA vectorTab<>+16(SB)/8, $vec2<>(SB)
DATA vectorTab<>+24(SB)/8, $vec3<>(SB)
DATA vectorTab<>+32(SB)/8, $vec4<>(SB)
DATA vectorTab<>+40(SB)/8, $vec5<>(SB)
DATA vectorTab<>+48(SB)/8, $vec6<>(SB)
DATA vectorTab<>+56(SB)/8, $vec7<>(SB)
DATA vectorTab<>+64(SB)/8, $vec8<>(SB)
DATA vectorTab<>+72(SB)/8, $vec9<>(SB)
DATA vectorTab<>+80(SB)/8, $vec10<>(SB)
DATA vectorTab<>+88(SB)/8, $vec11<>(SB)
DATA vectorTab<>+96(SB)/8, $vec12<>(SB)
DATA vectorTab<>+104(SB)/8, $vec13<>(SB)
DATA vectorTab<>+112(SB)/8, $vec14<>(SB)
DATA vectorTab<>+120(SB)/8, $vec15<>(SB)
DATA vectorTab<>+128(SB)/8, $vec16<>(SB)
DATA vectorTab<>+136(SB)/8, $vec17<>(SB)
DATA vectorTab<>+144(SB)/8, $vec18<>(SB)
DATA vectorTab<>+152(SB)/8, $vec19<>(SB)
DATA vectorTab<>+160(SB)/8, $vec20<>(SB)
DATA vectorTab<>+168(SB)/8, $vec21<>(SB)
DATA vectorTab<>+176(SB)/8, $vec22<>(SB)
DATA vectorTab<>+184(SB)/8, $vec23<>(SB)
DATA vectorTab<>+192(SB)/8, $vec24<>(SB)
DATA vectorTab<>+200(SB)/8, $vec25<>(SB)
DATA vectorTab<>+208(SB)/8, $vec26<>(SB)
DATA vectorTab<>+216(SB)/8, $vec27<>(SB)
DATA vectorTab<>+224(SB)/8, $vec28<>(SB)
DATA vectorTab<>+232(SB)/8, $vec29<>(SB)
DATA vectorTab<>+240(SB)/8, $vec30<>(SB)
DATA vectorTab<>+248(SB)/8, $vec31<>(SB)
GLOBL vectorTab<>(SB), RODATA, $256

// func vectorTable() *[32]uintptr
TEXT ·vectorTable(SB),NOSPLIT,$0-8
	LEAQ vectorTab<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET
