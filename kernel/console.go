package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pvh"
)

// consolePort is the console ring's event channel (initConsole).
var consolePort uint32

// initConsole has package pvh pick the main console (dom0 writes with
// console_io; a domU finds its ring and event channel in HVM params) and
// keeps the ring's event channel among the ports an idle vCPU waits on.
func initConsole() {
	pvh.SetConsoleWait(waitConsoleRing)
	pvh.FindConsole()
	if pfn, port, ok := pvh.ConsoleRing(); ok {
		consolePort = port
		addIdlePort(port)
		frames.Reserve(mm.PAddr(pfn<<12), mm.PAddr(pfn<<12+4096))
	}
}

// waitConsoleRing sleeps in Xen until the backend signals (it consumed
// output), another idle port fires, or deadline passes, and handles what
// came: the console ring's wait while it is full.
func waitConsoleRing(deadline int64) {
	// kernel:nopanic idleNPort <= len(idlePorts): addIdlePort is called once per kernel port, fewer than its length
	hypercall.SchedPoll(idlePorts[:idleNPort], uint64(deadline))
	handleEvents()
}
