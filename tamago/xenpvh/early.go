//go:build amd64

package xenpvh

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/startinfo"
)

// early is cpuinit's continuation: package pvh's Entry calls it in long
// mode, on pvh's early stack, before the TamaGo runtime exists (no heap,
// no goroutines, no panics). The Xen steps are pvh's, the same as the
// stock-Go kernel's; what is the board's own is the runtime's memory.
func early() {
	pvh.InstallHypercallPage()
	pvh.ReadStartInfo()
	pvh.MapSharedInfo()
	pvh.SetConsoleWait(poll)
	pvh.FindConsole()

	si := &pvh.StartInfo
	var mods [startinfo.MaxModules]span
	for i := 0; i < si.NModules; i++ {
		mods[i] = span{si.Modules[i].Paddr, si.Modules[i].Paddr + si.Modules[i].Size}
	}
	p, perr := planMemory(si.MemoryMap(), ramStartAddr(), imageEnd(), stackOffset(), mods[:si.NModules])
	if perr.Kind != planOK {
		var b [160]byte
		pvh.Fatal("", perr.Append(b[:0]))
	}
	setRamSize(p.RamSize)
	setBloc(p.Bloc)
	plan = p
	setHooks()
}

var plan memPlan

// consolePort is the console ring's event channel, or port 0, which is
// never bound: then a poll is a plain timed sleep.
func consolePort() uint32 {
	_, port, _ := pvh.ConsoleRing()
	return port
}

// poll sleeps in Xen until the console's event channel fires or the
// absolute system time deadline passes, then drops the port's pending
// bit (atomically: Xen sets bits in the same word), so that the next
// SCHEDOP_poll blocks again. Events are polled, never delivered.
func poll(deadline int64) {
	port := consolePort()
	ports := [1]uint32{port}
	hypercall.SchedPoll(ports[:], uint64(deadline))
	if s := pvh.Shared(); s != nil {
		v := &s.VcpuInfo[0]
		v.EvtchnUpcallPending = 0
		v.EvtchnPendingSel = 0
		evtchn.ClearPending(s, port)
	}
}

// ConsoleName says where the console output goes: "console ring" (a
// domU), "console_io" (dom0) or "port 0xe9" (neither works).
func ConsoleName() string { return pvh.ConsoleName() }
