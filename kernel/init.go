package kernel

// init runs inside the Go runtime, before main.main. In a guest, boot has
// done everything already. In a host test binary, which merely imports
// this package, the call keeps the entry point (and through it the whole
// boot path) in the binary: nothing else in Go refers to it.
func init() {
	if !booted {
		pvhEntryAddr()
	}
}
