//go:build amd64

package pvh

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
)

// hw is the console's hardware. The compiler lays it out as static data,
// so it is ready before Entry runs; nothing has to initialise it.
var hw = hardware{
	e9:        writeE9,
	consoleIO: hypercall.ConsoleWrite,
	kick:      hypercall.EvtchnSend,
	wait:      PollConsole,
	now:       Now,
}

// writeE9 writes p to port 0xe9 with one string instruction: under
// hardware virtualisation every port write is a VM exit, and at one exit
// per byte the boot messages written before the console ring is found
// took tens of milliseconds of an emulated box's boot.
func writeE9(p []byte) {
	if len(p) > 0 {
		outsb(0xe9, &p[0], len(p))
	}
}

// PollConsole sleeps in Xen (SCHEDOP_poll) until the console's event
// channel fires or the absolute system time deadline passes, then drops
// the port's pending bit (atomically: Xen sets bits in the same word), so
// that the next poll blocks again. It is the ring's wait unless
// SetConsoleWait replaced it, and the TamaGo board's idle: a flavour that
// polls events rather than taking them as interrupts. Without a ring the
// port is 0, never bound: a plain timed sleep.
func PollConsole(deadline int64) {
	hypercall.SchedPoll(consolePorts[:], uint64(deadline))
	if shared != nil {
		v := &shared.VcpuInfo[0]
		v.EvtchnUpcallPending = 0
		v.EvtchnPendingSel = 0
		evtchn.ClearPending(shared, consolePorts[0])
	}
}
