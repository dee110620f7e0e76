// Package startinfo reads the "start of day" information Xen leaves in a
// guest's memory before running its first instruction.
//
// # Why a guest needs start info
//
// A kernel booting on real hardware asks the firmware what the machine looks
// like: how much memory there is and where, what command line the boot
// loader was given, where an initial ramdisk was loaded, where the ACPI
// tables are. A Xen guest has no firmware to ask. Instead, the domain
// builder (the toolstack, or Xen itself for dom0) writes a small structure
// into the guest's memory and tells the guest where it is. This package
// decodes that structure.
//
// # PVH: struct hvm_start_info
//
// A PVH guest is an HVM guest (it runs in a hardware-virtualised container,
// with its own page tables) that boots like a kernel, not like a PC: there
// is no BIOS and no emulated devices. Xen enters it at the address named in
// the kernel's XEN_ELFNOTE_PHYS32_ENTRY note, in 32-bit protected mode with
// paging off, flat segments, interrupts disabled and no stack. Register
// %ebx holds the physical address of a struct hvm_start_info, defined in
// xen/include/public/arch-x86/hvm/start_info.h. The first thing the entry
// code does is save %ebx somewhere safe; everything else about the machine
// is found through it.
//
// The structure begins with a magic number (0x336ec578) and a version.
// Version 0 holds the flags, the physical addresses of the kernel command
// line, a list of modules (for example an initrd; each entry gives an
// address, a size and an optional command line of its own) and the ACPI
// RSDP. Version 1 adds a memory map. Newer versions may only append fields
// (the header guarantees they stay backwards-compatible), so the decoder
// reads any version from 1 on as version 1 and keeps the number. A zero
// address always means "not present": Xen never loads anything at physical
// address 0.
//
// # The memory map
//
// The memory map is a list of [address, address+size) ranges, each with a
// type in the style of the PC's E820 map: RAM the guest may use freely;
// reserved ranges it must leave alone; ACPI tables and ACPI NVS storage;
// and a few Xen-specific kinds. A kernel uses it to learn which physical
// pages it can hand to its page allocator, and which it must never touch
// because they hold firmware tables or are not backed by anything at all.
// With a version 0 structure there is no map in the start info; the guest
// asks Xen for it with the XENMEM_memory_map hypercall instead.
//
// # PV: start_info_t
//
// Classic paravirtualised (PV) guests get an older, bigger structure,
// start_info_t from xen/include/public/xen.h. It starts with a magic string,
// "xen-3.0-x86_64" for a 64-bit guest, and carries what a PV kernel cannot
// discover any other way: its number of pages, the machine addresses of the
// shared info page, the xenstore and console ring pages with their event
// channels, the initial page tables Xen built for it, the list mapping its
// pseudo-physical pages to machine frames, an initial module, and an
// embedded command line of at most MAX_GUEST_CMDLINE (1024) bytes. Xen
// passes its address in %rsi. goxen boots as PVH; the PV decoder is here
// for completeness and for tools that inspect PV guests.
//
// # No allocation
//
// The decoders run in the kernel before the Go runtime is initialised, so
// PVH.Decode and PV.Decode never allocate: results and errors are stored in
// fixed-size arrays inside the PVH and PV values, and every error message is
// assembled from constant strings and numbers only when it is printed.
// Memory is read through the Memory interface, so the same code runs over an
// identity-mapped guest address space in the kernel and over a byte slice
// (Bytes) in host tests and fuzzing.
package startinfo
