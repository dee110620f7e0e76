package kernel

// Declarations of the assembly in cpu_amd64.s and trap_amd64.s.

func readCR2() uint64
func readCR3() uint64
func readCR0() uint64
func writeCR0(v uint64)
func invlpg(va uintptr)
func lgdt(p uintptr)
func lidt(p uintptr)
func ltr(sel uint16)
func rdrand() (v uint64, ok bool)
func swtch(save *uintptr, next uintptr)
func enterRuntime(sp, entry uintptr)
func syscallEntryAddr() uintptr
func forkReturnAddr() uintptr
func irqEntryAddr() uintptr
