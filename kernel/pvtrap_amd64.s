// The kernel's classic-PV entries: how a Go program running in PV
// guest-user mode enters the kernel (a system call, a fault, an event)
// and how the kernel returns to it. kernel/pv.go explains the design.
//
// Xen enters every one of them the same way: on the kernel stack named by
// HYPERVISOR_stack_switch if the guest was in user mode, else on the
// current stack, with events masked (the trap table's flag 4,
// CALLBACKF_mask_events) and a bounce frame at %rsp: RCX, R11, the error
// code for the exceptions that have one, then RIP, CS, RFLAGS, RSP, SS as
// an IRETQ would pop them (xen/arch/x86/x86_64/entry.S:
// create_bounce_frame). CS's RPL is 3 for a frame from user mode, 0 for
// one from the kernel. Every other register is the interrupted code's.
// Each entry pops RCX and R11 back into place and builds the same frame
// as the PVH entries in trap_amd64.s (type frame, trapFrame), so the Go
// halves (syscallGo, trap, interrupt) are shared.
//
// The FS base is not switched by Xen (only GS is, which Go does not use):
// each entry saves the FS base the kernel loaded last (curFS; a ring-3
// guest cannot read it back) and loads the kernel's with
// HYPERVISOR_set_segment_base, and the way out loads the program's again,
// each only when it differs (pvLoadFS).
//
// The way out is always HYPERVISOR_iret (xen/arch/x86/pv/iret.c): Xen
// pops {RAX, R11, RCX, flags, RIP, CS, RFLAGS, RSP, SS} from the stack,
// switches to user mode if CS's RPL is 3, and sets the event mask to
// !RFLAGS.IF, so the program runs with events on and a return to kernel
// code keeps them off. When RCX and R11 already hold RIP and RFLAGS (every
// plain system call: SYSCALL put them there) the flag VGCF_in_syscall lets
// Xen leave by SYSRET, which is cheaper than IRET; otherwise (a signal
// handler, rt_sigreturn, a fault, an event) every register is restored.
//
// A return to kernel code (after a fault in copyIn, say) uses the same
// hypercall. Mini-OS returns to its own code with a plain IRETQ instead,
// which needs events unmasked before the IRETQ and so a "critical
// region" fixup for an event that lands between the unmask and the
// IRETQ (its hypervisor_callback checks the interrupted RIP against the
// region and merges the two frames). Here kernel code never unmasks
// events, so no such window exists; the price is one hypercall on a path
// that is rare (a kernel-mode fault), and none on the hot ones.

#include "textflag.h"

// KSTACK_SIZE is kstackSize (sched.go); FRAME_SIZE is frameSize.
#define FRAME_SIZE $688
#define HYPERVISOR_set_segment_base $25
#define HYPERVISOR_iret $23
#define SEGBASE_FS $0
#define VGCF_in_syscall $0x100
#define FLAT_USER_CS $0xe033
#define FLAT_USER_SS $0xe02b

#define PUSHREGS \
	PUSHQ AX; PUSHQ BX; PUSHQ CX; PUSHQ DX; PUSHQ SI; PUSHQ DI; PUSHQ BP; \
	PUSHQ R8; PUSHQ R9; PUSHQ R10; PUSHQ R11; PUSHQ R12; PUSHQ R13; PUSHQ R14; PUSHQ R15

#define POPREGS \
	POPQ R15; POPQ R14; POPQ R13; POPQ R12; POPQ R11; POPQ R10; POPQ R9; POPQ R8; \
	POPQ BP; POPQ DI; POPQ SI; POPQ DX; POPQ CX; POPQ BX; POPQ AX

// SAVEFPFS saves the FPU/SSE state and the FS base below the registers
// and loads the kernel's FS base.
#define SAVEFPFS \
	SUBQ $528, SP; \
	FXSAVE64 (SP); \
	MOVQ ·curFS(SB), AX; \
	MOVQ AX, 512(SP); \
	MOVQ ·kernelFS(SB), AX; \
	CALL pvLoadFS<>(SB)

// RESTOREFPFS undoes SAVEFPFS.
#define RESTOREFPFS \
	MOVQ 512(SP), AX; \
	CALL pvLoadFS<>(SB); \
	FXRSTOR64 (SP); \
	ADDQ $528, SP

// CALLGO calls the Go function fn with the frame at SP as its argument.
#define CALLGO(fn) \
	MOVQ SP, AX; \
	SUBQ $16, SP; \
	MOVQ AX, 0(SP); \
	CALL fn; \
	ADDQ $16, SP

