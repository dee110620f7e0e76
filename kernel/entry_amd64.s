// The PVH entry point and the switch to long mode.
//
// Xen enters a PVH guest through the address in its XEN_ELFNOTE_PHYS32_ENTRY
// note (xen/include/public/elfnote.h), in 32-bit flat protected mode with
// paging off, %ebx = physical address of struct hvm_start_info
// (xen/include/public/arch-x86/hvm/start_info.h) and no stack.
//
// The Go assembler only speaks 64-bit, so the 32-bit part is written as
// bytes. entry_test.go disassembles exactly these bytes in 32-bit mode and
// compares them with the intended listing, so every byte below is checked.

#include "textflag.h"

TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	// --- 32-bit protected mode, paging off ---
	BYTE $0xFC                                  //   0 cld
	BYTE $0x8B; BYTE $0x4B; BYTE $0x04          //   1 mov ecx,[ebx+4]   save hvm_start_info.version
	BYTE $0x8D; BYTE $0x63; BYTE $0x08          //   4 lea esp,[ebx+8]   borrow that word as a 4-byte stack
	BYTE $0xE8; LONG $0                         //   7 call 12           push EIP...
	BYTE $0x5D                                  //  12 pop ebp           ...and take it: ebp = entry+12
	BYTE $0x89; BYTE $0x4B; BYTE $0x04          //  13 mov [ebx+4],ecx   give the version word back
	// In 64-bit mode this is RIP-relative; read in 32-bit mode it loads
	// its displacement, bootTables-(entry+22), which ebp turns absolute.
	LEAL ·bootTables(SB), AX                    //  16 lea eax,[disp32]
	BYTE $0x01; BYTE $0xE8                      //  22 add eax,ebp
	BYTE $0x83; BYTE $0xC0; BYTE $0x0A          //  24 add eax,10
	BYTE $0x05; LONG $0x00000FFF                //  27 add eax,0xfff
	BYTE $0x25; LONG $0xFFFFF000                //  32 and eax,0xfffff000
	BYTE $0x89; BYTE $0xC6                      //  37 mov esi,eax       esi = P, page aligned
	// P+0x0000 PML4, P+0x1000 PDPT, P+0x2000..0x5fff four PDs mapping
	// 0-4 GiB with 2 MiB pages: RAM, the image and Xen's special pages
	// just below 4 GiB (console, xenstore) are all identity mapped.
	BYTE $0x8D; BYTE $0x96; LONG $0x00001003    //  39 lea edx,[esi+0x1003]
	BYTE $0x89; BYTE $0x16                      //  45 mov [esi],edx     PML4[0] = PDPT|P|RW
	BYTE $0x8D; BYTE $0x96; LONG $0x00002003    //  47 lea edx,[esi+0x2003]
	BYTE $0x89; BYTE $0x96; LONG $0x00001000    //  53 mov [esi+0x1000],edx
	BYTE $0x81; BYTE $0xC2; LONG $0x00001000    //  59 add edx,0x1000
	BYTE $0x89; BYTE $0x96; LONG $0x00001008    //  65 mov [esi+0x1008],edx
	BYTE $0x81; BYTE $0xC2; LONG $0x00001000    //  71 add edx,0x1000
	BYTE $0x89; BYTE $0x96; LONG $0x00001010    //  77 mov [esi+0x1010],edx
	BYTE $0x81; BYTE $0xC2; LONG $0x00001000    //  83 add edx,0x1000
	BYTE $0x89; BYTE $0x96; LONG $0x00001018    //  89 mov [esi+0x1018],edx
	BYTE $0x8D; BYTE $0xBE; LONG $0x00002000    //  95 lea edi,[esi+0x2000]
	BYTE $0xBA; LONG $0x00000083                // 101 mov edx,0x83      P|RW|PS
	BYTE $0xB9; LONG $0x00000800                // 106 mov ecx,2048
	BYTE $0x89; BYTE $0x17                      // 111 mov [edi],edx
	BYTE $0x83; BYTE $0xC7; BYTE $0x08          // 113 add edi,8
	BYTE $0x81; BYTE $0xC2; LONG $0x00200000    // 116 add edx,0x200000
	BYTE $0xE2; BYTE $0xF3                      // 122 loop 111
	// A GDT at P+0x6000: null, 64-bit code (0x08), data (0x10).
	BYTE $0xC7; BYTE $0x86; LONG $0x00006008; LONG $0x0000FFFF // 124
	BYTE $0xC7; BYTE $0x86; LONG $0x0000600C; LONG $0x00AF9A00 // 134
	BYTE $0xC7; BYTE $0x86; LONG $0x00006010; LONG $0x0000FFFF // 144
	BYTE $0xC7; BYTE $0x86; LONG $0x00006014; LONG $0x00CF9200 // 154
	BYTE $0x66; BYTE $0xC7; BYTE $0x86; LONG $0x00006100; BYTE $0x17; BYTE $0x00 // 164 GDTR.limit
	BYTE $0x8D; BYTE $0x96; LONG $0x00006000    // 173 lea edx,[esi+0x6000]
	BYTE $0x89; BYTE $0x96; LONG $0x00006102    // 179 mov [esi+0x6102],edx  GDTR.base
	BYTE $0x0F; BYTE $0x01; BYTE $0x96; LONG $0x00006100 // 185 lgdt [esi+0x6100]
	// Long mode: CR3, CR4.PAE (+OSFXSR, OSXMMEXCPT for SSE), EFER.LME|SCE, CR0.PG.
	BYTE $0x0F; BYTE $0x22; BYTE $0xDE          // 192 mov cr3,esi
	BYTE $0x0F; BYTE $0x20; BYTE $0xE1          // 195 mov ecx,cr4
	BYTE $0x81; BYTE $0xC9; LONG $0x00000620    // 198 or ecx,0x620
	BYTE $0x0F; BYTE $0x22; BYTE $0xE1          // 204 mov cr4,ecx
	BYTE $0xB9; LONG $0xC0000080                // 207 mov ecx,0xc0000080  MSR_EFER
	BYTE $0x0F; BYTE $0x32                      // 212 rdmsr
	BYTE $0x0D; LONG $0x00000101                // 214 or eax,0x101        LME|SCE
	BYTE $0x0F; BYTE $0x30                      // 219 wrmsr
	BYTE $0x0F; BYTE $0x20; BYTE $0xC1          // 221 mov ecx,cr0
	BYTE $0x83; BYTE $0xE1; BYTE $0xF3          // 224 and ecx,~(EM|TS)
	BYTE $0x81; BYTE $0xC9; LONG $0x80000023    // 227 or ecx,PG|NE|MP|PE
	BYTE $0x0F; BYTE $0x22; BYTE $0xC1          // 233 mov cr0,ecx
	// Far jump through a m16:32 pointer at P+0x6108 to long64 (offset 263).
	BYTE $0x8D; BYTE $0x95; LONG $0x000000FB    // 236 lea edx,[ebp+251]
	BYTE $0x89; BYTE $0x96; LONG $0x00006108    // 242 mov [esi+0x6108],edx
	BYTE $0x66; BYTE $0xC7; BYTE $0x86; LONG $0x0000610C; BYTE $0x08; BYTE $0x00 // 248
	BYTE $0xFF; BYTE $0xAE; LONG $0x00006108    // 257 jmp far [esi+0x6108]
	// --- 64-bit mode from here on (offset 263): ordinary Go assembly ---
	MOVL $0x10, AX
	BYTE $0x8E; BYTE $0xD8 // mov ds,eax
	BYTE $0x8E; BYTE $0xC0 // mov es,eax
	BYTE $0x8E; BYTE $0xD0 // mov ss,eax
	XORL AX, AX
	BYTE $0x8E; BYTE $0xE0 // mov fs,eax
	BYTE $0x8E; BYTE $0xE8 // mov gs,eax
	MOVL BX, BX
	MOVQ BX, ·startInfoPA(SB)
	MOVQ SI, ·bootTablesPA(SB)
	LEAQ ·earlyStack+65536(SB), SP
	// Go code finds its g at -8(FS). Before the runtime exists, that is
	// the kernel's own g, whose zero stack guard passes every check.
	LEAQ ·kernelTLS+8(SB), AX
	MOVQ AX, ·curFS(SB)
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX // MSR_FS_BASE
	WRMSR
	CALL ·boot(SB)
hang:
	HLT
	JMP hang

// The kernel's TLS block: -8(FS) must hold a g pointer for Go code.
DATA ·kernelTLS+0(SB)/8, $·kernelG(SB)
DATA ·kernelTLS+8(SB)/8, $0
GLOBL ·kernelTLS(SB), NOPTR, $16
// The kernel's g: only stack.lo, stack.hi, stackguard0, stackguard1 are
// ever read by compiled code (the prologue stack check). All zero.
GLOBL ·kernelG(SB), NOPTR, $64

TEXT ·pvhEntryAddr(SB),NOSPLIT,$0-8
	LEAQ ·pvhEntry(SB), AX
	MOVQ AX, ret+0(FP)
	RET
