//go:build amd64

package xenpvh

// Symbols shared with entry_amd64.s.

// pvhEntry is the 32-bit PVH entry point; cpuinit jumps to it.
func pvhEntry()

// entry64 is where pvhEntry continues in 64-bit mode.
func entry64()

// pvhEntryAddr returns the address of pvhEntry itself (not of a Go wrapper).
func pvhEntryAddr() uintptr

// start leaves the board's early code for the TamaGo runtime
// (start_tamago_amd64.s); in host builds it is a stub that traps.
func start()

// bootTables is where pvhEntry builds its page tables: six pages plus
// slack for page alignment, plus the page holding the far-jump pointer.
// The page tables stay in use for the life of the guest. Xen's ELF loader
// zeroes .bss, and pvhEntry clears the tables itself anyway.
var bootTables [8 * 4096]byte

// earlyStack is the stack of early, before the runtime takes over.
var earlyStack [65536]byte

var (
	startInfoPA  uint64 // physical address of hvm_start_info, from %ebx
	bootTablesPA uint64 // page-aligned base of the page tables (CR3)
)

// entry64Addr and gdtDescAddr return symbol addresses for entry_test.go.
func entry64Addr() uintptr
func gdtDescAddr() uintptr
