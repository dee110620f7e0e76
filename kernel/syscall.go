package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
)

// The Linux system calls the Go runtime makes, answered inside the guest.
// Numbers and semantics are Linux x86-64's (arch/x86/entry/syscalls/
// syscall_64.tbl); what the Go 1.26 runtime needs of each was measured,
// see doc.go. systable.go says which are answered and how completely.
// Anything else is reported on the console and fails ENOSYS.

const (
	sysRead             = 0
	sysWrite            = 1
	sysClose            = 3
	sysMmap             = 9
	sysMprotect         = 10
	sysMunmap           = 11
	sysRtSigaction      = 13
	sysRtSigprocmask    = 14
	sysRtSigreturn      = 15
	sysSchedYield       = 24
	sysMincore          = 27
	sysMadvise          = 28
	sysNanosleep        = 35
	sysGetpid           = 39
	sysKill             = 62
	sysClone            = 56
	sysExit             = 60
	sysUname            = 63
	sysFcntl            = 72
	sysSigaltstack      = 131
	sysPrctl            = 157
	sysArchPrctl        = 158
	sysGettid           = 186
	sysTkill            = 200
	sysFutex            = 202
	sysSchedGetaffinity = 204
	sysClockGettime     = 228
	sysClockNanosleep   = 230
	sysExitGroup        = 231
	sysEpollCtl         = 233
	sysTgkill           = 234
	sysOpenat           = 257
	sysIoctl            = 16
	sysEpollPwait       = 281
	sysEventfd2         = 290
	sysEpollCreate1     = 291
	sysPrlimit64        = 302
	sysGetrandom        = 318
)

// Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h).
const (
	ePERM     = 1
	eNOENT    = 2
	eINTR     = 4
	eBADF     = 9
	eAGAIN    = 11
	eNOMEM    = 12
	eFAULT    = 14
	eEXIST    = 17
	eINVAL    = 22
	eMFILE    = 24
	eNOSYS    = 38
	eSRCH     = 3
	eIO       = 5
	eE2BIG    = 7
	eTIMEDOUT = 110
	eNODEV    = 19
	eNOTTY    = 25
	eNOSPC    = 28
	eNOTCONN  = 107
)

// Distinct wait channels that are not futex addresses (odd, so no futex word can collide).
const (
	waitEpoll   uintptr = 1
	waitConsole uintptr = 3
	waitSleep   uintptr = 5
	// waitEventfdFull: writers waiting for an eventfd counter to be read.
	waitEventfdFull uintptr = 7
)

var (
	sigactions [65][4]uint64 // what rt_sigaction was told, returned as "old"
	reported   [512]bool     // unimplemented system calls already named on the console
)

// syscallGo is called by syscallEntry with the caller's saved registers.
func syscallGo(f *frame) {
	checkFS(f, "system call", f.rax)
	nr := f.rax
	counts.syscalls++
	checkG(f, nr)
	if nr == sysRtSigreturn {
		rtSigreturn(f) // restores every register, RAX included
	} else {
		f.rax = uint64(dispatch(f, nr, f.rdi, f.rsi, f.rdx, f.r10, f.r8))
	}
	beforeUserReturn(f)
}

