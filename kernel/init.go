package kernel

// init runs inside the Go runtime, before main.main. In a guest, boot has
// done everything already. In a host test binary, which merely imports
// this package, the calls keep the entry points (and through them the
// whole boot path, PVH and PV) in the binary: nothing else in Go refers to it.
func init() {
	if !booted {
		pvhEntryAddr()
		pvEntryAddr()
	}
}
