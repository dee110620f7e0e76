#include "textflag.h"

// Never called on Linux; it only has to exist at a known address.
TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	HLT
	BYTE $0xeb; BYTE $0xfd // JMP back to HLT

// A stand-in for the 64-bit PV entry.
TEXT ·pvEntry(SB),NOSPLIT|NOFRAME,$0
	HLT
	BYTE $0xeb; BYTE $0xfd