func dispatch(f *frame, nr, a0, a1, a2, a3, a4 uint64) int64 {
	switch nr {
	case sysWrite:
		return write(int(a0), uintptr(a1), int(a2))
	case sysRead:
		return read(int(a0), uintptr(a1), int(a2))
	case sysClose:
		return closeFD(int(a0))
	case sysMmap:
		if e := fdOf(int(int32(a4)), fdGntalloc); e != nil {
			return gntallocMmap(int(e.slot), a1, f.r9, uint32(a3))
		}
		va, errno := space.Mmap(mm.VAddr(a0), a1, mm.Prot(a2), uint32(a3))
		if errno != 0 {
			return -int64(errno)
		}
		return int64(va)
	case sysMunmap:
		if gntallocMunmap(a0, a1) {
			return 0
		}
		return -int64(space.Munmap(mm.VAddr(a0), a1))
	case sysMprotect:
		return -int64(space.Mprotect(mm.VAddr(a0), a1, mm.Prot(a2)))
	case sysMadvise:
		return -int64(space.Madvise(mm.VAddr(a0), a1, int(a2)))
	case sysArchPrctl:
		const archSetFS = 0x1002
		if a0 != archSetFS {
			return -eINVAL
		}
		f.fs = a1
		threads[cur].userFS = a1
		return 0
	case sysClone:
		return clone(f, a0, a1, a4)
	case sysGettid:
		return int64(currentTID())
	case sysGetpid:
		return 1
	case sysFutex:
		return futex(uintptr(a0), int(a1), uint32(a2), uintptr(a3))
	case sysNanosleep:
		return nanosleep(uintptr(a0))
	case sysSchedYield:
		yield()
		return 0
	case sysClockGettime:
		return clockGettime(int(a0), uintptr(a1))
	case sysRtSigaction:
		return rtSigaction(int(a0), uintptr(a1), uintptr(a2), a3)
	case sysRtSigprocmask:
		return rtSigprocmask(int(a0), uintptr(a1), uintptr(a2))
	case sysSigaltstack:
		return sigaltstack(uintptr(a0), uintptr(a1), f.rsp)
	case sysKill:
		return kill(int(a0), int(a1))
	case sysTkill:
		return tgkill(int(a0), int(a1))
	case sysTgkill:
		return tgkill(int(a1), int(a2))
	case sysFcntl:
		return fcntl(int(a0), int(a1))
	case sysOpenat:
		return openat(uintptr(a1), a2)
	case sysIoctl:
		return ioctl(int(a0), a1, uintptr(a2))
	case sysPrctl:
		return -eINVAL // Go names its mappings with PR_SET_VMA; EINVAL makes it stop
	case sysSchedGetaffinity:
		if a1 < 8 {
			return -eINVAL
		}
		b := bytesAt(uintptr(a2), int(a1))
		clear(b)
		b[0] = 1
		return 8
	case sysGetrandom:
		return getrandom(uintptr(a0), int(a1))
	case sysEpollCreate1:
		return epollCreate()
	case sysEpollCtl:
		return epollCtl(int(a0), int(a1), int(a2), uintptr(a3))
	case sysEpollPwait:
		return epollWait(int(a0), uintptr(a1), int(a2), int(int32(a3)))
	case sysEventfd2:
		return eventfdCreate(a0, int(a1))
	case sysPrlimit64:
		// The os package raises RLIMIT_NOFILE at start-up. Report a
		// fixed limit; new limits are accepted and ignored.
		if a3 != 0 {
			lim := (*[2]uint64)(at(uintptr(a3)))
			lim[0], lim[1] = maxFDs, maxFDs
		}
		return 0
	case sysExit:
		exitThread()
	case sysExitGroup:
		exitGroup(int(int32(a0)))
	}
	if nr < uint64(len(reported)) && !reported[nr] {
		reported[nr] = true
		l := klog().s("unimplemented system call ").dec(int64(nr))
		if name := sysName(nr); name != "" {
			l.s(" (").s(name).s(")")
		}
		l.s(" (args ").hex(a0).s(", ").hex(a1).s(", ").hex(a2).s(") returns ENOSYS").print()
	}
	return -eNOSYS
}

// devices are the files there are: Xen's devices, with the interfaces of
// Linux's devices of those names.
var devices = [...]struct {
	path string
	open func() int64
}{
	{"/dev/xen/xenbus", xenbusOpen},     // xenbus.go
	{"/dev/xen/evtchn", evtchnOpen},     // evtchndev.go
	{"/dev/xen/gntalloc", gntallocOpen}, // gntallocdev.go
}

// openat opens one of the devices. The flags' O_NONBLOCK is kept.
func openat(path uintptr, flags uint64) int64 {
	const oNonblock = 0x800
	if path == 0 {
		return -eFAULT
	}
	for _, d := range devices {
		p := bytesAt(path, len(d.path)+1)
		if string(p[:len(d.path)]) == d.path && p[len(d.path)] == 0 {
			fd := d.open()
			if fd >= 0 {
				fds[fd].nonblock = flags&oNonblock != 0
			}
			return fd
		}
	}
	return -eNOENT
}

// ioctl answers the devices' requests.
func ioctl(fd int, req uint64, arg uintptr) int64 {
	if fd < 0 || fd >= maxFDs || fds[fd].kind == fdNone {
		return -eBADF
	}
	switch e := &fds[fd]; e.kind {
	case fdEvtchn:
		return evtchnIoctl(int(e.slot), req, arg)
	case fdGntalloc:
		return gntallocIoctl(int(e.slot), req, arg)
	}
	return -eNOTTY
}

func write(fd int, buf uintptr, n int) int64 {
	if n < 0 {
		return -eINVAL
	}
	switch fd {
	case 1, 2:
		kwrite(bytesAt(buf, n))
		return int64(n)
	}
	if e := eventfdOf(fd); e != nil {
		return eventfdWrite(e, buf, n)
	}
	if e := fdOf(fd, fdXenbus); e != nil {
		return xenbusWrite(int(e.slot), bytesAt(buf, n))
	}
	if e := fdOf(fd, fdEvtchn); e != nil {
		return evtchnWrite(int(e.slot), buf, n)
	}
	return -eBADF
}

func read(fd int, buf uintptr, n int) int64 {
	if n < 0 {
		return -eINVAL
	}
	if fd == 0 {
		return consoleRead(bytesAt(buf, n))
	}
	if e := eventfdOf(fd); e != nil {
		return eventfdRead(e, buf, n)
	}
	if e := fdOf(fd, fdXenbus); e != nil {
		return xenbusRead(int(e.slot), bytesAt(buf, n))
	}
	if e := fdOf(fd, fdEvtchn); e != nil {
		return evtchnRead(int(e.slot), e.nonblock, buf, n)
	}
	return -eBADF
}

func fcntl(fd, cmd int) int64 {
	const fGetfd, fSetfd, fGetfl, fSetfl = 1, 2, 3, 4
	if fd < 0 || fd >= maxFDs || (fd > 2 && fds[fd].kind == fdNone) {
		return -eBADF
	}
	switch cmd {
	case fGetfd:
		return 0
	case fGetfl:
		return 2 // O_RDWR
	case fSetfd, fSetfl:
		return 0
	}
	return -eINVAL
}

