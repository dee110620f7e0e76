//go:build !native

package main

import (
	"os"
	"syscall"
)

// kernelStack is inside the kernel stack of the guest's first thread,
// which is in use: the top 32 KiB below 2^47 (kernel/mem.go's kmap takes
// the highest free range of [kernelLo, 2^47)).
const kernelStack = 1<<47 - 0x2000

// guestCases are the calls on Xen's devices, which exist in the guest
// only; their lines say "badptr-guest:" and are not compared with Linux.
// Request numbers: include/uapi/xen/evtchn.h, gntalloc.h.
func guestCases() []callCase {
	open := func(path string) uintptr {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			panic(err)
		}
		return f.Fd()
	}
	evtchn, gntalloc, xenbus := open("/dev/xen/evtchn"), open("/dev/xen/gntalloc"), open("/dev/xen/xenbus")
	ioctl := func(fd, req uintptr) func(p uintptr) (uintptr, syscall.Errno) {
		return func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_IOCTL, fd, req, p) }
	}
	rw := func(nr, fd, n uintptr) func(p uintptr) (uintptr, syscall.Errno) {
		return func(p uintptr) (uintptr, syscall.Errno) { return sys(nr, fd, p, n) }
	}
	return []callCase{
		{name: "guest ioctl(evtchn, BIND_UNBOUND_PORT, p)", ptr: ioctl(evtchn, 4<<16|'E'<<8|2)},
		{name: "guest ioctl(evtchn, BIND_INTERDOMAIN, p)", ptr: ioctl(evtchn, 8<<16|'E'<<8|1)},
		{name: "guest ioctl(evtchn, UNBIND, p)", ptr: ioctl(evtchn, 4<<16|'E'<<8|3)},
		{name: "guest ioctl(evtchn, NOTIFY, p)", ptr: ioctl(evtchn, 4<<16|'E'<<8|4)},
		{name: "guest read(evtchn, p, 4)", ptr: rw(syscall.SYS_READ, evtchn, 4)},
		{name: "guest write(evtchn, p, 4)", ptr: rw(syscall.SYS_WRITE, evtchn, 4)},
		{name: "guest ioctl(gntalloc, ALLOC_GREF, p)", ptr: ioctl(gntalloc, 24<<16|'G'<<8|5)},
		{name: "guest ioctl(gntalloc, DEALLOC_GREF, p)", ptr: ioctl(gntalloc, 16<<16|'G'<<8|6)},
		{name: "guest ioctl(gntalloc, SET_UNMAP_NOTIFY, p)", ptr: ioctl(gntalloc, 16<<16|'G'<<8|7)},
		{name: "guest read(xenbus, p, 64)", ptr: rw(syscall.SYS_READ, xenbus, 64)},
		{name: "guest write(xenbus, p, 16)", ptr: rw(syscall.SYS_WRITE, xenbus, 16)},
	}
}