// pvLoadFS<> makes AX the FS base, with one hypercall if it is not
// already (clobbers AX, CX, SI, DI, R11).
TEXT pvLoadFS<>(SB),NOSPLIT|NOFRAME,$0
	CMPQ AX, ·curFS(SB)
	JEQ done
	MOVQ AX, ·curFS(SB)
	MOVQ AX, SI
	MOVQ SEGBASE_FS, DI
	MOVQ HYPERVISOR_set_segment_base, AX
	SYSCALL
	INCQ ·pvFSLoads(SB)
done:
	RET

// pvSyscallEntry is the syscall callback (CALLBACKTYPE_syscall): a
// SYSCALL from user mode, on the thread's kernel stack, whose top now
// holds the bounce frame {RCX, R11, RIP, CS, RFLAGS, RSP, SS}.
TEXT pvSyscallEntry<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHREGS
	SAVEFPFS
	CALLGO(·syscallGo(SB))
	JMP pvUserReturn<>(SB)

// pvUserReturn resumes the context whose frame (type frame) is at SP.
TEXT pvUserReturn<>(SB),NOSPLIT|NOFRAME,$0
	RESTOREFPFS
	POPREGS
	JMP pvIret<>(SB)

// pvIret leaves by HYPERVISOR_iret with every register restored but the
// IRETQ frame RIP, CS, RFLAGS, RSP, SS at SP. It pushes iret's flags and
// RCX, R11, RAX below that frame, as the hypercall page's iret slot
// would (a stub that pushes RCX, R11 and RAX itself and SYSCALLs:
// xen/arch/x86/pv/hypercall.c), and makes the hypercall; Xen never
// returns here.
TEXT pvIret<>(SB),NOSPLIT|NOFRAME,$0
	TESTQ $3, 8(SP)
	JZ full // to kernel code: SYSRET is only for user mode
	CMPQ CX, 0(SP)
	JNE full
	CMPQ R11, 16(SP)
	JNE full
	PUSHQ VGCF_in_syscall
	JMP iret
full:
	PUSHQ $0
iret:
	PUSHQ CX
	PUSHQ R11
	PUSHQ AX
	MOVL HYPERVISOR_iret, AX
	SYSCALL
	// Xen refused the frame: it crashes the domain rather than return
	// (a bad CS, or user mode without user page tables).
	JMP github·com∕goxen∕goxen∕pv·crash(SB)

// pvEventEntry is the event callback: an event came while the program
// ran (kernel code keeps events masked, so it is always from user mode),
// on the thread's kernel stack. Like the PVH upcall it may switch threads.
// One that arrives in kernel code anyway is counted and returned from at
// once with events still masked: the pending bits stay set and the next
// return to the program takes them (beforeUserReturn).
TEXT pvEventEntry<>(SB),NOSPLIT|NOFRAME,$0
	TESTQ $3, 24(SP) // CS, after RCX, R11, RIP
	JZ fromKernel
	POPQ CX
	POPQ R11
	PUSHREGS
	SAVEFPFS
	CALLGO(·interrupt(SB))
	JMP pvUserReturn<>(SB)
fromKernel:
	INCQ ·kernelIRQs(SB)
	ANDQ $~0x200, 32(SP) // RFLAGS.IF clear: events stay masked
	POPQ CX
	POPQ R11
	JMP pvIret<>(SB)

// pvForkReturn is where a new thread first runs (see forkReturn).
TEXT pvForkReturn<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ ·kstackTop(SB), SP
	SUBQ FRAME_SIZE, SP
	JMP pvUserReturn<>(SB)

// pvTrapCommon saves the interrupted context as a trapFrame and calls
// trap, which may rewrite it; then resumes it. From user mode this runs
// on the thread's kernel stack; from the kernel (a fault in copyIn), on
// the kernel stack in use, below the frame of the system call.
TEXT pvTrapCommon<>(SB),NOSPLIT|NOFRAME,$0
	PUSHREGS
	SAVEFPFS
	CALLGO(·trap(SB))
	RESTOREFPFS
	POPREGS
	ADDQ $16, SP // vector, error code
	JMP pvIret<>(SB)

// func pvEnterRuntime(sp, entry uintptr)
// Leaves the kernel for the Go runtime's first instruction in user mode:
// RSP = sp (argc), FS base 0, every other register 0, events on.
TEXT ·pvEnterRuntime(SB),NOSPLIT,$0-16
	MOVQ sp+0(FP), R8
	MOVQ entry+8(FP), BX
	XORL AX, AX
	CALL pvLoadFS<>(SB)
	PUSHQ FLAT_USER_SS
	PUSHQ R8
	PUSHQ $0x202 // RFLAGS: IF, so events are unmasked
	PUSHQ FLAT_USER_CS
	PUSHQ BX
	XORL AX, AX
	XORL BX, BX
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
	JMP pvIret<>(SB)

