//go:build tamago && amd64

#include "textflag.h"

// cpuinit is TamaGo's first instruction (runtime/goos.CPUInit jumps here,
// still in 32-bit mode). Building with the linkcpuinit tag drops package
// amd64's own, which overwrites %ebx, the start info's address. The first
// three instructions mean the same in 32-bit and 64-bit mode: they hand
// over to package pvh's Entry, which returns to the code after the call
// in long mode, on pvh's early stack.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	MOVL 4(BX), CX // save hvm_start_info.version...
	LEAL 8(BX), SP // ...and borrow it as a 4-byte stack
	CALL github·com∕goxen∕goxen∕pvh·Entry(SB)
	CALL ·early(SB)
	// The boot stack where TamaGo expects it,
	// RamStart+RamSize-RamStackOffset (early computed RamSize); the
	// runtime replaces pvh's TLS with its own.
	MOVQ runtime∕goos·RamStart(SB), SP
	ADDQ runtime∕goos·RamSize(SB), SP
	SUBQ runtime∕goos·RamStackOffset(SB), SP
	JMP _rt0_tamago_start(SB)

// pvEntry is the classic-PV entry, named by the XEN_ELFNOTE_ENTRY note
// that xenlink adds (tamago.mk): Xen enters it in 64-bit mode, ring 3,
// with %rsi = start_info. Package pv's Entry moves to pvh's early stack
// and TLS and calls pvStart.
TEXT ·pvEntry(SB),NOSPLIT|NOFRAME,$0
	LEAQ ·pvStart(SB), DI
	JMP github·com∕goxen∕goxen∕pv·Entry(SB)

// pvStart runs the PV steps and starts TamaGo's runtime as cpuinit does.
TEXT ·pvStart(SB),NOSPLIT|NOFRAME,$0
	CALL ·earlyPV(SB)
	MOVQ runtime∕goos·RamStart(SB), SP
	ADDQ runtime∕goos·RamSize(SB), SP
	SUBQ runtime∕goos·RamStackOffset(SB), SP
	JMP _rt0_tamago_start(SB)

// func pvEntryAddr() uintptr
TEXT ·pvEntryAddr(SB),NOSPLIT,$0-8
	LEAQ ·pvEntry(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// Package amd64's init.s, dropped by linkcpuinit, also defines gdtptr,
// which its application-processor start code loads: a flat GDT with the
// selectors pvh.Entry's has (code 0x08, data 0x10).
DATA gdt<>+0x00(SB)/8, $0x0000000000000000
DATA gdt<>+0x08(SB)/8, $0x00209a0000000000
DATA gdt<>+0x10(SB)/8, $0x00cf92000000ffff
GLOBL gdt<>(SB), RODATA, $24
DATA github·com∕usbarmory∕tamago∕amd64·gdtptr+0x00(SB)/2, $(3*8-1)
DATA github·com∕usbarmory∕tamago∕amd64·gdtptr+0x02(SB)/8, $gdt<>(SB)
GLOBL github·com∕usbarmory∕tamago∕amd64·gdtptr(SB), RODATA, $10
