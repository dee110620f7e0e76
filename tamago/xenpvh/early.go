//go:build amd64

package xenpvh

import (
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
	setHooks()
}
