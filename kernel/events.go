package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
)

// Events and the timer. While the Go program runs, Xen raises event
// upcalls as interrupt vector upcallVector; when every thread sleeps the
// kernel polls instead (idle). Either way events are handled by
// handleEvents.
//
// The clock interrupt is Xen's: VIRQ_TIMER bound to an event channel and
// armed with VCPUOP_set_singleshot_timer for the earliest of the next
// scheduling tick and the earliest sleeper's deadline, so sleepers wake on
// time and a thread that computes without system calls is preempted.

const (
	upcallVector = 0xF3
	timeSlice    = 10e6 // ns
)

var (
	timerPort   uint32
	haveTimer   bool
	timerArmed  int64       // deadline programmed into Xen; 0 = none
	ist4        [16384]byte // must match IST4_SIZE (trap_amd64.s)
	tickPending bool
)

func initEvents() {
	setGate(upcallVector, irqEntryAddr(), 4)
	setTSS64(60, stackTop(ist4[:])) // IST4
	initTimerVIRQ()
	if consoleRingOn() {
		evtchn.Unmask(consolePort)
	}
	if err := evtchn.SetVector(upcallVector); err != nil {
		klog().s("HVM_PARAM_CALLBACK_IRQ refused: events are only polled").print()
		haveTimer = false
		return
	}
	upcallPendingByte = uintptr(unsafe.Pointer(&shared.VcpuInfo[0].EvtchnUpcallPending))
	shared.VcpuInfo[0].EvtchnUpcallMask = 0
}

// initTimerVIRQ binds VIRQ_TIMER, the clock interrupt, to an event channel.
func initTimerVIRQ() {
	port, err := evtchn.BindVIRQ(hypercall.VIRQ_TIMER)
	if err != nil {
		klog().s("cannot bind VIRQ_TIMER: no preemption, no timed wakeups while running").print()
		return
	}
	timerPort = port
	haveTimer = true
	evtchn.Unmask(timerPort)
}

// handleEvents takes every pending event: console activity wakes console
// readers and writers; the timer marks a scheduling tick.
func handleEvents() {
	if shared == nil {
		return
	}
	evtchn.Scan(shared, &shared.VcpuInfo[0], onEvent)
	// xenstore's messages are taken here, not in onEvent, and never in
	// the middle of a console write: routing them may print.
	if storeKicked && !consoleWriting {
		storeKicked = false
		xsPump()
	}
}

// storeKicked: xenstore signalled; handleEvents pumps its ring.
var storeKicked bool

func onEvent(port uint32) {
	eventSeen = true
	switch {
	case haveTimer && port == timerPort:
		timerArmed = 0
		tickPending = true
	case consoleRingOn() && port == consolePort:
		wake(waitConsole, maxThreads)
	case haveStore && port == storePort:
		storeKicked = true
	default:
		devPortEvent(port)
	}
}

// interrupt is the event upcall, taken while the Go program ran.
func interrupt(f *frame) {
	checkFS(f, "interrupt", f.rip)
	reportDeferredUpcalls()
	eventSeen = false
	handleEvents()
	noteEmptyUpcall()
	beforeUserReturn(f) // switches threads if this was the tick
}

// armTimer makes sure the timer fires by the earliest of the next tick
// (timeSlice after now) and the earliest sleeper's deadline (0: none).
func armTimer(now, earliest int64) {
	if !haveTimer {
		return
	}
	d := now + timeSlice
	if earliest != 0 && earliest < d {
		d = earliest
	}
	if timerArmed != 0 && timerArmed > now && timerArmed <= d {
		return // an earlier or equal expiry is already programmed
	}
	hypercall.VcpuSetSingleshotTimer(0, uint64(d), 0)
	timerArmed = d
}
