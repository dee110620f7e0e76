package kernel

import "github.com/goxen/goxen/evtchn"

// The return path: every way back into the program (the end of a system
// call in syscallEntry, an upcall taken while the program ran, a
// signal's rt_sigreturn, a new thread's forkReturn) passes through
// beforeUserReturn, then restores the saved frame and FS base and leaves
// with POPFQ and a jump (trap_amd64.s), or IRETQ.

// beforeUserReturn runs on every way back into the program: take the
// events that came in meanwhile, switch threads if the tick came, deliver
// a pending, unblocked signal and keep the timer armed.
//
// Taking events here, rather than letting Xen raise the upcall the moment
// IRETQ enables interrupts, also keeps the return path clear of the
// emulated CPU's faults (platform.go).
func beforeUserReturn(f *frame) {
	checkFS(f, "return", f.rip)
	if shared != nil && (storeKicked || evtchn.Waiting(&shared.VcpuInfo[0])) {
		handleEvents()
	}
	// The clock is read only when the timer needs attention (each RDTSC
	// is a VM exit where Xen emulates the TSC, and this runs at the end
	// of every system call); then one read and one deadline scan serve
	// both the switch and the timer.
	earliest := earliestDeadline()
	clock := needClock(tickPending, haveTimer, timerArmed, earliest)
	var now int64
	if clock {
		now = nanotime()
	}
	if clock && (tickPending || earliest != 0 && earliest <= now) {
		// Preempt: let every other runnable thread have a turn. This is
		// also where sleepers whose time has come are woken, here rather
		// than by a timer armed in the past that would fire at IRETQ.
		tickPending = false
		reschedule()
		now, earliest = nanotime(), earliestDeadline()
	}
	// Signals with no handler to run are settled at once; one handler
	// frame is built per return, the rest wait for the next.
	// kernel:nopanic cur < maxThreads: it is only ever set to a thread table index
	s := &sigs[cur]
pending:
	for ready := s.pending &^ s.mask; ready != 0; ready = s.pending &^ s.mask {
		sig := 1
		for ready&1 == 0 {
			ready >>= 1
			sig++
		}
		s.pending &^= sigbit(sig)
		// kernel:nopanic sig is the lowest set bit of a uint64 plus one: 1..64 < len(sigactions)
		switch disposition(sigactions[sig][0], sig) {
		case sigTerminate:
			terminate(sig)
		case sigRunHandler:
			if !deliver(sig, 0, 0, &f.fx, &f.gpRegs, &f.iretFrame) {
				terminate(sigSEGV) // no stack to run the handler on: Linux forces SIGSEGV
			}
			break pending
		}
	}
	if clock {
		armTimer(now, earliest)
	}
}

// needClock says whether a return to the program must read the clock:
// when the tick came (tickPending), when there is no timer to rely on,
// when none is armed, or when a sleeper's deadline comes before the
// armed expiry. Otherwise the armed timer raises VIRQ_TIMER by the next
// tick or the earliest deadline, whichever is first (armTimer), and the
// upcall that brings it returns through here with tickPending set:
// nothing is due before then. A timer that expired but whose event is
// not yet handled is caught the same way, one upcall later.
func needClock(tickPending, haveTimer bool, armed, earliest int64) bool {
	return tickPending || !haveTimer || armed == 0 || earliest != 0 && earliest < armed
}
