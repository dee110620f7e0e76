#include "textflag.h"

// func halt()
TEXT ·halt(SB),NOSPLIT,$0-0
	HLT
	RET

// func outsb(port uint16, p *byte, n int)
// One REP OUTSB for the whole buffer: Xen emulates the string
// instruction in one exit, where an OUTB per byte would exit once per
// byte (XTF writes its HVM debug console the same way).
TEXT ·outsb(SB),NOSPLIT,$0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	CLD
	REP; OUTSB
	RET
