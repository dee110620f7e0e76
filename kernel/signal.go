package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
)

// Signals, as much of Linux's as the Go runtime uses: it turns a bad
// memory access into a Go panic through SIGSEGV, and preempts goroutines
// by sending SIGURG to a thread (tgkill). Delivery builds a Linux x86-64
// rt_sigframe (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h) on the
// thread's alternate signal stack and enters the handler registered with
// rt_sigaction; the handler's restorer calls rt_sigreturn, which puts the
// (possibly edited) context back.

const (
	sigKILL = 9
	sigSEGV = 11

	saOnstack = 0x08000000
	saNodefer = 0x40000000

	ssOnstack = 1
	ssDisable = 2

	// Offsets in the frame (see deliver).
	ucMcontext  = 40       // in struct ucontext: after uc_flags, uc_link, uc_stack
	ucSigmask   = 40 + 256 // after struct sigcontext
	ucSize      = 40 + 256 + 8
	siginfoSize = 128
	fpstateSize = 512
)

// Per-thread signal state, beside the thread table.
type sigState struct {
	mask     uint64 // blocked signals (bit sig-1)
	pending  uint64
	altSP    uint64
	altSize  uint64
	altFlags int32
}

var sigs [maxThreads]sigState

func sigbit(sig int) uint64 { return 1 << uint(sig-1) }

// onAltStack reports whether sp lies on the thread's alternate signal stack.
func (s *sigState) onAltStack(sp uint64) bool {
	return s.altSize != 0 && sp-s.altSP < s.altSize
}

// rtSigprocmask: how is SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2. As in
// Linux (kernel/signal.c): the set size, then the new set is read and
// applied, then the mask from before is written.
func rtSigprocmask(how int, set, old uintptr, size uint64) int64 {
	if size != 8 {
		return -eINVAL
	}
	// kernel:nopanic cur is a thread table index
	s := &sigs[cur]
	prev := s.mask
	if set != 0 {
		v, errno := readUser[uint64](set)
		if errno != 0 {
			return -errno
		}
		switch how {
		case 0:
			s.mask |= v
		case 1:
			s.mask &^= v
		case 2:
			s.mask = v
		default:
			return -eINVAL
		}
		s.mask &^= sigbit(9) | sigbit(19) // SIGKILL, SIGSTOP cannot be blocked
	}
	if old != 0 {
		return -writeUser(old, prev)
	}
	return 0
}

// sigaltstack: stack_t is {ss_sp u64, ss_flags i32 (+pad), ss_size u64}.
// As in Linux (kernel/signal.c): the new stack is read, the old one
// noted, the new one set, and the old one written last.
func sigaltstack(ss, old uintptr, userSP uint64) int64 {
	// kernel:nopanic cur is a thread table index
	s := &sigs[cur]
	var n [3]uint64
	if ss != 0 {
		var errno int64
		if n, errno = readUser[[3]uint64](ss); errno != 0 {
			return -errno
		}
	}
	flags := uint64(s.altFlags)
	if s.altSize == 0 {
		flags = ssDisable
	} else if s.onAltStack(userSP) {
		flags = ssOnstack
	}
	prev := [3]uint64{s.altSP, flags, s.altSize}
	if ss != 0 {
		// Linux's checks (do_sigaltstack): not while on the stack, a
		// known mode, at least MINSIGSTKSZ bytes.
		const ssAutodisarm, minSigstksz = 1 << 31, 2048
		mode := uint32(n[1]) &^ ssAutodisarm
		switch {
		case s.onAltStack(userSP):
			return -ePERM
		case mode != 0 && mode != ssOnstack && mode != ssDisable:
			return -eINVAL
		case mode == ssDisable:
			s.altSP, s.altSize, s.altFlags = 0, 0, ssDisable
		case n[2] < minSigstksz:
			return -eNOMEM
		default:
			s.altSP, s.altSize, s.altFlags = n[0], n[2], 0
		}
	}
	if old != 0 {
		return -writeUser(old, prev)
	}
	return 0
}

