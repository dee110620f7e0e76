//go:build amd64

package xenpvh

import "github.com/goxen/goxen/hypercall"

// init sets the hardware functions; early calls it first thing.
func (o *output) init() {
	o.e9 = writeE9
	o.consoleIO = hypercall.ConsoleWrite
	o.kick = hypercall.EvtchnSend
	o.wait = poll
	o.now = xenTime
}

func writeE9(p []byte) {
	for _, c := range p {
		outb(0xe9, c)
	}
}
