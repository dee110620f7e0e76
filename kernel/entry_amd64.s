// The kernel's PVH entry point, named by the XEN_ELFNOTE_PHYS32_ENTRY note
// (package linker adds it). Xen jumps here in 32-bit flat mode with
// %ebx = hvm_start_info and no stack. The first three instructions mean
// the same in 32-bit and 64-bit mode (no REX prefix, no RIP-relative
// operand; entry_test.go checks them): they hand over to package pvh's
// Entry, which returns to the code after the call in long mode.

#include "textflag.h"

// func pvhEntry()
TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	MOVL 4(BX), CX // save hvm_start_info.version...
	LEAL 8(BX), SP // ...and borrow it as a 4-byte stack
	CALL github·com∕goxen∕goxen∕pvh·Entry(SB)
	// 64-bit mode, on pvh's early stack and TLS.
	CALL ·boot(SB)
hang:
	HLT
	JMP hang

// func pvhEntryAddr() uintptr
TEXT ·pvhEntryAddr(SB),NOSPLIT,$0-8
	LEAQ ·pvhEntry(SB), AX
	MOVQ AX, ret+0(FP)
	RET
