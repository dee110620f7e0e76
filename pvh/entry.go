package pvh

import "unsafe"

// Symbols shared with entry_amd64.s.
//
// Entry's two large regions, bootTables and earlyStack, are zero-valued,
// so they land in .noptrbss and take no room in the kernel's file (the
// 96 KiB would otherwise be .data bytes, nearly a twentieth of a small
// kernel). Entry clears bootTables itself before it builds the tables,
// and needs nothing of earlyStack. Code that clears .bss after Entry has
// run (kernel.zeroBSS) must leave both alone: they are in use while it
// runs (EarlyRegions). The two words below are written by Entry and read
// later, so they keep non-zero initial values, which puts them in .data
// where such a clear does not reach.

// Entry is the 32-bit PVH entry point shared by both flavours. A flavour's
// own entry (the one the PHYS32_ENTRY note or TamaGo's cpuinit names)
// puts the address of its 64-bit continuation in %edi and jumps here.
func Entry()

// EntryAddr returns the address of Entry itself (not of a Go wrapper).
func EntryAddr() uintptr

// EarlyFS is the FS base Entry loads: a TLS block whose g has a zero
// stack guard, so Go code runs before any runtime exists. The kernel
// keeps it as its own TLS for the life of the guest.
func EarlyFS() uint64

// EarlyStackTop is the top of the early stack, where package pv's 64-bit
// PV entry moves from Xen's one-page boot stack.
func EarlyStackTop() uintptr

// bootTables is where Entry builds the first page tables and GDT: seven
// pages plus slack for page alignment. The page tables stay in use for
// the life of the guest. Entry zeroes it before use.
var bootTables [8 * 512]uint64

// earlyStack is the stack of the continuation, until a Go runtime takes
// over with its own.
var earlyStack [65536]byte

// Region is the address range [Start, End): how EarlyRegions names the
// memory a .bss clear must skip.
type Region struct{ Start, End uintptr }

// EarlyRegions returns bootTables and earlyStack: memory in .noptrbss that
// is in use from Entry on, as page tables (CR3 points there) and as the
// stack of the code that runs before a Go runtime. A kernel that clears
// .bss itself after Entry (kernel.zeroBSS) must skip these ranges, or it
// would clear the stack it runs on and the page tables that map it.
func EarlyRegions() [2]Region {
	t := uintptr(unsafe.Pointer(&bootTables))
	s := uintptr(unsafe.Pointer(&earlyStack))
	return [2]Region{
		{t, t + unsafe.Sizeof(bootTables)},
		{s, s + unsafe.Sizeof(earlyStack)},
	}
}

var (
	startInfoPA  uint64 = 1 // physical address of hvm_start_info, from %ebx
	pageTablesPA uint64 = 1 // page-aligned base of the page tables (CR3)
)

// StartInfoAddr is the physical address of the hvm_start_info Xen passed.
func StartInfoAddr() uint64 { return startInfoPA }

// PageTables is the physical address of Entry's PML4 (CR3). At +0x2000
// follow the four page directories that map 0-4 GiB with 2 MiB pages.
func PageTables() uint64 { return pageTablesPA }
