// Package pvh is the bring-up of a Xen PVH guest before any Go runtime
// exists, shared by both flavours: the stock-Go kernel (package kernel)
// and the TamaGo board (package tamago/xenpvh). A flavour keeps only what
// differs: the kernel gives the stock runtime a Linux process, the board
// fills in TamaGo's runtime hooks.
//
// # PVH boot
//
// PVH is Xen's way of booting a guest that runs in a hardware container
// (HVM) without emulated firmware: Xen's ELF loader puts the image in
// guest memory and jumps to the address in its XEN_ELFNOTE_PHYS32_ENTRY
// note, in 32-bit flat protected mode, paging off, interrupts disabled,
// %ebx = the physical address of struct hvm_start_info and no stack
// (docs/misc/pvh.pandoc and xen/include/public/arch-x86/hvm/start_info.h
// in Xen's tree). Everything else the guest finds itself, in this order:
//
//  1. Entry (entry_amd64.s). A flavour's entry calls it with the start
//     info's version word borrowed as a 4-byte stack; the return address
//     it pushes is the flavour's 64-bit continuation. Entry clears and
//     builds page tables that identity-map 0-4 GiB with 2 MiB pages (RAM,
//     the image, and the console and xenstore pages Xen puts just below
//     4 GiB), a GDT, enters long mode, and calls the continuation on an
//     early stack with a TLS block whose g passes Go's stack checks. The
//     tables and the stack are zero-valued, in .noptrbss, so they take
//     no room in the file; code that clears .bss later must skip them
//     (EarlyRegions).
//  2. InstallHypercallPage. Xen announces itself in CPUID leaves
//     0x40000000 and up; one names an MSR, and writing a page's address
//     to it makes Xen fill the page with a stub per hypercall, vmcall or
//     vmmcall as the CPU needs (package hypercall). The page is compared
//     byte for byte with the stubs Xen writes.
//  3. ReadStartInfo. The start info is copied out of the pages Xen put it
//     in (package startinfo): command line, modules, memory map. A PVH
//     dom0 gets a version 0 start info with no memory map and asks
//     XENMEM_memory_map for it.
//  4. MapSharedInfo. XENMEM_add_to_physmap(XENMAPSPACE_shared_info) puts
//     Xen's shared info page over a page of the image: event channel
//     bitmaps and the pvclock (package sharedinfo). Upcalls stay masked;
//     a flavour unmasks them if it takes events as interrupts.
//  5. FindConsole. Dom0 writes with the console_io hypercall. A domU reads
//     HVM_PARAM_CONSOLE_PFN and _EVTCHN and writes the PV console ring
//     (package console), kicking its event channel.
//
// Output before FindConsole goes to port 0xe9, which Xen copies into its
// log, and is replayed on the console once it exists. Fatal (and every
// fatal error of the steps above) writes to the console and port 0xe9,
// then crashes the domain with SCHEDOP_shutdown. A console that fails
// moves output to port 0xe9 for good, in both flavours (output.go).
//
// A classic PV guest boots through package pv instead, which shares this
// package's early stack and TLS, hypercall page, console and fatal path
// (SetDebugSink, UseConsoleIO, UseConsoleRing, UseSharedInfo): the same
// ELF carries both entries.
//
// Nothing here allocates, panics or stores a pointer where a garbage
// collector's write barrier could fire: the steps run before the heap
// exists, and the kernel calls the output functions from system calls
// and traps, which run without a Go P.
package pvh
