// The 64-bit PV entry and the trap stubs.
//
// Xen enters a PV guest at the address in its XEN_ELFNOTE_ENTRY note in
// 64-bit mode, in ring 3 (CS 0xe033), with %rsi = the virtual address of
// start_info, %rsp = the top of a one-page boot stack, FS and GS bases 0
// and events masked (tools/libs/guest/xg_dom_x86.c: vcpu_x86_64;
// xen/arch/x86/pv/dom0_build.c for dom0). A flavour's own entry loads the
// address of its continuation into %rdi and jumps to Entry.
//
// Privileged instructions are refused in ring 3, so everything here goes
// through Xen: the FS base is set with HYPERVISOR_set_segment_base, made
// with a bare SYSCALL, which in guest-kernel mode is a hypercall
// (xen/arch/x86/x86_64/entry.S: lstar_enter), with the number in %rax and
// the arguments in %rdi, %rsi (xen/include/public/arch-x86/xen-x86_64.h).
// SYSCALL clobbers %rcx and %r11; Xen may clobber the argument registers,
// so the continuation lives in %r12.

#include "textflag.h"

#define HYPERVISOR_set_segment_base 25
#define HYPERVISOR_sched_op 29
#define HYPERVISOR_iret 23
#define SEGBASE_FS 0
#define SCHEDOP_shutdown 2
#define SHUTDOWN_crash 3

// func Entry()
TEXT ·Entry(SB),NOSPLIT|NOFRAME,$0
	MOVQ SI, ·startInfoVA(SB)
	MOVQ DI, R12
	// Go code finds its g at -8(FS): package pvh's early TLS, whose g
	// passes every stack check. Calls here run on Xen's boot stack.
	SUBQ $8, SP
	CALL github·com∕goxen∕goxen∕pvh·EarlyFS(SB)
	MOVQ 0(SP), SI
	MOVQ $SEGBASE_FS, DI
	MOVQ $HYPERVISOR_set_segment_base, AX
	SYSCALL
	CALL github·com∕goxen∕goxen∕pvh·EarlyStackTop(SB)
	MOVQ 0(SP), SP
	CALL R12
	// The continuation does not return; if it did, crash the domain.
	JMP ·crash(SB)

// crash: SCHEDOP_shutdown(SHUTDOWN_crash), for when even the console is
// out of reach.
TEXT ·crash(SB),NOSPLIT|NOFRAME,$0
	SUBQ $16, SP
	MOVQ $SHUTDOWN_crash, 0(SP)
again:
	MOVQ SP, SI
	MOVQ $SCHEDOP_shutdown, DI
	MOVQ $HYPERVISOR_sched_op, AX
	SYSCALL
	JMP again

// trapCommon: %r13 = vector, %r14 = 1 if Xen pushed an error code, %rsp =
// the bounce frame. It moves to the trap stack and pvh's early TLS (the
// trap may have come from code whose stack or g cannot be trusted) and
// calls trap, which reports and crashes the domain.
TEXT ·trapCommon(SB),NOSPLIT|NOFRAME,$0
	MOVQ SP, R12
	LEAQ ·trapStack+16384(SB), SP
	SUBQ $8, SP
	CALL github·com∕goxen∕goxen∕pvh·EarlyFS(SB)
	MOVQ 0(SP), SI
	MOVQ $SEGBASE_FS, DI
	MOVQ $HYPERVISOR_set_segment_base, AX
	SYSCALL
	SUBQ $24, SP
	MOVQ R13, 0(SP)
	MOVQ R14, 8(SP)
	MOVQ R12, 16(SP)
	CALL ·trap(SB)
	JMP ·crash(SB)

TEXT ·trap0(SB),NOSPLIT|NOFRAME,$0
	MOVQ $0, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap1(SB),NOSPLIT|NOFRAME,$0
	MOVQ $1, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap3(SB),NOSPLIT|NOFRAME,$0
	MOVQ $3, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap4(SB),NOSPLIT|NOFRAME,$0
	MOVQ $4, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap5(SB),NOSPLIT|NOFRAME,$0
	MOVQ $5, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap6(SB),NOSPLIT|NOFRAME,$0
	MOVQ $6, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap7(SB),NOSPLIT|NOFRAME,$0
	MOVQ $7, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap8(SB),NOSPLIT|NOFRAME,$0
	MOVQ $8, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
TEXT ·trap9(SB),NOSPLIT|NOFRAME,$0
	MOVQ $9, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap10(SB),NOSPLIT|NOFRAME,$0
	MOVQ $10, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
TEXT ·trap11(SB),NOSPLIT|NOFRAME,$0
	MOVQ $11, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
TEXT ·trap12(SB),NOSPLIT|NOFRAME,$0
	MOVQ $12, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
TEXT ·trap13(SB),NOSPLIT|NOFRAME,$0
	MOVQ $13, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
// trap14 first checks for the one fault package pv repairs rather than
// reports, when EmulateArchPrctlFS asked for it: a runtime written for
// Linux that finds itself at CPL 3 (TamaGo's settls, in
// src/runtime/sys_tamago_amd64.s of tamago-go) asks for its FS base with
// SYSCALL arch_prctl(ARCH_SET_FS, %rsi). In PV guest-kernel mode that
// SYSCALL is hypercall 158, which Xen answers -ENOSYS without touching
// %rsi (xen/arch/x86/pv/hypercall.c clobbers registers only for a call
// that ran), and the runtime then crashes on purpose with MOVL $0xf1, 0xf1,
// which the nil guard turns into this #PF. The repair does what Linux
// would have: FS base = %rsi (set_segment_base), and resumes after the
// 11-byte store with HYPERVISOR_iret, events still masked.
TEXT ·trap14(SB),NOSPLIT|NOFRAME,$0
	CMPB ·archPrctlFS(SB), $0
	JEQ report
	BYTE $0x50 // PUSHQ AX
	BYTE $0x53 // PUSHQ BX
	// Bounce frame, 16 bytes up: RCX, R11, error, RIP, CS, RFLAGS, RSP, SS.
	MOVQ 40(SP), AX
	MOVQ $0xf1000000f12504c7, BX // c7 04 25 f1 00 00 00 f1: MOVL $0xf1, 0xf1...
	CMPQ BX, 0(AX)
	JNE notours
	MOVL 8(AX), BX // ...00 00 00
	ANDL $0xffffff, BX
	CMPL BX, $0
	JNE notours
	BYTE $0x57 // PUSHQ DI
	BYTE $0x56 // PUSHQ SI
	MOVQ $SEGBASE_FS, DI
	MOVQ $HYPERVISOR_set_segment_base, AX
	SYSCALL
	BYTE $0x5e // POPQ SI
	BYTE $0x5f // POPQ DI
	BYTE $0x5b // POPQ BX
	BYTE $0x58 // POPQ AX
	ADDQ $11, 24(SP)     // RIP: past the store
	ANDQ $~0x200, 40(SP) // RFLAGS.IF clear: the iret keeps upcalls masked
	MOVQ $0, 16(SP)      // the error code's slot becomes iret's flags: 0
	MOVQ 0(SP), CX
	MOVQ 8(SP), R11
	ADDQ $16, SP
	// HYPERVISOR_iret, as the hypercall page's iret slot makes it: push
	// RCX, R11, RAX and SYSCALL; Xen reads {RAX, R11, RCX, flags, RIP, CS,
	// RFLAGS, RSP, SS} (xen/include/public/arch-x86/xen-x86_64.h: struct
	// iret_context) and does not return here. The pushes are bytes because
	// the Go assembler refuses a NOFRAME function whose pushes and pops do
	// not pair up.
	BYTE $0x51 // PUSHQ CX
	BYTE $0x41; BYTE $0x53 // PUSHQ R11
	BYTE $0x50 // PUSHQ AX
	MOVL $HYPERVISOR_iret, AX
	SYSCALL
notours:
	BYTE $0x5b // POPQ BX
	BYTE $0x58 // POPQ AX
report:
	MOVQ $14, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
TEXT ·trap16(SB),NOSPLIT|NOFRAME,$0
	MOVQ $16, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap17(SB),NOSPLIT|NOFRAME,$0
	MOVQ $17, R13
	MOVQ $1, R14
	JMP ·trapCommon(SB)
TEXT ·trap18(SB),NOSPLIT|NOFRAME,$0
	MOVQ $18, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
TEXT ·trap19(SB),NOSPLIT|NOFRAME,$0
	MOVQ $19, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)
// trapEvent is the event callback. Once Idle is in use (InitTimer), an
// upcall is how SCHEDOP_block ends: Xen unmasks events for the block
// (xen/common/sched/core.c: vcpu_block_enable_events) and delivers the
// upcall that wakes it on the way back, with events masked again
// (CALLBACKF_mask_events). The callback returns at once with
// HYPERVISOR_iret, RFLAGS.IF clear so that events stay masked; Idle then
// drops the pending bits. Before InitTimer an upcall is a bug: reported.
TEXT ·trapEvent(SB),NOSPLIT|NOFRAME,$0
	CMPB ·eventsExpected(SB), $0
	JEQ report
	// Bounce frame: RCX 0, R11 8, RIP 16, CS 24, RFLAGS 32, RSP 40, SS 48.
	ANDQ $~0x200, 32(SP)
	MOVQ 0(SP), CX
	MOVQ 8(SP), R11
	ADDQ $16, SP
	BYTE $0x6a; BYTE $0x00 // PUSHQ $0: iret's flags, below RIP
	BYTE $0x51 // PUSHQ CX
	BYTE $0x41; BYTE $0x53 // PUSHQ R11
	BYTE $0x50 // PUSHQ AX
	MOVL $HYPERVISOR_iret, AX
	SYSCALL
report:
	MOVQ $32, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)

TEXT ·trapFailsafe(SB),NOSPLIT|NOFRAME,$0
	MOVQ $33, R13
	MOVQ $0, R14
	JMP ·trapCommon(SB)

// func trapAddrs(out *[18]uint64, event, failsafe *uint64)
TEXT ·trapAddrs(SB),NOSPLIT,$0-24
	MOVQ out+0(FP), DI
	LEAQ ·trap0(SB), AX
	MOVQ AX, 0(DI)
	LEAQ ·trap1(SB), AX
	MOVQ AX, 8(DI)
	LEAQ ·trap3(SB), AX
	MOVQ AX, 16(DI)
	LEAQ ·trap4(SB), AX
	MOVQ AX, 24(DI)
	LEAQ ·trap5(SB), AX
	MOVQ AX, 32(DI)
	LEAQ ·trap6(SB), AX
	MOVQ AX, 40(DI)
	LEAQ ·trap7(SB), AX
	MOVQ AX, 48(DI)
	LEAQ ·trap8(SB), AX
	MOVQ AX, 56(DI)
	LEAQ ·trap9(SB), AX
	MOVQ AX, 64(DI)
	LEAQ ·trap10(SB), AX
	MOVQ AX, 72(DI)
	LEAQ ·trap11(SB), AX
	MOVQ AX, 80(DI)
	LEAQ ·trap12(SB), AX
	MOVQ AX, 88(DI)
	LEAQ ·trap13(SB), AX
	MOVQ AX, 96(DI)
	LEAQ ·trap14(SB), AX
	MOVQ AX, 104(DI)
	LEAQ ·trap16(SB), AX
	MOVQ AX, 112(DI)
	LEAQ ·trap17(SB), AX
	MOVQ AX, 120(DI)
	LEAQ ·trap18(SB), AX
	MOVQ AX, 128(DI)
	LEAQ ·trap19(SB), AX
	MOVQ AX, 136(DI)
	MOVQ event+8(FP), DI
	LEAQ ·trapEvent(SB), AX
	MOVQ AX, 0(DI)
	MOVQ failsafe+16(FP), DI
	LEAQ ·trapFailsafe(SB), AX
	MOVQ AX, 0(DI)
	RET
