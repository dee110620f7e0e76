// The PVH entry point and the switch to long mode.
//
// Xen enters a PVH guest at the address in its XEN_ELFNOTE_PHYS32_ENTRY note
// (tamago-go's linker writes it as .note.go.pvh, pointing at the ELF entry,
// which jumps here through runtime/goos.CPUInit and cpuinit). The CPU is in
// 32-bit flat protected mode with paging off, %ebx holds the physical
// address of struct hvm_start_info and there is no stack
// (xen/include/public/arch-x86/hvm/start_info.h).
//
// The Go assembler only emits 64-bit code. The 32-bit part below uses only
// instructions whose bytes mean the same in both modes (no REX prefixes,
// no memory operands except register-based ones, plus two hand-encoded
// ones); entry_test.go disassembles these bytes in 32-bit mode and checks
// them against the intended listing.
//
// A symbol reference "LEAL sym(SB), AX" is RIP-relative in 64-bit mode;
// decoded in 32-bit mode it loads its displacement, sym minus the address
// of the next instruction. Adding the address of the next instruction,
// found with call/pop, gives the absolute address.

#include "textflag.h"

TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	CLI
	CLD
	MOVL	BX, SI                  // esi = hvm_start_info, kept until long mode
	MOVL	(BX), CX                // borrow the magic word as a 4-byte stack
	LEAL	4(BX), SP
	BYTE $0xE8; LONG $0             // call next instruction: push eip
	POPQ	BP                      // (pop ebp) ebp = address of this instruction
	MOVL	CX, (BX)                // give the magic word back
	LEAL	·bootTables(SB), BX     // ebx = bootTables - (ebp + tablesFix)
	ADDL	BP, BX
	ADDL	$9, BX                  // tablesFix: bytes from the pop to the end of the LEAL
	ADDL	$0xfff, BX
	ANDL	$0xfffff000, BX         // ebx = P, the first page-aligned byte of bootTables

	// Clear the 6 pages at P: PML4, PDPT and four page directories.
	MOVL	BX, DI
	XORL	AX, AX
	MOVL	$(6*1024), CX
	REP;	STOSL

	// PML4[0] = PDPT; PDPT[0..3] = the four page directories.
	LEAL	0x1003(BX), CX          // present | writable
	MOVL	CX, (BX)
	LEAL	0x2003(BX), CX
	MOVL	CX, 0x1000(BX)
	ADDL	$0x1000, CX
	MOVL	CX, 0x1008(BX)
	ADDL	$0x1000, CX
	MOVL	CX, 0x1010(BX)
	ADDL	$0x1000, CX
	MOVL	CX, 0x1018(BX)

	// 2048 write-back 2 MiB pages identity-map 0-4 GiB: RAM, the image and
	// the console and xenstore pages Xen puts just below 4 GiB. No 1 GiB
	// pages, so the CPU needs no pdpe1gb.
	LEAL	0x2000(BX), DI
	MOVL	$0x83, DX               // present | writable | 2 MiB
	MOVL	$2048, CX
pde:
	MOVL	DX, (DI)
	ADDL	$8, DI
	ADDL	$0x200000, DX
	DECL	CX
	JNE	pde

	// CR3, CR4 (PAE, OSFXSR, OSXMMEXCPT), EFER.LME, CR0 (PG, NE, MP, PE;
	// no EM, no TS): long mode, compatibility submode, with SSE usable.
	MOVL	BX, CR3
	MOVL	CR4, CX
	ORL	$0x620, CX
	MOVL	CX, CR4
	MOVL	$0xc0000080, CX         // MSR_EFER
	RDMSR
	ORL	$0x100, AX
	WRMSR
	MOVL	CR0, CX
	ANDL	$0xfffffff3, CX
	ORL	$0x80000023, CX
	MOVL	CX, CR0

	// Load our GDT and far-jump to 64-bit code through an m16:32 pointer
	// built at P+0x6000 (the page after the page directories).
	LEAL	·gdtDesc(SB), AX        // eax = gdtDesc - (ebp + gdtFix)
	ADDL	BP, AX
	ADDL	$177, AX                // gdtFix
	BYTE $0x0F; BYTE $0x01; BYTE $0x10 // lgdt [eax]
	LEAL	·entry64(SB), AX        // eax = entry64 - (ebp + entryFix)
	ADDL	BP, AX
	ADDL	$193, AX                // entryFix
	MOVL	AX, 0x6000(BX)
	MOVL	$0x08, 0x6004(BX)       // selector: 64-bit code
	BYTE $0xFF; BYTE $0xAB; LONG $0x6000 // jmp far [ebx+0x6000]

// 64-bit mode from here: ordinary Go assembly.
TEXT ·entry64(SB),NOSPLIT|NOFRAME,$0
	MOVL	$0x10, AX
	BYTE $0x8E; BYTE $0xD8 // mov ds, eax
	BYTE $0x8E; BYTE $0xC0 // mov es, eax
	BYTE $0x8E; BYTE $0xD0 // mov ss, eax
	XORL	AX, AX
	BYTE $0x8E; BYTE $0xE0 // mov fs, eax
	BYTE $0x8E; BYTE $0xE8 // mov gs, eax
	MOVL	SI, SI
	MOVQ	SI, ·startInfoPA(SB)
	MOVQ	BX, ·bootTablesPA(SB)
	LEAQ	·earlyStack+65536(SB), SP
	// Go code finds its g at -8(FS). Until the runtime installs its own
	// TLS, that is earlyG, whose zero stack guard passes every check.
	LEAQ	·earlyTLS+8(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xc0000100, CX // MSR_FS_BASE
	WRMSR
	CALL	·early(SB)
	JMP	·start(SB)

// A flat GDT: null, 64-bit code (0x08), data (0x10).
DATA ·gdt+0x00(SB)/8, $0x0000000000000000
DATA ·gdt+0x08(SB)/8, $0x00209a0000000000
DATA ·gdt+0x10(SB)/8, $0x00cf92000000ffff
GLOBL ·gdt(SB), RODATA, $24

// Its pseudo-descriptor: 16-bit limit, then the base.
DATA ·gdtDesc+0x00(SB)/2, $(3*8-1)
DATA ·gdtDesc+0x02(SB)/8, $·gdt(SB)
GLOBL ·gdtDesc(SB), RODATA, $10

// earlyTLS: -8(FS) must hold a g pointer for Go code.
DATA ·earlyTLS+0(SB)/8, $·earlyG(SB)
DATA ·earlyTLS+8(SB)/8, $0
GLOBL ·earlyTLS(SB), NOPTR, $16
// earlyG: compiled code only reads stack.lo, stack.hi and stackguard0/1
// (the prologue stack check). All zero.
GLOBL ·earlyG(SB), NOPTR, $64

TEXT ·pvhEntryAddr(SB),NOSPLIT,$0-8
	LEAQ	·pvhEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·entry64Addr(SB),NOSPLIT,$0-8
	LEAQ	·entry64(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·gdtDescAddr(SB),NOSPLIT,$0-8
	LEAQ	·gdtDesc(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