// func pvEntryAddrs(syscall, event, fork *uintptr)
TEXT ·pvEntryAddrs(SB),NOSPLIT,$0-24
	MOVQ syscall+0(FP), DI
	LEAQ pvSyscallEntry<>(SB), AX
	MOVQ AX, 0(DI)
	MOVQ event+8(FP), DI
	LEAQ pvEventEntry<>(SB), AX
	MOVQ AX, 0(DI)
	MOVQ fork+16(FP), DI
	LEAQ pvForkReturn<>(SB), AX
	MOVQ AX, 0(DI)
	RET

// ---- the trap table's stubs ----
// Each puts RCX and R11 back, pushes a dummy error code where Xen pushes
// none, then its vector, and joins pvTrapCommon.
TEXT pvvec0<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $0
	JMP pvTrapCommon<>(SB)

TEXT pvvec1<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $1
	JMP pvTrapCommon<>(SB)

TEXT pvvec3<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $3
	JMP pvTrapCommon<>(SB)

TEXT pvvec4<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $4
	JMP pvTrapCommon<>(SB)

TEXT pvvec5<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $5
	JMP pvTrapCommon<>(SB)

TEXT pvvec6<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $6
	JMP pvTrapCommon<>(SB)

TEXT pvvec7<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $7
	JMP pvTrapCommon<>(SB)

TEXT pvvec8<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $8
	JMP pvTrapCommon<>(SB)

TEXT pvvec9<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $9
	JMP pvTrapCommon<>(SB)

TEXT pvvec10<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $10
	JMP pvTrapCommon<>(SB)

TEXT pvvec11<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $11
	JMP pvTrapCommon<>(SB)

TEXT pvvec12<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $12
	JMP pvTrapCommon<>(SB)

TEXT pvvec13<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $13
	JMP pvTrapCommon<>(SB)

TEXT pvvec14<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $14
	JMP pvTrapCommon<>(SB)

TEXT pvvec16<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $16
	JMP pvTrapCommon<>(SB)

TEXT pvvec17<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $17
	JMP pvTrapCommon<>(SB)

TEXT pvvec18<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $18
	JMP pvTrapCommon<>(SB)

TEXT pvvec19<>(SB),NOSPLIT|NOFRAME,$0
	POPQ CX
	POPQ R11
	PUSHQ $0 // no error code: keep the frame shape
	PUSHQ $19
	JMP pvTrapCommon<>(SB)

DATA pvVectorTab<>+0(SB)/8, $pvvec0<>(SB)
DATA pvVectorTab<>+8(SB)/8, $pvvec1<>(SB)
DATA pvVectorTab<>+16(SB)/8, $pvvec3<>(SB)
DATA pvVectorTab<>+24(SB)/8, $pvvec4<>(SB)
DATA pvVectorTab<>+32(SB)/8, $pvvec5<>(SB)
DATA pvVectorTab<>+40(SB)/8, $pvvec6<>(SB)
DATA pvVectorTab<>+48(SB)/8, $pvvec7<>(SB)
DATA pvVectorTab<>+56(SB)/8, $pvvec8<>(SB)
DATA pvVectorTab<>+64(SB)/8, $pvvec9<>(SB)
DATA pvVectorTab<>+72(SB)/8, $pvvec10<>(SB)
DATA pvVectorTab<>+80(SB)/8, $pvvec11<>(SB)
DATA pvVectorTab<>+88(SB)/8, $pvvec12<>(SB)
DATA pvVectorTab<>+96(SB)/8, $pvvec13<>(SB)
DATA pvVectorTab<>+104(SB)/8, $pvvec14<>(SB)
DATA pvVectorTab<>+112(SB)/8, $pvvec16<>(SB)
DATA pvVectorTab<>+120(SB)/8, $pvvec17<>(SB)
DATA pvVectorTab<>+128(SB)/8, $pvvec18<>(SB)
DATA pvVectorTab<>+136(SB)/8, $pvvec19<>(SB)
GLOBL pvVectorTab<>(SB), RODATA, $144

// func pvVectorTable() *[18]uintptr
TEXT ·pvVectorTable(SB),NOSPLIT,$0-8
	LEAQ pvVectorTab<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET
