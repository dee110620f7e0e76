//go:build amd64

#include "textflag.h"

// func Call(nr, a1, a2, a3, a4, a5 uintptr) uintptr
//
// Xen's x86_64 convention: arguments in RDI, RSI, RDX, R10, R8; result in
// RAX; argument registers may be clobbered
// (xen/include/public/arch-x86/xen-x86_64.h). Go assembly treats every
// general register except SP and BP as caller-saved, so nothing needs
// saving here. The stub at page + nr*32 loads EAX itself.
TEXT ·Call(SB), NOSPLIT, $0-56
	MOVQ	nr+0(FP), AX
	SHLQ	$5, AX
	ADDQ	·page(SB), AX
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	CALL	AX
	MOVQ	AX, ret+48(FP)
	RET

// func CPUID(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·CPUID(SB), NOSPLIT, $0-24
	MOVL	leaf+0(FP), AX
	MOVL	subleaf+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET

// func PVCPUID(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·PVCPUID(SB), NOSPLIT, $0-24
	MOVL	leaf+0(FP), AX
	MOVL	subleaf+4(FP), CX
	BYTE	$0x0f; BYTE $0x0b           // ud2a
	BYTE	$0x78; BYTE $0x65; BYTE $0x6e // "xen"
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET

// func WRMSR(msr uint32, v uint64)
TEXT ·WRMSR(SB), NOSPLIT, $0-16
	MOVL	msr+0(FP), CX
	MOVQ	v+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

// func RDTSC() uint64
//
// LFENCE keeps RDTSC from executing ahead of earlier loads, so that a TSC
// read between two pvclock version loads really lies between them.
TEXT ·RDTSC(SB), NOSPLIT, $0-8
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET
