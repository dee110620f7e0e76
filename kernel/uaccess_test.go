package kernel

import (
	"syscall"
	"testing"
	"unsafe"
)

// Pointers no system call may follow. On the host, as in the guest, none
// is mapped: a kernel that dereferences one dies of SIGSEGV (the test
// binary here, the domain there).
var badPointers = []struct {
	name string
	p    uintptr
}{
	{"non-canonical", 1 << 63},
	{"non-canonical low half", 0x00f0_0000_0000_0000},
	{"kernel stack", uintptr(kernelLo) + 0x1000},
	{"below the image", 0x80000},
	{"nil guard", 8},
}

// hostPage maps one page with prot for the test, released at its end.
func hostPage(t *testing.T, prot int) uintptr {
	b, err := syscall.Mmap(-1, 0, 4096, prot, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))
}

// Every system call that takes a pointer answers EFAULT for one it
// cannot follow, as Linux does, instead of faulting in the kernel.
func TestSyscallsRefuseBadPointers(t *testing.T) {
	resetFDs(t)
	efd := int(eventfdCreate(1, 0x800))
	ep := int(epollCreate())
	ev := epollEvent(7)
	if r := epollCtl(ep, 1, efd, uintptr(unsafe.Pointer(&ev[0]))); r != 0 {
		t.Fatalf("EPOLL_CTL_ADD = %d", r)
	}
	evfd := int(allocFD(fdEvtchn))
	gfd := int(allocFD(fdGntalloc))
	var f frame
	call := func(nr uint64, a ...uint64) int64 {
		var r [5]uint64
		copy(r[:], a)
		return dispatch(&f, nr, r[0], r[1], r[2], r[3], r[4])
	}
	cases := []struct {
		name string
		call func(p uint64) int64
	}{
		{"write(eventfd, p, 8)", func(p uint64) int64 { return call(sysWrite, uint64(efd), p, 8) }},
		{"read(eventfd, p, 8)", func(p uint64) int64 { return call(sysRead, uint64(efd), p, 8) }},
		{"write(1, p, 8)", func(p uint64) int64 { return call(sysWrite, 1, p, 8) }},
		{"futex(p, FUTEX_WAIT)", func(p uint64) int64 { return call(sysFutex, p, 128, 0, 0) }},
		{"nanosleep(p)", func(p uint64) int64 { return call(sysNanosleep, p) }},
		{"clock_gettime(MONOTONIC, p)", func(p uint64) int64 { return call(sysClockGettime, 1, p) }},
		{"rt_sigaction(SIGUSR1, p, nil)", func(p uint64) int64 { return call(sysRtSigaction, 10, p, 0, 8) }},
		{"rt_sigaction(SIGUSR1, nil, p)", func(p uint64) int64 { return call(sysRtSigaction, 10, 0, p, 8) }},
		{"rt_sigprocmask(SIG_BLOCK, p, nil)", func(p uint64) int64 { return call(sysRtSigprocmask, 0, p, 0, 8) }},
		{"rt_sigprocmask(SIG_BLOCK, nil, p)", func(p uint64) int64 { return call(sysRtSigprocmask, 0, 0, p, 8) }},
		{"sigaltstack(p, nil)", func(p uint64) int64 { return call(sysSigaltstack, p, 0) }},
		{"sigaltstack(nil, p)", func(p uint64) int64 { return call(sysSigaltstack, 0, p) }},
		{"sched_getaffinity(0, 8, p)", func(p uint64) int64 { return call(sysSchedGetaffinity, 0, 8, p) }},
		{"getrandom(p, 16)", func(p uint64) int64 { return call(sysGetrandom, p, 16, 0) }},
		{"prlimit64(0, NOFILE, nil, p)", func(p uint64) int64 { return call(sysPrlimit64, 0, 7, 0, p) }},
		{"openat(AT_FDCWD, p)", func(p uint64) int64 { return call(sysOpenat, ^uint64(99), p, 0) }},
		{"epoll_ctl(ADD, p)", func(p uint64) int64 {
			closeFD(ep)
			ep = int(epollCreate())
			return call(sysEpollCtl, uint64(ep), 1, uint64(efd), p)
		}},
		{"epoll_pwait(p, 1, 0)", func(p uint64) int64 {
			epollCtl(ep, 1, efd, uintptr(unsafe.Pointer(&ev[0])))
			return call(sysEpollPwait, uint64(ep), p, 1, 0)
		}},
		{"ioctl(evtchn, NOTIFY, p)", func(p uint64) int64 { return call(sysIoctl, uint64(evfd), ioctlEvtchnNotify, p) }},
		{"ioctl(gntalloc, ALLOC_GREF, p)", func(p uint64) int64 { return call(sysIoctl, uint64(gfd), ioctlGntallocAllocGref, p) }},
		{"write(evtchn, p, 4)", func(p uint64) int64 { return call(sysWrite, uint64(evfd), p, 4) }},
	}
	for _, c := range cases {
		for _, b := range badPointers {
			if r := c.call(uint64(b.p)); r != -eFAULT {
				t.Errorf("%s with p %s (%#x) = %d, want EFAULT", c.name, b.name, b.p, r)
			}
		}
	}
}

// Sizes with the top bit set are not negative lengths: getrandom clamps
// as Linux does and sched_getaffinity takes an unsigned int, so neither
// may panic in the kernel.
func TestHugeSizes(t *testing.T) {
	page := hostPage(t, syscall.PROT_READ|syscall.PROT_WRITE)
	var f frame
	if r := dispatch(&f, sysGetrandom, uint64(page), 16, 0, 0, 0); r != 16 {
		t.Errorf("getrandom(page, 16) = %d, want 16", r)
	}
	if r := dispatch(&f, sysSchedGetaffinity, 0, 8, uint64(page), 0, 0); r != 8 {
		t.Errorf("sched_getaffinity(0, 8, page) = %d, want 8", r)
	}
	for _, size := range []uint64{0, 1 << 31, 1 << 63, 1<<64 - 1} {
		if r := dispatch(&f, sysSchedGetaffinity, 0, size, uint64(page), 0, 0); r != -eINVAL {
			t.Errorf("sched_getaffinity(0, %#x, page) = %d, want EINVAL", size, r)
		}
		// Linux checks the pointer even for 0 bytes (access_ok in import_ubuf).
		if r := dispatch(&f, sysGetrandom, 1<<63, size, 0, 0, 0); r != -eFAULT {
			t.Errorf("getrandom(non-canonical, %#x) = %d, want EFAULT", size, r)
		}
	}
}

// The copy routine's fault fixup: a fault at its one REP MOVSB resumes
// after it with RCX (the bytes left) kept; a fault anywhere else, or in
// the program, is not the copy's.
func TestUserCopyFixup(t *testing.T) {
	rep := ucopyRepAddr()
	if code := *(*[3]byte)(at(rep)); code != [3]byte{0xf3, 0xa4, 0xc3} {
		t.Fatalf("ucopyRep is % x, want REP MOVSB; RET (f3 a4 c3)", code)
	}
	f := trapFrame{fs: kernelFS, vector: 14}
	f.rip, f.rcx = uint64(rep), 5
	if !userCopyFault(&f) || f.rip != uint64(rep)+2 || f.rcx != 5 {
		t.Errorf("fault at the copy: fixed %v, rip %#x (want %#x), rcx %d", true, f.rip, rep+2, f.rcx)
	}
	for _, g := range []trapFrame{
		{fs: kernelFS + 0x1000, vector: 14, iretFrame: iretFrame{rip: uint64(rep)}},
		{fs: kernelFS, vector: 14, iretFrame: iretFrame{rip: uint64(rep) + 1}},
		{fs: kernelFS, vector: 6, iretFrame: iretFrame{rip: uint64(rep)}},
	} {
		if userCopyFault(&g) {
			t.Errorf("fault %+v taken for the copy's", g.iretFrame)
		}
	}
}

// userRange: the program's mappings and image, never the kernel's stacks,
// memory below the image, a wrapped or non-canonical range.
func TestUserRange(t *testing.T) {
	defer func(s, e uintptr) { imageStart, imageEnd = s, e }(imageStart, imageEnd)
	imageStart, imageEnd = 0x100000, 0x400000
	for _, c := range []struct {
		addr, n uintptr
		ok      bool
	}{
		{uintptr(userLo), 4096, true},
		{uintptr(userHi) - 8, 8, true},
		{uintptr(userHi) - 8, 9, false},
		{uintptr(kernelLo), 8, false},
		{0x100000, 8, true},
		{0x3ffff8, 16, false},
		{0x80000, 8, false},
		{1 << 63, 8, false},
		{^uintptr(0) - 3, 8, false}, // wraps
		{uintptr(userLo), ^uintptr(0), false},
		{0x80000, 0, true}, // nothing to touch
	} {
		if got := userRange(c.addr, c.n); got != c.ok {
			t.Errorf("userRange(%#x, %#x) = %v, want %v", c.addr, c.n, got, c.ok)
		}
	}
}

// An FS base past the program's range would make the kernel's WRMSR (or
// the new thread's first return) fault: EPERM, as Linux answers one past
// TASK_SIZE_MAX, for arch_prctl and for clone's TLS.
func TestFSBaseOutOfRange(t *testing.T) {
	const settls = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000
	var f frame
	for _, p := range []uint64{1 << 63, uint64(kernelLo) + 0x1000} {
		if r := dispatch(&f, sysArchPrctl, 0x1002, p, 0, 0, 0); r != -ePERM || f.fs != 0 {
			t.Errorf("arch_prctl(ARCH_SET_FS, %#x) = %d, fs %#x; want EPERM and no change", p, r, f.fs)
		}
		if r := dispatch(&f, sysClone, settls, 0, 0, 0, p); r != -ePERM {
			t.Errorf("clone(CLONE_SETTLS, tls %#x) = %d, want EPERM", p, r)
		}
	}
}

// accessOK is Linux's access_ok with the guest's own TASK_SIZE, userHi:
// the kernel's stacks above it fail, as Linux's kernel addresses do, even
// where nothing is read (a private FUTEX_WAKE).
func TestAccessOK(t *testing.T) {
	for _, c := range []struct {
		addr, n uintptr
		ok      bool
	}{
		{0x80000, 4, true}, // the program's to name, if not to touch
		{uintptr(userHi) - 4, 4, true},
		{uintptr(userHi) - 4, 5, false},
		{uintptr(kernelLo) + 0x1000, 4, false},
		{1<<47 - 0x2000, 0, false},
		{1 << 63, 0, false},
		{^uintptr(0), 2, false},
	} {
		if got := accessOK(c.addr, c.n); got != c.ok {
			t.Errorf("accessOK(%#x, %d) = %v, want %v", c.addr, c.n, got, c.ok)
		}
	}
	if r := futex(uintptr(kernelLo)+0x1000, 129, 1, 0); r != -eFAULT {
		t.Errorf("FUTEX_WAKE_PRIVATE on a kernel stack = %d, want EFAULT", r)
	}
}

// The kernel's own stacks and page tables inside the image are not the
// program's, though the rest of the image (its globals) is.
func TestUserRangeKernelInImage(t *testing.T) {
	defer func(s, e uintptr) { imageStart, imageEnd = s, e }(imageStart, imageEnd)
	regions := kernelOnly()
	imageStart, imageEnd = ^uintptr(0), 0
	for _, r := range regions {
		imageStart, imageEnd = min(imageStart, r.Start-4096), max(imageEnd, r.End+4096)
	}
	if !userRange(imageStart, 8) || !userRange(imageEnd-8, 8) {
		t.Errorf("the image around the kernel's regions, [%#x, %#x), is refused", imageStart, imageEnd)
	}
	for _, r := range regions {
		for _, p := range []uintptr{r.Start, r.End - 8, r.Start - 4} {
			if userRange(p, 8) {
				t.Errorf("userRange(%#x, 8) inside the kernel's [%#x, %#x) = true", p, r.Start, r.End)
			}
		}
	}
}