func futex(addr uintptr, op int, val uint32, timeout uintptr) int64 {
	const wait, wake_, private = 0, 1, 128
	switch op &^ private {
	case wait:
		if *(*uint32)(at(addr)) != val {
			return -eAGAIN
		}
		var deadline int64
		if timeout != 0 {
			ns, errno := readTimespec(timeout)
			if errno != 0 {
				return -errno
			}
			deadline = deadlineAfter(nanotime(), ns)
		}
		switch block(addr, deadline) {
		case wokeTimeout:
			return -eTIMEDOUT
		case wokeSignal:
			return -eINTR
		}
		return 0
	case wake_:
		return int64(wake(addr, int(val)))
	}
	klog().s("futex: unsupported op ").dec(int64(op)).print()
	return -eNOSYS
}

func nanosleep(req uintptr) int64 {
	ns, errno := readTimespec(req)
	if errno != 0 {
		return -errno
	}
	if ns == 0 {
		yield()
		return 0
	}
	if block(waitSleep, deadlineAfter(nanotime(), ns)) == wokeSignal {
		return -eINTR
	}
	return 0
}

func clockGettime(clock int, p uintptr) int64 {
	var ns int64
	switch clock {
	case 0, 5, 8: // REALTIME, REALTIME_COARSE, REALTIME_ALARM
		ns = walltime()
	case 1, 4, 6, 7, 2, 3: // MONOTONIC (+_RAW, _COARSE, BOOTTIME), CPU times
		ns = nanotime()
	default:
		return -eINVAL
	}
	ts := (*[2]int64)(at(p))
	ts[0], ts[1] = ns/1e9, ns%1e9
	return 0
}

func rtSigaction(sig int, act, old uintptr, size uint64) int64 {
	if sig <= 0 || sig >= len(sigactions) || size != 8 {
		return -eINVAL
	}
	if old != 0 {
		*(*[4]uint64)(at(old)) = sigactions[sig]
	}
	if act != 0 {
		sigactions[sig] = *(*[4]uint64)(at(act))
	}
	return 0
}

var rngState uint64

func getrandom(buf uintptr, n int) int64 {
	b := bytesAt(buf, n)
	for i := 0; i < n; i += 8 {
		v, ok := uint64(0), false
		if haveRDRAND {
			v, ok = rdrand()
		}
		if !ok {
			// No RDRAND (QEMU's qemu64 model has none): a TSC-seeded
			// xorshift. Not cryptographic; said once at boot.
			rngState ^= hypercall.RDTSC()
			rngState ^= rngState << 13
			rngState ^= rngState >> 7
			rngState ^= rngState << 17
			v = rngState
		}
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return int64(n)
}

// exitGroup ends the domain: poweroff for status 0, crash otherwise,
// after a final line that states the status.
func exitGroup(code int) {
	if code == 0 {
		if shutdownRequested {
			klog().s("the program exited; ").s(shutdownReasonName(shutdownReason)).s(", as the toolstack asked").print()
			shutdown(shutdownReason)
		}
		shutdown(hypercall.SHUTDOWN_poweroff)
	}
	klog().s("exit status ").dec(int64(code)).printAll()
	shutdown(hypercall.SHUTDOWN_crash)
}

// checkG notes, once, a thread that enters the kernel with a g in R14
// other than the one its TLS slot holds (the word below the FS base). The
// runtime's system-call stubs keep R14 = g, so a difference means one of
// the two was overwritten: the note tells which thread, and both values,
// for a crash that follows far from the cause. clone and rt_sigreturn are
// left out, and a TLS slot still 0: they run where g is being set.
func checkG(f *frame, nr uint64) {
	if reportedG || nr == sysClone || nr == sysRtSigreturn || f.fs < uint64(userLo) || f.r14 == 0 {
		return
	}
	if g := *(*uint64)(at(uintptr(f.fs - 8))); g != 0 && g != f.r14 {
		reportedG = true
		klog().s("note: thread ").dec(int64(threads[cur].tid)).s(" entered system call ").dec(int64(nr)).
			s(" with g ").hex(f.r14).s(" in R14 but ").hex(g).s(" in its TLS (fs ").hex(f.fs).s(")").print()
	}
}

var reportedG bool

const (
	msrSTAR  = 0xC0000081
	msrLSTAR = 0xC0000082
	msrFMASK = 0xC0000084
)

// initSyscalls points SYSCALL at syscallEntry. SYSCALL at ring 0 loads
// CS from STAR[47:32] (our code selector, SS = +8) and clears the RFLAGS
// bits in FMASK: IF, so a system call is never interrupted; DF; TF; AC.
func initSyscalls() {
	hypercall.WRMSR(msrSTAR, uint64(selCode)<<32)
	hypercall.WRMSR(msrLSTAR, uint64(syscallEntryAddr()))
	hypercall.WRMSR(msrFMASK, 0x200|0x400|0x100|0x40000)
}
