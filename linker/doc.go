// Package linker finishes a Go-linked ELF so that Xen can boot it as a PVH
// guest. Command xenlink (linker/cmd/xenlink) is its front end.
//
// # ELF notes
//
// An ELF note is a small tagged record stored in the file: a header of three
// 32-bit numbers (the size of the owner name, the size of the payload, and
// a type number), then the owner name, then the payload, each padded to a
// multiple of four bytes. The owner name says whose numbering the type
// follows: the Go toolchain stores its build ID under "Go", binutils its
// build ID under "GNU", and Xen defines its own set under "Xen"
// (xen/include/public/elfnote.h). Notes are found two ways: through PT_NOTE
// program headers, which is what loaders use, and through SHT_NOTE section
// headers, which is what tools like readelf -n list when sections exist.
//
// # Why Xen needs PHYS32_ENTRY
//
// A PVH guest is started by Xen like a bare machine that skipped the
// firmware: its image is copied to the physical addresses in its PT_LOAD
// headers, and one virtual CPU starts in 32-bit protected mode with paging
// off, %ebx pointing at the hvm_start_info structure. The ELF e_entry of a
// Go program is the runtime's 64-bit Linux start code, which cannot run in
// that state, so Xen has to be told about a different entry point: the
// note XEN_ELFNOTE_PHYS32_ENTRY holds the 32-bit physical address of that
// code (the kernel's assembly routine pvhEntry). Without that note Xen's
// domain builder refuses to build a PVH guest from the image. Because
// everything runs with 32-bit physical addresses at first, every PT_LOAD
// must lie below 4 GiB, and it should stay above the first megabyte, which
// holds legacy firmware areas. Xen's loader reads Xen notes from PT_NOTE
// segments first and looks at SHT_NOTE sections only when the segments
// carry none. We also write XEN_ELFNOTE_GUEST_OS, XEN_ELFNOTE_XEN_VERSION
// and XEN_ELFNOTE_LOADER, which describe the guest for tools and which the
// older PV loader requires.
//
// # The PV notes: one ELF, two modes
//
// When the file has a 64-bit PV entry symbol (kernel.pvEntry, or the
// TamaGo board's), Report also writes the notes Xen's PV domain builder
// reads: XEN_ELFNOTE_ENTRY, HYPERCALL_PAGE (package pvh's hypercall page,
// which Xen fills with SYSCALL stubs for a PV guest), VIRT_BASE 0 and
// PADDR_OFFSET 0 (virtual = pseudo-physical, as under PVH's identity map),
// beside PHYS32_ENTRY; LOADER and XEN_VERSION are what a PV kernel needs
// anyway. A PVH container ignores them, so the one ELF boots with
// type = "pvh" and with type = "pv", as Linux's vmlinux does (pvnotes.go).
// Beside a foreign PHYS32_ENTRY note (tamago's) the PV notes go in our own
// PT_NOTE, which Xen reads as well. Modes says which modes a set of notes
// allows; Result.Modes and goxen build report it.
//
// # Why we rewrite PT_GNU_STACK
//
// The stock Go linker offers no way to add a note segment, and the program
// header table cannot grow: it sits right after the ELF header at the
// start of the first loaded page, and the text follows. But the Go linker
// always emits a PT_GNU_STACK header, which only tells Linux whether the
// stack may be executable; Xen ignores it. So that header is turned into a
// PT_NOTE whose file offset points at the Xen notes appended to the end of
// the file. The notes are not loaded into guest memory (the PT_NOTE has no
// address), which is fine because Xen reads them from the file. On Linux
// the changed binary still runs; without PT_GNU_STACK the kernel falls back
// to its default stack permissions.
//
// For readelf and friends, which list notes by section, a ".note.Xen"
// SHT_NOTE section covering the same bytes is added. A section header table
// cannot grow in place either, so a copy with the extra entry (and a copy of
// the section name table with the extra name) is appended as well; the
// originals stay where they were, no longer referenced. Nothing else in the
// file changes.
//
// Running the tool again recognises its own PT_NOTE (Xen notes only, no
// address, behind all loaded data) and rebuilds the appended part, so the
// output of a second run is byte-for-byte the output of the first. If the
// file instead already has a PHYS32_ENTRY note from another tool, that
// note is validated and kept and nothing is added.
//
// # Why Strip
//
// Xen's loader (xen/common/libelf) reads the ELF header, the program
// headers, the PT_LOAD contents and the notes; it copies the symbol
// table only for a guest that asks with XEN_ELFNOTE_BSD_SYMTAB, which
// ours does not, and never reads DWARF. The symbol table and DWARF that
// the Go linker writes are for debuggers and symbol tools, and are about
// a third of a small kernel's file. Strip drops every section without
// SHF_ALLOC but the notes and the section names, leaving every loaded
// byte where it was, so that the unstripped file, kept beside the
// stripped one (DebugSuffix), describes the very kernel that boots. The
// entry symbol must be looked up before: Report first, then Strip.
package linker