// tgkill marks sig pending on thread tid; it is delivered when that
// thread next returns to the program. A thread blocked in a system call
// is woken, and the call fails EINTR, as on Linux.
func tgkill(tid int, sig int) int64 {
	if sig < 1 || sig > 64 {
		return -eINVAL
	}
	for i := range threads {
		t := &threads[i]
		if t.tid == int32(tid) && (t.state == tRunnable || t.state == tBlocked) {
			post(i, sig)
			return 0
		}
	}
	return -eSRCH
}

// kill sends sig to the process (pid 1, the only one; 0 and -1 name it
// too). Like Linux it goes to one thread that does not block it, the
// main thread first; if every thread blocks it, it waits on the main one.
func kill(pid int, sig int) int64 {
	if pid != 1 && pid != 0 && pid != -1 {
		return -eSRCH
	}
	if sig == 0 {
		return 0
	}
	if sig < 1 || sig > 64 {
		return -eINVAL
	}
	sendProcessSignal(sig)
	return 0
}

// sendProcessSignal posts a process-directed signal (kill, or the
// toolstack's shutdown request) to a thread that does not block it.
func sendProcessSignal(sig int) {
	target := 0
	for i := range threads {
		t := &threads[i]
		if (t.state == tRunnable || t.state == tBlocked) && sigs[i].mask&sigbit(sig) == 0 {
			target = i
			break
		}
	}
	post(target, sig)
}

// post marks sig pending on thread n and, unless it would be discarded or
// blocked, interrupts the thread's wait so it comes back for it.
func post(n int, sig int) {
	// kernel:nopanic n is a thread table index; sig is 1..64 (tgkill and kill check)
	sigs[n].pending |= sigbit(sig)
	// kernel:nopanic n is a thread table index; sig is 1..64 (tgkill and kill check)
	if sigs[n].mask&sigbit(sig) == 0 && disposition(sigactions[sig][0], sig) != sigDiscard {
		interruptWait(n)
	}
}

// What becomes of a signal, by what the program set with rt_sigaction.
type sigOutcome uint8

const (
	sigDiscard    sigOutcome = iota // SIG_IGN, or a default action of "ignore"
	sigTerminate                    // SIG_DFL whose default ends the process
	sigRunHandler                   // a handler of the program's
)

const (
	sigDFL = 0
	sigIGN = 1
)

func disposition(handler uint64, sig int) sigOutcome {
	switch handler {
	case sigDFL:
		if defaultTerminates(sig) {
			return sigTerminate
		}
		return sigDiscard
	case sigIGN:
		return sigDiscard
	}
	return sigRunHandler
}

// defaultTerminates reports whether sig's default action (signal(7)) ends
// the process: every signal but SIGCHLD, SIGCONT, SIGURG and SIGWINCH
// (ignored) and the four stop signals, which with no job control here are
// ignored too. Core dumps are not written; the process just ends.
func defaultTerminates(sig int) bool {
	switch sig {
	case 17, 18, 23, 28: // SIGCHLD SIGCONT SIGURG SIGWINCH
		return false
	case 19, 20, 21, 22: // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
		return false
	}
	return sig >= 1 && sig <= 64
}

// terminate ends the program the way Linux's default action does: the
// status a shell reports is 128+sig.
func terminate(sig int) {
	klog().s("killed by signal ").dec(int64(sig)).print()
	if shutdownRequested {
		// The toolstack's request is why: end the domain the way it asked.
		klog().s(shutdownReasonName(shutdownReason)).s(", as the toolstack asked").print()
		shutdown(shutdownReason)
	}
	exitGroup(128 + sig)
}

