package kernel

// Symbols shared with entry_amd64.s and trap_amd64.s.

// pvhEntry is the entry point named by the PHYS32_ENTRY note: it hands
// boot to package pvh's shared 32-bit Entry as the continuation.
func pvhEntry()

// pvhEntryAddr returns the address of pvhEntry itself (not of a Go wrapper).
func pvhEntryAddr() uintptr

var (
	curFS  uint64 = 1 // the FS base currently loaded in the CPU
	fsLost uint64     // kernel entries that found another FS base in the CPU
	fsSeen uint64     // the last such FS base
)
