// Package kernel turns an ordinary Go program into a Xen PVH guest kernel.
//
// A main package imports this package (for its side effects) and is built
// with the stock Go toolchain for GOOS=linux GOARCH=amd64. The kernel then
// supplies everything a Linux kernel would have supplied to that binary:
// the PVH entry point Xen jumps to, long mode, the hypercall page, the
// console, and the small set of Linux system calls the Go runtime uses.
//
// The boot path, in the order it happens, will live here:
// PVH entry, long mode, hypercall page, start info, shared info, console,
// and the jump into the Go runtime's own entry point.
package kernel
