// Package mm is the kernel's memory manager: the part of mmap, munmap,
// mprotect and madvise that decides what memory the Go program has, and the
// page-fault handler that backs that memory with real frames when it is
// first used. It knows nothing about Xen or the CPU beyond the page-table
// format; physical memory and TLB flushes are handed in, so all of it runs
// in host tests.
//
// # Reservations and commits
//
// The Go runtime asks for address space in two steps. First it reserves:
// mmap with PROT_NONE, hundreds of megabytes at a time (a hello world
// reserves about 1.16 GB), just so nothing else lands there. Later it
// commits pieces of a reservation by mapping them again, read/write, with
// MAP_FIXED at exactly the address it chose. A Space records both as
// regions: a sorted table of [Start, End) ranges with a protection each.
// A reservation costs one table entry and no memory at all; a commit
// splits the reservation's entry, and neighbours with equal protection
// merge again, so the table stays small. Without MAP_FIXED the address is
// only a hint: it is used when that range is free, as Linux does, and
// otherwise the highest free range is.
//
// # Demand-zero paging
//
// A commit does not allocate memory either. The runtime maps about 39 MB
// read/write for a hello world but touches only about 2 MB of it, so the
// page tables start empty and the first access to each page traps. Fault
// then looks up the region: if the access is allowed it takes a free frame,
// fills it with zeros (fresh anonymous memory must read as zero, and the
// frame may hold anything) and maps it, and the program retries the
// instruction; if not, the fault is a real segmentation fault (EFAULT) for
// the kernel to turn into SIGSEGV. Pages of a region made PROT_NONE by
// mprotect keep their frame in a non-present entry marked with a software
// bit, so their contents come back with the access rights.
//
// # Why MADV_DONTNEED must zero
//
// The runtime's scavenger gives unused memory back with
// madvise(MADV_DONTNEED) and, since Go 1.26, assumes those pages read as
// zero the next time they are used: it skips clearing them itself. So
// DONTNEED cannot be ignored; it drops the pages and returns their frames,
// and the next touch faults in a fresh zero page. Other advice
// (MADV_NOHUGEPAGE and friends) is accepted and ignored.
//
// # No heap, no Go pointers
//
// This code runs inside the kernel's system-call and page-fault handlers,
// below the Go runtime that is asking for memory: the runtime may be in the
// middle of malloc, or the fault may be the heap itself growing. Allocating
// there would recurse or deadlock, and storing a Go pointer into a global
// would run a write barrier the runtime is not ready for. So every table
// here is a fixed-size array of plain integers (the frame bitmap, the
// region table), errors are Linux errno integers instead of error values,
// and tests check with testing.AllocsPerRun that Mmap, Munmap, Mprotect,
// Madvise and Fault allocate nothing. Nothing locks either: the kernel calls
// in one at a time.
//
// # The x86-64 page table
//
// A virtual address below 2^48 is split into four 9-bit indexes and a
// 12-bit offset. CR3 holds the physical address of the top table (PML4);
// each of its 512 eight-byte entries covers 512 GiB and points to a PDPT,
// whose entries cover 1 GiB and point to a page directory (PD), whose
// entries cover 2 MiB and point to a page table (PT), whose entries map one
// 4 KiB page each. Every entry is a frame address plus flag bits: Present,
// Writable, User, the cache bits, Accessed, Dirty, and NX at bit 63. An
// entry in a PDPT or PD with the PS bit set is itself a leaf, a 1 GiB or
// 2 MiB page: the kernel identity-maps low memory that way. Map refuses to
// work inside such a page rather than split it. Intermediate tables are
// allocated as they are needed, and a range operation frees tables that
// become empty, but only those lying wholly inside the Space's [Lo, Hi),
// so the kernel's own tables are never touched. After changing a present
// entry the CPU's cached copy must be dropped with INVLPG.
//
// Every entry is read and written through Phys, never through a pointer
// into the table, and every operation ends with Phys.Flush: under PVH the
// kernel's Phys stores entries directly, while a classic PV guest's (in
// package pv) translates frame numbers and has Xen write them in batches.
package mm