// signalFault turns a CPU fault in the program into a signal. It reports
// false when no handler is registered (the caller then crashes the domain).
func signalFault(f *trapFrame, sig, code int, addr uint64) bool {
	// kernel:nopanic sig is faultSignal's: 4, 5, 7, 8 or 11
	if disposition(sigactions[sig][0], sig) != sigRunHandler { // SIG_DFL or SIG_IGN
		return false
	}
	// kernel:nopanic cur is a thread table index
	if sigs[cur].mask&sigbit(sig) != 0 {
		return false // blocked synchronous fault: Linux kills the process
	}
	return deliver(sig, code, addr, &f.fx, &f.gpRegs, &f.iretFrame)
}

// deliver rewrites the saved context so that the thread resumes in the
// handler for sig, with the old context saved in a signal frame.
func deliver(sig, code int, addr uint64, fx *[512]byte, r *gpRegs, ir *iretFrame) bool {
	// kernel:nopanic sig is 1..64: faultSignal's or a pending bit's
	act := &sigactions[sig]
	handler, flags, restorer, amask := act[0], act[1], act[2], act[3]
	if handler <= sigIGN {
		return false // the caller checked disposition; nothing to run
	}
	// kernel:nopanic cur is a thread table index
	s := &sigs[cur]
	sp := ir.rsp - 128 // skip the red zone
	onAlt := s.onAltStack(ir.rsp)
	if flags&saOnstack != 0 && s.altSize != 0 && !onAlt {
		sp = s.altSP + s.altSize
	}
	// Linux's layout: FP state (64-byte aligned) at the top, then the
	// rt_sigframe: return address, ucontext, siginfo, with the return
	// address where a call would leave it ((sp+8) 16-byte aligned).
	top := sp
	fp := (sp - fpstateSize) &^ 63
	sp = ((fp - 8 - ucSize - siginfoSize) &^ 15) - 8
	uc := sp + 8
	info := uc + ucSize
	if !userWritable(sp, top) {
		return false
	}

	*(*[512]byte)(at(uintptr(fp))) = *fx
	in := bytesAt(uintptr(info), siginfoSize)
	clear(in)
	*(*int32)(at(uintptr(info))) = int32(sig)
	*(*int32)(at(uintptr(info + 8))) = int32(code)
	*(*uint64)(at(uintptr(info + 16))) = addr

	u := bytesAt(uintptr(uc), ucSize)
	clear(u)
	st := (*[3]uint64)(at(uintptr(uc + 16))) // uc_stack
	st[0], st[1], st[2] = s.altSP, 0, s.altSize
	if onAlt {
		st[1] = ssOnstack
	}
	g := (*[32]uint64)(at(uintptr(uc + ucMcontext)))
	g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7] = r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15
	g[8], g[9], g[10], g[11], g[12], g[13], g[14] = r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx
	g[15], g[16], g[17] = ir.rsp, ir.rip, ir.rflags
	g[18] = 0x33                               // cs/gs/fs/ss as a 64-bit user process would show
	g[19], g[20], g[21], g[22] = 0, 0, 0, addr // err, trapno, oldmask, cr2
	g[23] = fp                                 // fpstate
	*(*uint64)(at(uintptr(uc + ucSigmask))) = s.mask
	*(*uint64)(at(uintptr(sp))) = restorer

	s.mask |= amask
	if flags&saNodefer == 0 {
		s.mask |= sigbit(sig)
	}
	r.rdi, r.rsi, r.rdx, r.rax = uint64(sig), info, uc, 0
	ir.rsp = sp
	ir.rip = handler
	ir.rflags &^= 0x100 | 0x400 // TF, DF
	return true
}

