// Package kernel stands in for goxen's kernel package in linker tests: it
// defines an assembly function pvhEntry, as the real kernel does.
package kernel

func pvhEntry()

// Entry keeps pvhEntry (and its ABI0 body) in the binary.
var Entry = pvhEntry
