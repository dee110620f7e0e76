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
	if pvProgramHypercall(f) { // PV: a hypercall the program made (pv.go)
		beforeUserReturn(f)
		return
	}
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
		return write(int(a0), uintptr(a1), a2)
	case sysRead:
		return read(int(a0), uintptr(a1), a2)
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
		if a1 >= uint64(userHi) {
			return -ePERM // as Linux beyond TASK_SIZE_MAX: a non-canonical FS base would fault WRMSR
		}
		pvGiveBackSlot(f)
		f.fs = a1
		// kernel:nopanic cur is a thread table index
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
		return rtSigprocmask(int(a0), uintptr(a1), uintptr(a2), a3)
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
		return schedGetaffinity(uint32(a1), uintptr(a2))
	case sysGetrandom:
		return getrandom(uintptr(a0), a1, a2)
	case sysEpollCreate1:
		return epollCreate()
	case sysEpollCtl:
		return epollCtl(int(a0), int(a1), int(a2), uintptr(a3))
	case sysEpollPwait:
		return epollWait(int(a0), uintptr(a1), int(int32(a2)), int(int32(a3)))
	case sysEventfd2:
		return eventfdCreate(a0, int(a1))
	case sysPrlimit64:
		return prlimit(a1, uintptr(a2), uintptr(a3))
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
	// The path, up to one byte past the longest device's (with its NUL).
	var name [len("/dev/xen/gntalloc") + 1]byte
	n := 0
	for n < len(name) {
		c, errno := readUser[byte](path + uintptr(n))
		if errno != 0 {
			return -errno
		}
		if c == 0 {
			break
		}
		name[n] = c
		n++
	}
	for _, d := range devices {
		// kernel:nopanic n < len(name), checked first
		if n < len(name) && string(name[:n]) == d.path {
			fd := d.open()
			if fd >= 0 {
				// kernel:nopanic fd is a descriptor a device's open returned, in [3, maxFDs)
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

// rwFile is the file behind fd for a read (the console's is fd 0) or a
// write (fds 1 and 2), or nil if fd names none that can.
func rwFile(fd int, write bool) *fdEntry {
	if fd < 0 || fd >= maxFDs {
		return nil
	}
	switch e := &fds[fd]; e.kind {
	case fdConsole:
		if write == (fd != 0) {
			return e
		}
	case fdEventfd, fdXenbus, fdEvtchn:
		return e
	}
	return nil
}

func write(fd int, buf uintptr, count uint64) int64 {
	e, n, errno := rwStart(fd, true, buf, count)
	if errno != 0 {
		return -errno
	}
	switch e.kind {
	case fdConsole:
		return consoleWrite(buf, n)
	case fdEventfd:
		return eventfdWrite(e, buf, n)
	case fdXenbus:
		return xenbusWriteFrom(int(e.slot), buf, n)
	}
	return evtchnWrite(int(e.slot), buf, n)
}

func read(fd int, buf uintptr, count uint64) int64 {
	e, n, errno := rwStart(fd, false, buf, count)
	if errno != 0 {
		return -errno
	}
	switch e.kind {
	case fdConsole, fdXenbus:
		return readThrough(e, buf, n)
	case fdEventfd:
		return eventfdRead(e, buf, n)
	}
	return evtchnRead(int(e.slot), e.nonblock, buf, n)
}

// rwCount checks a read's or write's buffer and count as Linux's vfs_read
// and vfs_write do: access_ok first (EFAULT), then a count that is
// negative as a ssize_t (EINVAL), clamped to maxRW.
func rwCount(buf uintptr, count uint64) (int, int64) {
	if !accessOK(buf, uintptr(count)) {
		return 0, eFAULT
	}
	if int64(count) < 0 {
		return 0, eINVAL
	}
	return int(min(count, maxRW)), 0
}

// rwStart is read's and write's first checks, in Linux's order: the
// file (EBADF), then the buffer and count (rwCount).
func rwStart(fd int, write bool, buf uintptr, count uint64) (*fdEntry, int, int64) {
	e := rwFile(fd, write)
	if e == nil {
		return nil, 0, eBADF
	}
	n, errno := rwCount(buf, count)
	return e, n, errno
}

// consoleWrite writes n bytes of the program's buffer to the console, a
// piece at a time: what was written before a fault counts, as on Linux;
// a fault before anything is EFAULT.
func consoleWrite(buf uintptr, n int) int64 {
	var piece [256]byte
	done := 0
	for done < n {
		// kernel:nopanic min(n-done, len(piece)) is in [1, len(piece)] inside the loop
		p := piece[:min(n-done, len(piece))]
		k := copyInSome(p, buf+uintptr(done))
		// kernel:nopanic copyInSome returns at most len(p)
		kwrite(p[:k])
		done += k
		if k < len(p) {
			break
		}
	}
	if done == 0 && n > 0 {
		return -eFAULT
	}
	return int64(done)
}

// readStage is the most one read of the console or /dev/xen/xenbus
// hands over: a short read, as a device may give.
const readStage = 1024

// readThrough reads from the console or /dev/xen/xenbus into a kernel
// buffer and copies that to the program's. The program's buffer is
// probed first, so a bad one fails EFAULT before the device gives
// anything up. (A program that unmaps the buffer while the read blocks
// loses the bytes the read took.)
func readThrough(e *fdEntry, buf uintptr, n int) int64 {
	if n == 0 {
		return 0
	}
	var stage [readStage]byte
	// kernel:nopanic n > 0 here, and min caps it at len(stage)
	p := stage[:min(n, len(stage))]
	if errno := userProbe(buf, uintptr(len(p)), true); errno != 0 {
		return -errno
	}
	var r int64
	if e.kind == fdConsole {
		r = consoleRead(p)
	} else {
		r = xenbusRead(int(e.slot), p)
	}
	if r <= 0 {
		return r
	}
	if errno := copyOut(buf, p[:min(int(r), len(p))]); errno != 0 {
		return -errno
	}
	return r
}

// xenbusWriteFrom gives /dev/xen/xenbus the program's buffer, a piece at a
// time (xenbusWrite takes requests in pieces of any size).
func xenbusWriteFrom(slot int, buf uintptr, n int) int64 {
	var piece [256]byte
	for done := 0; done < n; {
		// kernel:nopanic min(n-done, len(piece)) is in [1, len(piece)] inside the loop
		k := copyInSome(piece[:min(n-done, len(piece))], buf+uintptr(done))
		if k == 0 {
			return -eFAULT
		}
		// kernel:nopanic copyInSome returns at most the length it was given
		if r := xenbusWrite(slot, piece[:k]); r < 0 {
			return r
		}
		done += k
	}
	return int64(n)
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
	// get_futex_key (kernel/futex/core.c): an aligned word the program
	// may name, else EINVAL or EFAULT.
	if addr%4 != 0 {
		return -eINVAL
	}
	if !accessOK(addr, 4) {
		return -eFAULT
	}
	switch op &^ private {
	case wait:
		v, errno := readUser[uint32](addr)
		if errno != 0 {
			return -errno
		}
		if v != val {
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
	return -writeUser(p, [2]int64{ns / 1e9, ns % 1e9})
}

// rtSigaction follows Linux's order (kernel/signal.c): the set size,
// then the new action is read, the signal checked, the action replaced,
// and the old one written last (EFAULT then leaves the new one in place).
func rtSigaction(sig int, act, old uintptr, size uint64) int64 {
	if size != 8 {
		return -eINVAL
	}
	var next [4]uint64
	if act != 0 {
		var errno int64
		if next, errno = readUser[[4]uint64](act); errno != 0 {
			return -errno
		}
	}
	if sig <= 0 || sig >= len(sigactions) || act != 0 && (sig == sigKILL || sig == 19) { // SIGSTOP
		return -eINVAL
	}
	prev := sigactions[sig]
	if act != 0 {
		sigactions[sig] = next
	}
	if old != 0 {
		return -writeUser(old, prev)
	}
	return 0
}

// schedGetaffinity reports one CPU. Its size is an unsigned int, as in
// Linux (kernel/sched/syscalls.c), checked as Linux checks it: at least
// one CPU's bit (in 32-bit arithmetic) and whole longs; one long of mask
// is written and its size returned.
func schedGetaffinity(size uint32, mask uintptr) int64 {
	if size*8 == 0 || size%8 != 0 {
		return -eINVAL
	}
	if errno := writeUser(mask, uint64(1)); errno != 0 {
		return -errno
	}
	return 8
}

// prlimit reports a fixed limit (the os package raises RLIMIT_NOFILE at
// start-up); a new limit is read, as Linux reads it, and ignored.
func prlimit(resource uint64, next, old uintptr) int64 {
	const rlimNlimits = 16
	if resource >= rlimNlimits {
		return -eINVAL
	}
	if next != 0 {
		if _, errno := readUser[[2]uint64](next); errno != 0 {
			return -errno
		}
	}
	if old != 0 {
		return -writeUser(old, [2]uint64{maxFDs, maxFDs})
	}
	return 0
}

var rngState uint64

// getrandom fills the buffer as Linux's does (drivers/char/random.c):
// unknown flags are EINVAL, the size is clamped to maxRW, the range must
// pass access_ok (even for 0 bytes), and a fault part way returns what
// was written (EFAULT if nothing was).
func getrandom(buf uintptr, size, flags uint64) int64 {
	const grndNonblock, grndRandom, grndInsecure = 1, 2, 4
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 || flags&(grndRandom|grndInsecure) == grndRandom|grndInsecure {
		return -eINVAL
	}
	n := int(min(size, maxRW))
	if !accessOK(buf, uintptr(n)) {
		return -eFAULT
	}
	var piece [256]byte
	done := 0
	for done < n {
		// kernel:nopanic min(n-done, len(piece)) is in [1, len(piece)] inside the loop
		p := piece[:min(n-done, len(piece))]
		fillRandom(p)
		k := copyOutSome(buf+uintptr(done), p)
		done += k
		if k < len(p) {
			break
		}
	}
	if done == 0 && n > 0 {
		return -eFAULT
	}
	return int64(done)
}

// fillRandom fills b from RDRAND, or the TSC-seeded generator.
func fillRandom(b []byte) {
	n := len(b)
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
			// kernel:nopanic i+j < n = len(b), checked in the loop condition
			b[i+j] = byte(v >> (8 * j))
		}
	}
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
	g, errno := readUser[uint64](uintptr(f.fs - 8))
	if pvMode && f.slot != 0 {
		g, errno = f.slot&^1, 0 // the program's own, set aside by pvEnterFS
	}
	if errno == 0 && g != 0 && g != f.r14 {
		reportedG = true
		// kernel:nopanic cur is a thread table index
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
