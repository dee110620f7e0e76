package linker

import "fmt"

// How a goxen kernel is built with the stock Go toolchain. This is the
// one place that says so: `goxen build` (cmd/goxen), the Makefile's
// `kernel` target (which runs goxen build) and the tests use these.

// TextAddress is where the Go linker is told to put the text (-T): the
// ELF header and program headers land one page below it (the linker's
// default -R on linux/amd64 is 4 KiB), so the image starts at MinPhys,
// 1 MiB, the lowest address this package accepts. Starting there, not
// at 2 MiB, keeps the image's end low: a small program fits in memory = 4
// (issue 15), and the kernel gives the RAM below the image, above its
// 64 KiB nil guard, to its frame allocator.
const TextAddress = 0x101000

// MinPhys and MaxPhys bound the physical addresses a PT_LOAD may use:
// PVH starts the guest in 32-bit protected mode with paging off, so the
// image must lie below 4 GiB, and the first MiB holds legacy areas (a
// PVH dom0's memory map has reserved ranges there, [0x9fc00, 0xa0000)
// and [0xf0000, 0x100000) in the box). Report refuses an ELF outside
// [MinPhys, MaxPhys) with a *RangeError.
const (
	MinPhys = minPhys
	MaxPhys = maxPhys
)

// Target of a kernel build: the kernel gives the unmodified runtime the
// Linux system calls it makes, on x86-64, without cgo.
const (
	GOOS   = "linux"
	GOARCH = "amd64"
)

// LDFlags is the -ldflags value of a kernel build: "-T 0x101000".
func LDFlags() string { return fmt.Sprintf("-T %#x", TextAddress) }

// BuildEnv is what a kernel build adds to the go command's environment:
// GOOS=linux, GOARCH=amd64 and CGO_ENABLED=0.
func BuildEnv() []string {
	return []string{"GOOS=" + GOOS, "GOARCH=" + GOARCH, "CGO_ENABLED=0"}
}
