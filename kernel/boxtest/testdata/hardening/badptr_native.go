//go:build native

package main

// kernelStack, natively, is an address of Linux's kernel (the start of
// its direct map, arch/x86/include/asm/page_64_types.h): as far out of a
// program's reach as a goxen kernel stack is in the guest.
const kernelStack = 0xffff_8880_0000_0000

// guestCases: Xen's devices are the guest's only.
func guestCases() []callCase { return nil }
