package kernel

import "github.com/goxen/goxen/hypercall"

// The emulated CPU's faults, and what the kernel does about them.
//
// On real hardware an event upcall arrives only while the Go program runs
// (kernel code runs with IF clear), once per event, on an empty IST
// stack. Under nested emulation (Xen under QEMU's software SVM, which is
// what the box tests run on) three things break that, and the kernel
// copes with each here rather than in the main paths:
//
//  1. Upcalls arrive in kernel code: with IF clear, or with IF set
//     although no kernel code sets it. irqEntry (trap_amd64.s) recognises
//     the kernel's context, clears evtchn_upcall_pending (upcallPendingByte)
//     so Xen stops raising it, and returns at once with IF clear; the
//     selector bits stay set, and beforeUserReturn (return.go) scans them
//     before the program runs again. kernelIRQs and maskedIRQs count them;
//     reportDeferredUpcalls says so once.
//  2. An upcall is delivered again on top of its own delivery (a delivery
//     cut short by a VM exit is committed, then injected once more): the
//     new frame overwrote the interrupted context on the IST stack, which
//     cannot be resumed. irqEntry hands it to upcallRedelivered, which
//     crashes with the reason rather than resume garbage.
//  3. Upcalls keep coming with no event behind them, which would starve
//     the program. noteEmptyUpcall yields the physical CPU after a long
//     run of them, which makes Xen and the emulated CPU recompute what is
//     pending.

var (
	kernelIRQs        uint64 // upcalls that arrived in kernel code with IF set (counted by irqEntry)
	maskedIRQs        uint64 // upcalls delivered although IF was clear (counted by irqEntry)
	reportedKernelIRQ bool
)

// upcallPendingByte is &vcpu_info.evtchn_upcall_pending, which irqEntry
// clears for an upcall it defers; the selector bits stay, and
// beforeUserReturn scans them.
var upcallPendingByte uintptr

// reportDeferredUpcalls says, once, that upcalls came into kernel code.
func reportDeferredUpcalls() {
	if kernelIRQs+maskedIRQs != 0 && !reportedKernelIRQ {
		reportedKernelIRQ = true
		klog().s("note: the platform delivered event upcalls into kernel code (").dec(int64(kernelIRQs)).
			s(" with interrupts enabled behind the kernel's back, ").dec(int64(maskedIRQs)).
			s(" with them disabled); they were deferred").print()
	}
}

// upcallRedelivered is called (through trap) when irqEntry sees an upcall
// arrive while an earlier one is still on the IST stack: its frame has
// overwritten the earlier frame, so the interrupted thread's RIP, RSP and RFLAGS are
// gone and it cannot be resumed. A correct CPU never does this (the
// interrupt gate clears IF); QEMU's emulated SVM, under Xen, sometimes
// does. Crash with the reason rather than resume garbage or spin.
func upcallRedelivered(f *trapFrame) {
	klog().s("platform fault: an event upcall was delivered again on top of its own delivery, which overwrote the interrupted context of thread ").
		dec(int64(currentTID())).s(" (a fault of the emulated CPU, not of the program)").printAll()
	printRegs(f, 0)
	shutdown(hypercall.SHUTDOWN_crash)
}

// Upcalls that find no pending event. A few are normal (an event handled
// by an earlier scan); an endless run of them is an interrupt the
// platform keeps delivering with nothing behind it, which would starve
// the program: the vCPU never runs a user instruction between two.
var (
	eventSeen           bool
	emptyUpcalls        uint64 // in all
	emptyUpcallsInARow  uint64
	reportedEmptyStorms bool
)

const emptyUpcallStorm = 10000

// noteEmptyUpcall counts an upcall that found nothing. After a long run of
// them it yields the physical CPU once (the VM exit and entry make Xen
// and the emulated CPU recompute what is pending) and says so, once.
func noteEmptyUpcall() {
	if eventSeen {
		emptyUpcallsInARow = 0
		return
	}
	emptyUpcalls++
	emptyUpcallsInARow++
	if emptyUpcallsInARow%emptyUpcallStorm != 0 {
		return
	}
	if !reportedEmptyStorms {
		reportedEmptyStorms = true
		klog().s("note: ").dec(int64(emptyUpcallsInARow)).s(" event upcalls in a row found no event (").
			dec(int64(emptyUpcalls)).s(" in all): the platform keeps interrupting; yielding to Xen").print()
	}
	hypercall.SchedYield()
}
