package kernel

// Symbols shared with entry_amd64.s.
//
// Everything the entry code writes before .bss is cleared must live in
// .data, so these variables get non-zero initial values: a zero value would
// put them in .bss, and clearing .bss would erase them.

// pvhEntry is the 32-bit entry point named by the PHYS32_ENTRY note.
func pvhEntry()

// pvhEntryAddr returns the address of pvhEntry itself (not of a Go wrapper).
func pvhEntryAddr() uintptr

// bootTables is where the entry code builds its first page tables and GDT:
// seven pages plus slack for page alignment. The last element keeps the
// array in .data.
var bootTables = [8 * 512]uint64{8*512 - 1: 0x900d}

// earlyStack is the stack of the boot path, from the 64-bit entry until the
// Go runtime takes over with its own stack.
var earlyStack = [65536]byte{65535: 1}

var (
	startInfoPA  uint64 = 1 // physical address of hvm_start_info, from %ebx
	bootTablesPA uint64 = 1 // page-aligned base of the boot page tables
	curFS        uint64 = 1 // the FS base currently loaded in the CPU
	fsLost       uint64     // kernel entries that found another FS base in the CPU
	fsSeen       uint64     // the last such FS base
)
