package main

// badptr calls every system call the kernel answers that takes a pointer
// or a size (kernel/systable.go) with pointers it cannot follow and sizes
// it must not take at face value, and prints one line per case:
//
//	badptr: CALL [p=KIND|size=SIZE] = RESULT
//
// RESULT is "ok" or "ok N" (N the result where it does not vary from run
// to run) or the errno's name. The same program runs in a guest and
// natively on Linux (built with -tags native, without the kernel); the
// box test compares the two. Calls that take neither (getpid, gettid,
// sched_yield, close, kill, tkill, tgkill, fcntl, eventfd2,
// epoll_create1, exit, exit_group) have nothing to check here;
// rt_sigreturn with a bad frame is SIGSEGV on both (TestReadOnlyMemory's
// program covers faults), and prctl is a stub answering EINVAL.

import (
	"fmt"
	"strings"
	"syscall"
	"unsafe"
)

// A pointer kind gives a fresh address for each case and cleans up after.
type ptrKind struct {
	name string
	make func() (p uintptr, done func())
}

// mapPage maps one page with prot (zeros), for a case.
func mapPage(prot int) (uintptr, func()) {
	b, err := syscall.Mmap(-1, 0, 4096, prot, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(b))), func() { syscall.Munmap(b) }
}

func fixed(p uintptr) func() (uintptr, func()) {
	return func() (uintptr, func()) { return p, func() {} }
}

var ptrKinds = []ptrKind{
	// 16 TiB: in the program's range, in no mapping (the Go runtime's
	// heap starts at 768 GiB; Linux places mappings below 128 TiB, goxen
	// from the top of its range down). A page unmapped after use would
	// not do: the runtime may map it again before the case runs.
	{"unmapped", fixed(0x1000_0000_0000)},
	{"PROT_NONE", func() (uintptr, func()) { return mapPage(syscall.PROT_NONE) }},
	{"read-only", func() (uintptr, func()) { return mapPage(syscall.PROT_READ) }},
	// kernelStack is a kernel stack in use in the guest, and a kernel
	// address natively (badptr_guest.go, badptr_native.go).
	{"kernel-stack", fixed(kernelStack)},
	// Below the image: in the guest the identity map's RAM (page
	// tables, free frames); natively below mmap_min_addr.
	{"kernel-memory", fixed(0x80000)},
	{"non-canonical", fixed(1 << 63)},
}

const sysGetrandom = 318 // not in package syscall

var sizes = []uint64{0, 1 << 31, 1 << 63, 1<<64 - 1}

// guarded is a read-write page with an inaccessible page after it, so
// that a copy with a huge size stops at the same place everywhere. It is
// at 48 TiB, so that 2^31 bytes from it stay below TASK_SIZE on both
// (where mmap would put it depends on ASLR natively, and is right below
// the top of the program's range in the guest, whose mmap works down
// from there).
func guarded() (uintptr, func()) {
	const at, n = 0x3000_0000_0000, 8192
	p, e := sys(syscall.SYS_MMAP, at, n, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|0x100000, ^uintptr(0), 0) // MAP_FIXED_NOREPLACE
	if e != 0 {
		panic(e)
	}
	if _, e := sys(syscall.SYS_MPROTECT, p+4096, 4096, syscall.PROT_NONE); e != 0 {
		panic(e)
	}
	return p, func() { sys(syscall.SYS_MUNMAP, p, n) }
}

// reserve maps 2 GiB + a page PROT_NONE at 32 TiB, far from any other
// mapping: a range of 2^31 bytes from its start is the case's own, and a
// longer one meets a hole right after it. (Linux's mprotect changes the
// mappings before the hole before it fails ENOMEM: next to the Go
// runtime's, a 2^63-byte mprotect would take the runtime's memory away.)
func reserve() (uintptr, func()) {
	const n = 1<<31 + 4096
	p, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0x2000_0000_0000, n, syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE|0x100000, ^uintptr(0), 0) // MAP_FIXED_NOREPLACE
	if e != 0 {
		panic(e)
	}
	return p, func() { syscall.Syscall(syscall.SYS_MUNMAP, p, n, 0) }
}

