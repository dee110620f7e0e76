// The kernel's classic-PV entry point, named by the XEN_ELFNOTE_ENTRY note
// (package linker adds it beside PHYS32_ENTRY, so the one ELF is both a
// PVH and a PV kernel). Xen enters it in 64-bit mode, ring 3, with %rsi =
// start_info; package pv's Entry takes it from there and calls pvBoot.

#include "textflag.h"

// func pvEntry()
TEXT ·pvEntry(SB),NOSPLIT|NOFRAME,$0
	LEAQ ·pvBoot(SB), DI
	JMP github·com∕goxen∕goxen∕pv·Entry(SB)

// func pvEntryAddr() uintptr
TEXT ·pvEntryAddr(SB),NOSPLIT,$0-8
	LEAQ ·pvEntry(SB), AX
	MOVQ AX, ret+0(FP)
	RET
