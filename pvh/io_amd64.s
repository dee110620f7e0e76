#include "textflag.h"

// func outb(port uint16, b byte)
TEXT ·outb(SB),NOSPLIT,$0-3
	MOVW port+0(FP), DX
	MOVB b+2(FP), AX
	OUTB
	RET

// func halt()
TEXT ·halt(SB),NOSPLIT,$0-0
	HLT
	RET