func sys(nr uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var r [6]uintptr
	copy(r[:], a)
	v, _, e := syscall.Syscall6(nr, r[0], r[1], r[2], r[3], r[4], r[5])
	return v, e
}

// result formats a call's outcome; exact says whether the value is the
// same on every run (a count, not an address).
func result(v uintptr, e syscall.Errno, exact bool) string {
	if e != 0 {
		return errnoName(e)
	}
	if exact {
		return fmt.Sprint("ok ", v)
	}
	return "ok"
}

func errnoName(e syscall.Errno) string {
	for _, n := range []struct {
		e    syscall.Errno
		name string
	}{
		{syscall.EFAULT, "EFAULT"}, {syscall.EINVAL, "EINVAL"}, {syscall.ENOMEM, "ENOMEM"},
		{syscall.EPERM, "EPERM"}, {syscall.EAGAIN, "EAGAIN"}, {syscall.ENOENT, "ENOENT"},
		{syscall.ENOTTY, "ENOTTY"}, {syscall.EEXIST, "EEXIST"}, {syscall.EBADF, "EBADF"},
		{syscall.ENOTCONN, "ENOTCONN"}, {syscall.ENOSYS, "ENOSYS"}, {syscall.EINTR, "EINTR"},
	} {
		if e == n.e {
			return n.name
		}
	}
	return fmt.Sprintf("errno %d", uintptr(e))
}

// callCase is one call: with p (a pointer kind) or size (with a good
// pointer where it needs one). kinds, if set, limits the pointer kinds:
// some calls would change the process for good with a pointer that
// works (arch_prctl, clone, prlimit64's new limit).
type callCase struct {
	name  string
	exact bool
	kinds []string
	ptr   func(p uintptr) (uintptr, syscall.Errno)
	// sized names the call with a size n, on a pointer that works.
	sized string
	size  func(n uint64) (uintptr, syscall.Errno)
}

