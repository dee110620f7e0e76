// The PVH entry point and the switch to long mode, shared by both
// flavours (the stock-Go kernel and the TamaGo board).
//
// Xen enters a PVH guest through the address in its XEN_ELFNOTE_PHYS32_ENTRY
// note (xen/include/public/elfnote.h), in 32-bit flat protected mode with
// paging off and interrupts disabled, %ebx = physical address of struct
// hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h) and no
// stack (docs/misc/pvh.pandoc in Xen's tree).
//
// A flavour's own entry is three instructions that mean the same in
// 32-bit and 64-bit mode (no REX prefix, no RIP-relative operand): save
// hvm_start_info.version in %ecx, borrow that word as a 4-byte stack,
// and call Entry. The return address Entry pops is the flavour's 64-bit
// continuation: the code after the call. Entry identity-maps 0-4 GiB,
// enters long mode, loads the start info's address, the page tables'
// base and an early stack and TLS, and calls the continuation (which must
// not return).
//
// The Go assembler only speaks 64-bit, so the 32-bit part is written as
// bytes. entry_test.go disassembles exactly these bytes in 32-bit mode and
// compares them with the intended listing, so every byte below is checked.

#include "textflag.h"

// func Entry()
TEXT ·Entry(SB),NOSPLIT|NOFRAME,$0
	// --- 32-bit protected mode, paging off ---
	// The flavour's entry saved hvm_start_info.version in ecx, borrowed
	// that word as a 4-byte stack and called here: the return address on
	// it is the flavour's 64-bit continuation.
	BYTE $0xFC                                  //   0 cld
	BYTE $0x5A                                  //   1 pop edx           edx = the continuation
	BYTE $0xE8; LONG $0                         //   2 call 7            push EIP...
	BYTE $0x5D                                  //   7 pop ebp           ...and take it: ebp = entry+7
	BYTE $0x89; BYTE $0x4B; BYTE $0x04          //   8 mov [ebx+4],ecx   give the version word back
	// In 64-bit mode this is RIP-relative; read in 32-bit mode it loads
	// its displacement, bootTables-(entry+17), which ebp turns absolute.
	LEAL ·bootTables(SB), AX                    //  11 lea eax,[disp32]
	BYTE $0x01; BYTE $0xE8                      //  17 add eax,ebp
	BYTE $0x83; BYTE $0xC0; BYTE $0x0A          //  19 add eax,10        eax = &bootTables
	BYTE $0x89; BYTE $0xC7                      //  22 mov edi,eax
	BYTE $0x8D; BYTE $0xB0; LONG $0x00000FFF    //  24 lea esi,[eax+0xfff]
	BYTE $0x81; BYTE $0xE6; LONG $0xFFFFF000    //  30 and esi,0xfffff000  esi = P, page aligned
	// bootTables is zero-valued so that it takes no room in the file: it
	// lies in .noptrbss, the part of the data PT_LOAD past p_filesz. The
	// ELF gABI says those bytes read as zero, and Xen's loader clears
	// them (elf_load_image in xen/common/libelf/libelf-loader.c), but
	// this code does not count on the loader, as kernel.zeroBSS does
	// not for .bss: a stale PML4 or PD entry would map garbage. So clear
	// all of bootTables, 8192 dwords; cld above makes rep stosd go up.
	BYTE $0x31; BYTE $0xC0                      //  36 xor eax,eax
	BYTE $0xB9; LONG $0x00002000                //  38 mov ecx,0x2000
	BYTE $0xF3; BYTE $0xAB                      //  43 rep stosd         [edi..edi+32K) = 0
	BYTE $0x89; BYTE $0x96; LONG $0x00006110    //  45 mov [esi+0x6110],edx  keep the flavour's continuation
	// P+0x0000 PML4, P+0x1000 PDPT, P+0x2000..0x5fff four PDs mapping
	// 0-4 GiB with 2 MiB pages: RAM, the image and Xen's special pages
	// just below 4 GiB (console, xenstore) are all identity mapped.
	BYTE $0x8D; BYTE $0x96; LONG $0x00001003    //  51 lea edx,[esi+0x1003]
	BYTE $0x89; BYTE $0x16                      //  57 mov [esi],edx     PML4[0] = PDPT|P|RW
	BYTE $0x8D; BYTE $0x96; LONG $0x00002003    //  59 lea edx,[esi+0x2003]
	BYTE $0x89; BYTE $0x96; LONG $0x00001000    //  65 mov [esi+0x1000],edx
	BYTE $0x81; BYTE $0xC2; LONG $0x00001000    //  71 add edx,0x1000
	BYTE $0x89; BYTE $0x96; LONG $0x00001008    //  77 mov [esi+0x1008],edx
	BYTE $0x81; BYTE $0xC2; LONG $0x00001000    //  83 add edx,0x1000
	BYTE $0x89; BYTE $0x96; LONG $0x00001010    //  89 mov [esi+0x1010],edx
	BYTE $0x81; BYTE $0xC2; LONG $0x00001000    //  95 add edx,0x1000
	BYTE $0x89; BYTE $0x96; LONG $0x00001018    // 101 mov [esi+0x1018],edx
	BYTE $0x8D; BYTE $0xBE; LONG $0x00002000    // 107 lea edi,[esi+0x2000]
	BYTE $0xBA; LONG $0x00000083                // 113 mov edx,0x83      P|RW|PS
	BYTE $0xB9; LONG $0x00000800                // 118 mov ecx,2048
	BYTE $0x89; BYTE $0x17                      // 123 mov [edi],edx
	BYTE $0x83; BYTE $0xC7; BYTE $0x08          // 125 add edi,8
	BYTE $0x81; BYTE $0xC2; LONG $0x00200000    // 128 add edx,0x200000
	BYTE $0xE2; BYTE $0xF3                      // 134 loop 123
	// A GDT at P+0x6000: null, 64-bit code (0x08), data (0x10).
	BYTE $0xC7; BYTE $0x86; LONG $0x00006008; LONG $0x0000FFFF // 136
	BYTE $0xC7; BYTE $0x86; LONG $0x0000600C; LONG $0x00AF9A00 // 146
	BYTE $0xC7; BYTE $0x86; LONG $0x00006010; LONG $0x0000FFFF // 156
	BYTE $0xC7; BYTE $0x86; LONG $0x00006014; LONG $0x00CF9200 // 166
	BYTE $0x66; BYTE $0xC7; BYTE $0x86; LONG $0x00006100; BYTE $0x17; BYTE $0x00 // 176 GDTR.limit
	BYTE $0x8D; BYTE $0x96; LONG $0x00006000    // 185 lea edx,[esi+0x6000]
	BYTE $0x89; BYTE $0x96; LONG $0x00006102    // 191 mov [esi+0x6102],edx  GDTR.base
	BYTE $0x0F; BYTE $0x01; BYTE $0x96; LONG $0x00006100 // 197 lgdt [esi+0x6100]
	// Long mode: CR3, CR4.PAE (+OSFXSR, OSXMMEXCPT for SSE), EFER.LME|SCE, CR0.PG.
	BYTE $0x0F; BYTE $0x22; BYTE $0xDE          // 204 mov cr3,esi
	BYTE $0x0F; BYTE $0x20; BYTE $0xE1          // 207 mov ecx,cr4
	BYTE $0x81; BYTE $0xC9; LONG $0x00000620    // 210 or ecx,0x620
	BYTE $0x0F; BYTE $0x22; BYTE $0xE1          // 216 mov cr4,ecx
	BYTE $0xB9; LONG $0xC0000080                // 219 mov ecx,0xc0000080  MSR_EFER
	BYTE $0x0F; BYTE $0x32                      // 224 rdmsr
	BYTE $0x0D; LONG $0x00000101                // 226 or eax,0x101        LME|SCE
	BYTE $0x0F; BYTE $0x30                      // 231 wrmsr
	BYTE $0x0F; BYTE $0x20; BYTE $0xC1          // 233 mov ecx,cr0
	BYTE $0x83; BYTE $0xE1; BYTE $0xF3          // 236 and ecx,~(EM|TS)
	BYTE $0x81; BYTE $0xC9; LONG $0x80000023    // 239 or ecx,PG|NE|MP|PE
	BYTE $0x0F; BYTE $0x22; BYTE $0xC1          // 245 mov cr0,ecx
	// Far jump through a m16:32 pointer at P+0x6108 to long64 (offset 275).
	BYTE $0x8D; BYTE $0x95; LONG $0x0000010C    // 248 lea edx,[ebp+268]
	BYTE $0x89; BYTE $0x96; LONG $0x00006108    // 254 mov [esi+0x6108],edx
	BYTE $0x66; BYTE $0xC7; BYTE $0x86; LONG $0x0000610C; BYTE $0x08; BYTE $0x00 // 260 selector 0x08
	BYTE $0xFF; BYTE $0xAE; LONG $0x00006108    // 269 jmp far [esi+0x6108]

	// --- 64-bit mode from here on (offset 275): ordinary Go assembly ---
	MOVL $0x10, AX
	BYTE $0x8E; BYTE $0xD8 // mov ds,eax
	BYTE $0x8E; BYTE $0xC0 // mov es,eax
	BYTE $0x8E; BYTE $0xD0 // mov ss,eax
	XORL AX, AX
	BYTE $0x8E; BYTE $0xE0 // mov fs,eax
	BYTE $0x8E; BYTE $0xE8 // mov gs,eax
	MOVL BX, BX
	MOVQ BX, ·startInfoPA(SB)
	MOVQ SI, ·pageTablesPA(SB)
	MOVL 0x6110(SI), DI // the continuation, saved at offset 45
	LEAQ ·earlyStack+65536(SB), SP
	// Go code finds its g at -8(FS). Before a runtime exists, that is
	// earlyG, whose zero stack guard passes every check.
	LEAQ ·earlyTLS+8(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX // MSR_FS_BASE
	WRMSR
	CALL DI
hang:
	HLT
	JMP hang

// earlyTLS: -8(FS) must hold a g pointer for Go code.
DATA ·earlyTLS+0(SB)/8, $·earlyG(SB)
DATA ·earlyTLS+8(SB)/8, $0
GLOBL ·earlyTLS(SB), NOPTR, $16
// earlyG: compiled code only reads stack.lo, stack.hi and stackguard0/1
// (the prologue stack check). All zero.
GLOBL ·earlyG(SB), NOPTR, $64

// func EntryAddr() uintptr
TEXT ·EntryAddr(SB),NOSPLIT,$0-8
	LEAQ ·Entry(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func EarlyFS() uint64
TEXT ·EarlyFS(SB),NOSPLIT,$0-8
	LEAQ ·earlyTLS+8(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func EarlyStackTop() uintptr
TEXT ·EarlyStackTop(SB),NOSPLIT,$0-8
	LEAQ ·earlyStack+65536(SB), AX
	MOVQ AX, ret+0(FP)
	RET
