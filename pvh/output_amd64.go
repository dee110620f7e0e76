//go:build amd64

package pvh

import "github.com/goxen/goxen/hypercall"

// hw is the console's hardware. The compiler lays it out as static data,
// so it is ready before Entry runs; nothing has to initialise it.
var hw = hardware{
	e9:        writeE9,
	consoleIO: hypercall.ConsoleWrite,
	kick:      hypercall.EvtchnSend,
	wait:      pollConsole,
	now:       Now,
}

func writeE9(p []byte) {
	for _, c := range p {
		outb(0xe9, c)
	}
}

// pollConsole is the default wait of a full ring: sleep in Xen until the
// console's event channel fires or deadline passes.
func pollConsole(deadline int64) {
	hypercall.SchedPoll(consolePorts[:], uint64(deadline))
}
