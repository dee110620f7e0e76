package kernel

// init runs inside the Go runtime, before main.main. Work that needs the
// heap (the disassembler) happens here rather than in boot.
func init() {
	if !booted {
		// A host test binary: this is not a guest. The call keeps the
		// entry point (and through it the whole boot path) in the
		// binary: nothing else in Go refers to it.
		pvhEntryAddr()
		return
	}
}
