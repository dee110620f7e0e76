//go:build tamago && amd64

#include "textflag.h"

// cpuinit is TamaGo's first instruction (runtime/goos.CPUInit jumps here).
// Building with the linkcpuinit tag drops package amd64's own, which
// starts in a way Xen's PVH entry does not fit: it overwrites %ebx, the
// start info address. It must be reached in 32-bit mode; a rel32 jmp means
// the same in both modes.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	JMP	·pvhEntry(SB)

// start sets the boot stack where TamaGo expects it,
// RamStart+RamSize-RamStackOffset (early computed RamSize), and enters
// the runtime, which replaces earlyTLS with its own.
TEXT ·start(SB),NOSPLIT|NOFRAME,$0
	MOVQ	runtime∕goos·RamStart(SB), SP
	ADDQ	runtime∕goos·RamSize(SB), SP
	SUBQ	runtime∕goos·RamStackOffset(SB), SP
	JMP	_rt0_tamago_start(SB)

// Package amd64's init.s, dropped by linkcpuinit, also defines gdtptr,
// which its application-processor start code loads. Ours points at the
// same GDT pvhEntry loads, with the same selectors (code 0x08).
DATA github·com∕usbarmory∕tamago∕amd64·gdtptr+0x00(SB)/2, $(3*8-1)
DATA github·com∕usbarmory∕tamago∕amd64·gdtptr+0x02(SB)/8, $·gdt(SB)
GLOBL github·com∕usbarmory∕tamago∕amd64·gdtptr(SB), RODATA, $10