// rtSigreturn restores the context saved by deliver; the restorer calls
// it with RSP just past the return address, at the ucontext.
func rtSigreturn(f *frame) {
	uc := f.rsp
	if !userWritable(uc, uc+ucSize) {
		badSigreturn(f)
		return
	}
	g := (*[32]uint64)(at(uintptr(uc + ucMcontext)))
	r := &f.gpRegs
	r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 = g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx = g[8], g[9], g[10], g[11], g[12], g[13], g[14]
	f.rsp, f.rip = g[15], g[16]
	// Only the flags a program may change; IF stays on.
	const userFlags = 0xCD5 | 0x40000 // CF PF AF ZF SF TF DF OF, AC
	f.rflags = f.rflags&^userFlags | g[17]&userFlags | 0x200
	// kernel:nopanic cur is a thread table index
	sigs[cur].mask = *(*uint64)(at(uintptr(uc + ucSigmask)))
	if fp := g[23]; fp != 0 {
		if !userWritable(fp, fp+fpstateSize) {
			badSigreturn(f)
			return
		}
		fx := (*[512]byte)(at(uintptr(fp)))
		// f.fx was just saved by FXSAVE, so it holds this CPU's MXCSR_MASK.
		if !mxcsrValid(fx, le32(f.fx[28:])) {
			badSigreturn(f) // FXRSTOR would fault in the kernel
			return
		}
		f.fx = *fx
	}
}

// badSigreturn answers an rt_sigreturn whose frame cannot be restored
// (unmapped, or FP state that FXRSTOR would refuse) as Linux does: the
// program gets SIGSEGV where it stands, or ends if it has no handler.
func badSigreturn(f *frame) {
	if disposition(sigactions[sigSEGV][0], sigSEGV) != sigRunHandler ||
		!deliver(sigSEGV, 0x80, 0, &f.fx, &f.gpRegs, &f.iretFrame) { // SI_KERNEL
		terminate(sigSEGV)
	}
}

// mxcsrValid reports whether the MXCSR in an FXSAVE area (bytes 24-27)
// sets only bits the CPU supports: mask is the CPU's MXCSR_MASK (bytes
// 28-31 of an area FXSAVE wrote), 0 meaning the architectural default
// 0xFFBF (Intel SDM vol. 1, 11.6.6).
func mxcsrValid(fx *[512]byte, mask uint32) bool {
	if mask == 0 {
		mask = 0xFFBF
	}
	return le32(fx[24:])&^mask == 0
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// userWritable makes sure [lo, hi) is mapped writable program memory,
// faulting pages in now: the kernel may be on a fault's IST stack, where
// a nested page fault must not happen.
func userWritable(lo, hi uint64) bool {
	if lo >= hi || mm.VAddr(lo) < userLo || mm.VAddr(hi) > userHi {
		return false
	}
	for p := lo &^ (mm.PageSize - 1); p < hi; p += mm.PageSize {
		if pte, ok := space.PT.Lookup(mm.VAddr(p)); ok && pte&mm.PTEWrite != 0 {
			continue
		}
		if pageFault(uintptr(p), true) != 0 {
			return false
		}
	}
	return true
}

// checkFS makes sure a thread enters and leaves the kernel with its own
// TLS: a thread running on another's FS base would run with the other's
// g, and the Go runtime would fail far from the cause.
func checkFS(f *frame, where string, v uint64) {
	// kernel:nopanic cur is a thread table index
	t := &threads[cur]
	if f.fs == t.userFS {
		return
	}
	klog().s("FS base mismatch at ").s(where).s(": thread ").dec(int64(t.tid)).s(" (slot ").dec(int64(cur)).
		s(") has fs=").hex(f.fs).s(" rflags=").hex(f.rflags).s(" cs=").hex(f.cs).s(", set to ").hex(t.userFS).s("; rip/nr=").hex(v).s(" rsp=").hex(f.rsp).printAll()
	if fsLost != 0 {
		klog().s("  the CPU's FS base differed from the one the kernel loaded last at ").dec(int64(fsLost)).
			s(" kernel entries (last found ").hex(fsSeen).s("): the platform lost or undid a WRMSR to FS_BASE").printAll()
	}
	for i := range threads {
		if threads[i].state != tFree {
			klog().s("  slot ").dec(int64(i)).s(" tid ").dec(int64(threads[i].tid)).s(" state ").dec(int64(threads[i].state)).s(" fs ").hex(threads[i].userFS).printAll()
		}
	}
	shutdown(hypercall.SHUTDOWN_crash)
}
