package pvh

// Symbols shared with entry_amd64.s.
//
// The stock-Go kernel clears .bss itself after Entry has run, so
// everything Entry writes lives in .data: these variables get non-zero
// initial values (a zero value would put them in .bss).

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

// bootTables is where Entry builds the first page tables and GDT: seven
// pages plus slack for page alignment. The page tables stay in use for
// the life of the guest. The last element keeps the array in .data.
var bootTables = [8 * 512]uint64{8*512 - 1: 0x900d}

// earlyStack is the stack of the continuation, until a Go runtime takes
// over with its own.
var earlyStack = [65536]byte{65535: 1}

var (
	startInfoPA  uint64 = 1 // physical address of hvm_start_info, from %ebx
	pageTablesPA uint64 = 1 // page-aligned base of the page tables (CR3)
)

// StartInfoAddr is the physical address of the hvm_start_info Xen passed.
func StartInfoAddr() uint64 { return startInfoPA }

// PageTables is the physical address of Entry's PML4 (CR3). At +0x2000
// follow the four page directories that map 0-4 GiB with 2 MiB pages.
func PageTables() uint64 { return pageTablesPA }
