//go:build amd64 && !tamago

#include "textflag.h"

// Host builds (tests) never run the boot path: trap if they do.
TEXT ·start(SB),NOSPLIT|NOFRAME,$0
	INT	$3
	RET