func badptr() {
	efd, err := eventfd()
	if err != nil {
		panic(err)
	}
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		panic(err)
	}
	// refill makes the eventfd readable (Linux empties it even when the
	// read's copy then fails).
	refill := func() {
		one := uint64(1)
		sys(syscall.SYS_WRITE, uintptr(efd), uintptr(unsafe.Pointer(&one)), 8)
	}
	ready := func() {
		refill()
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, efd, &ev)
	}
	var oldAct [4]uint64
	var oldMask uint64
	var oldStack [3]uint64
	sys(syscall.SYS_RT_SIGACTION, 10, 0, uintptr(unsafe.Pointer(&oldAct)), 8)
	sys(syscall.SYS_RT_SIGPROCMASK, 0, 0, uintptr(unsafe.Pointer(&oldMask)), 8)
	restore := func() {
		sys(syscall.SYS_RT_SIGACTION, 10, uintptr(unsafe.Pointer(&oldAct)), 0, 8)
		sys(syscall.SYS_RT_SIGPROCMASK, 2, uintptr(unsafe.Pointer(&oldMask)), 0, 8)
	}
	withGuarded := func(f func(p uintptr) (uintptr, syscall.Errno)) (uintptr, syscall.Errno) {
		p, done := guarded()
		defer done()
		return f(p)
	}
	const cloneThread = syscall.CLONE_VM | syscall.CLONE_FS | syscall.CLONE_FILES | syscall.CLONE_SIGHAND |
		syscall.CLONE_SYSVSEM | syscall.CLONE_THREAD | syscall.CLONE_SETTLS
	badOnly := []string{"kernel-stack", "non-canonical"}
	cases := []callCase{
		{name: "read(eventfd, p, 8)", sized: "read(eventfd, guarded, n)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { refill(); return sys(syscall.SYS_READ, uintptr(efd), p, 8) },
			size: func(n uint64) (uintptr, syscall.Errno) {
				refill()
				return withGuarded(func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_READ, uintptr(efd), p, uintptr(n)) })
			}},
		{name: "write(eventfd, p, 8)", sized: "write(eventfd, guarded, n)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_WRITE, uintptr(efd), p, 8) },
			size: func(n uint64) (uintptr, syscall.Errno) {
				return withGuarded(func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_WRITE, uintptr(efd), p, uintptr(n)) })
			}},
		{name: "write(stdout, p, 16)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_WRITE, 1, p, 16) }},
		{name: "mmap(p, 4096, MAP_FIXED_NOREPLACE)", sized: "mmap(0, n, PROT_NONE)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				v, e := sys(syscall.SYS_MMAP, p, 4096, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON|0x100000, ^uintptr(0), 0)
				if e == 0 {
					sys(syscall.SYS_MUNMAP, v, 4096)
				}
				return v, e
			},
			size: func(n uint64) (uintptr, syscall.Errno) {
				v, e := sys(syscall.SYS_MMAP, 0, uintptr(n), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE, ^uintptr(0), 0)
				if e == 0 {
					sys(syscall.SYS_MUNMAP, v, uintptr(n))
				}
				return v, e
			}},
		{name: "mprotect(p, 4096, PROT_READ)", sized: "mprotect(reserved, n, PROT_NONE)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_MPROTECT, p, 4096, syscall.PROT_READ) },
			size: func(n uint64) (uintptr, syscall.Errno) {
				p, done := reserve()
				defer done()
				return sys(syscall.SYS_MPROTECT, p, uintptr(n), syscall.PROT_NONE)
			}},
		{name: "munmap(p, 4096)", sized: "munmap(reserved, n)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_MUNMAP, p, 4096) },
			size: func(n uint64) (uintptr, syscall.Errno) {
				p, done := reserve()
				defer done()
				return sys(syscall.SYS_MUNMAP, p, uintptr(n))
			}},
		{name: "madvise(p, 4096, MADV_DONTNEED)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				return sys(syscall.SYS_MADVISE, p, 4096, syscall.MADV_DONTNEED)
			}},
		{sized: "madvise(reserved, n, MADV_NORMAL)",
			size: func(n uint64) (uintptr, syscall.Errno) {
				p, done := reserve()
				defer done()
				return sys(syscall.SYS_MADVISE, p, uintptr(n), syscall.MADV_NORMAL)
			}},
		{name: "ioctl(eventfd, 0x40084500, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_IOCTL, uintptr(efd), 0x40084500, p) }},
		{name: "rt_sigaction(SIGUSR1, p, nil)", sized: "rt_sigaction(SIGUSR1, nil, &old, n)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				defer restore()
				return sys(syscall.SYS_RT_SIGACTION, 10, p, 0, 8)
			},
			size: func(n uint64) (uintptr, syscall.Errno) {
				var act [4]uint64
				return sys(syscall.SYS_RT_SIGACTION, 10, 0, uintptr(unsafe.Pointer(&act)), uintptr(n))
			}},
		{name: "rt_sigaction(SIGUSR1, nil, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_RT_SIGACTION, 10, 0, p, 8) }},
		{name: "rt_sigprocmask(SIG_BLOCK, p, nil)", sized: "rt_sigprocmask(SIG_BLOCK, nil, &old, n)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				defer restore()
				return sys(syscall.SYS_RT_SIGPROCMASK, 0, p, 0, 8)
			},
			size: func(n uint64) (uintptr, syscall.Errno) {
				var m uint64
				return sys(syscall.SYS_RT_SIGPROCMASK, 0, 0, uintptr(unsafe.Pointer(&m)), uintptr(n))
			}},
		{name: "rt_sigprocmask(SIG_BLOCK, nil, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_RT_SIGPROCMASK, 0, 0, p, 8) }},
		{name: "nanosleep(p, nil)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_NANOSLEEP, p, 0) }},
		{name: "clone(thread, tls=p)", kinds: badOnly,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_CLONE, cloneThread, 0, 0, 0, p) }},
		{name: "sigaltstack(p, nil)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				sys(syscall.SYS_SIGALTSTACK, 0, uintptr(unsafe.Pointer(&oldStack)))
				defer sys(syscall.SYS_SIGALTSTACK, uintptr(unsafe.Pointer(&oldStack)), 0)
				return sys(syscall.SYS_SIGALTSTACK, p, 0)
			}},
		{name: "sigaltstack(nil, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_SIGALTSTACK, 0, p) }},
		{name: "arch_prctl(ARCH_SET_FS, p)", kinds: badOnly,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_ARCH_PRCTL, 0x1002, p) }},
		{name: "futex(p, FUTEX_WAIT_PRIVATE, 1)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_FUTEX, p, 128, 1, 0) }},
		{name: "futex(p, FUTEX_WAKE_PRIVATE, 1)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_FUTEX, p, 129, 1) }},
		{name: "sched_getaffinity(0, 8, p)", sized: "sched_getaffinity(0, n, guarded)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_SCHED_GETAFFINITY, 0, 8, p) },
			size: func(n uint64) (uintptr, syscall.Errno) {
				return withGuarded(func(p uintptr) (uintptr, syscall.Errno) {
					return sys(syscall.SYS_SCHED_GETAFFINITY, 0, uintptr(n), p)
				})
			}},
		{name: "clock_gettime(CLOCK_MONOTONIC, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_CLOCK_GETTIME, 1, p) }},
		{name: "epoll_ctl(ADD, eventfd, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				defer syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, efd, nil)
				return sys(syscall.SYS_EPOLL_CTL, uintptr(ep), syscall.EPOLL_CTL_ADD, uintptr(efd), p)
			}},
		{name: "epoll_pwait(p, 1, 0)", sized: "epoll_pwait(guarded, n, 0)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				ready()
				defer syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, efd, nil)
				return sys(syscall.SYS_EPOLL_PWAIT, uintptr(ep), p, 1, 0, 0, 8)
			},
			size: func(n uint64) (uintptr, syscall.Errno) {
				ready()
				defer syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, efd, nil)
				return withGuarded(func(p uintptr) (uintptr, syscall.Errno) {
					return sys(syscall.SYS_EPOLL_PWAIT, uintptr(ep), p, uintptr(n), 0, 0, 8)
				})
			}},
		{name: "openat(AT_FDCWD, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) {
				fd, e := sys(syscall.SYS_OPENAT, ^uintptr(99), p, syscall.O_RDONLY)
				if e == 0 {
					syscall.Close(int(fd))
				}
				return fd, e
			}},
		{name: "prlimit64(0, NOFILE, p, nil)", kinds: []string{"unmapped", "PROT_NONE", "kernel-stack", "kernel-memory", "non-canonical"},
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_PRLIMIT64, 0, 7, p, 0) }},
		{name: "prlimit64(0, NOFILE, nil, p)",
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(syscall.SYS_PRLIMIT64, 0, 7, 0, p) }},
		{name: "getrandom(p, 16, 0)", sized: "getrandom(guarded, n, 0)", exact: true,
			ptr: func(p uintptr) (uintptr, syscall.Errno) { return sys(sysGetrandom, p, 16, 0) },
			size: func(n uint64) (uintptr, syscall.Errno) {
				return withGuarded(func(p uintptr) (uintptr, syscall.Errno) { return sys(sysGetrandom, p, uintptr(n), 0) })
			}},
		{sized: "getrandom(non-canonical, n, 0)", exact: true,
			size: func(n uint64) (uintptr, syscall.Errno) { return sys(sysGetrandom, 1<<63, uintptr(n), 0) }},
	}
	cases = append(cases, guestCases()...)
	for _, c := range cases {
		if c.ptr != nil {
			for _, k := range ptrKinds {
				if c.kinds != nil && !contains(c.kinds, k.name) {
					continue
				}
				p, done := k.make()
				v, e := c.ptr(p)
				done()
				fmt.Printf("badptr: %s p=%s = %s\n", c.name, k.name, result(v, e, c.exact))
			}
		}
		if c.size != nil {
			for _, n := range sizes {
				v, e := c.size(n)
				fmt.Printf("badptr: %s n=%#x = %s\n", c.sized, n, result(v, e, c.exact))
			}
		}
	}
	fmt.Println("badptr: still running")
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

func eventfd() (int, error) {
	fd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}
