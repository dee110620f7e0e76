// Package kernel stands in for goxen's kernel package in linker tests: it
// defines an assembly function pvhEntry, as the real kernel does.
package kernel

func pvhEntry()

// Entry keeps pvhEntry (and its ABI0 body) in the binary.
var Entry = pvhEntry

func pvEntry()

// PVEntry keeps pvEntry in the binary.
var PVEntry = pvEntry

// HypercallPage stands in for package pvh's hypercall page buffer.
var HypercallPage [2 * 4096]byte
