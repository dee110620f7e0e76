//go:build amd64

package pv

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
)

// Idle and timers in PV, as under PVH: the vCPU sleeps in Xen until an
// event, and the time it must wake by is VIRQ_TIMER, armed with
// set_timer_op. Events stay masked while the guest runs; only the block
// unmasks them.

// timerPort is the event channel bound to VIRQ_TIMER (0: none).
var timerPort uint32

// InitTimer binds VIRQ_TIMER to an event channel and lets the event
// callback return at once (entry_amd64.s: trapEvent), so that Idle can
// block. It returns false if Xen refuses the binding; Idle then falls
// back to pvh.PollConsole.
func InitTimer() bool {
	port, rc := hypercall.EvtchnBindVirq(hypercall.VIRQ_TIMER, 0)
	if rc != 0 {
		return false
	}
	timerPort = port
	eventsExpected = 1
	return true
}

// Idle sleeps until the Xen system time until or an event, whichever
// comes first: set_timer_op arms VIRQ_TIMER, SCHEDOP_block waits with
// events unmasked (Xen checks for pending ones first), and the upcall
// that ends the block returns at once. Then the timer's and the
// console's pending bits are dropped, so the next block waits again; the
// caller rechecks whatever it waits for.
func Idle(until int64) {
	if timerPort == 0 || pvh.Shared() == nil {
		pvh.PollConsole(until)
		return
	}
	hypercall.SetTimerOp(uint64(until))
	hypercall.SchedBlock()
	s := pvh.Shared()
	v := &s.VcpuInfo[0]
	v.EvtchnUpcallPending = 0
	v.EvtchnPendingSel = 0
	evtchn.ClearPending(s, timerPort)
	if _, port, ok := pvh.ConsoleRing(); ok {
		evtchn.ClearPending(s, port)
	}
}
