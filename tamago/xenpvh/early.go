//go:build amd64

package xenpvh

import (
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/pv"
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
	var mods [startinfo.MaxModules + 1]span
	for i := 0; i < si.NModules; i++ {
		mods[i] = span{si.Modules[i].Paddr, si.Modules[i].Paddr + si.Modules[i].Size}
	}
	plan(si.MemoryMap(), mods[:si.NModules])
}

// earlyPV is pvEntry's continuation, the same for a classic PV guest:
// package pv's steps, then the RAM past Xen's bootstrap region mapped
// (pv.MapRAM). A PV guest's memory is [0, nr_pages) with no memory map;
// what the heap must not overwrite is everything Xen put behind the
// image (a module, the P2M, start info, the rings, the page tables and
// boot stack) and the page tables MapRAM took from the padding.
func earlyPV() {
	pvMode = true
	pv.Early()
	pv.EmulateArchPrctlFS() // TamaGo's settls, at CPL 3 (pv's trap14)
	pv.InitTimer()          // idle blocks until VIRQ_TIMER (pv.Idle)
	m := pv.MapRAM()
	keep := [1]span{{imageEnd(), uint64(m.Tables+pv.PFN(m.NTables)) << 12}}
	ram := [1]startinfo.MemmapEntry{{Addr: 0, Size: uint64(m.To) << 12, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RAM}}
	plan(ram[:], keep[:])
}

// plan sizes the runtime's RAM and heap, or stops the domain saying why.
func plan(memmap []startinfo.MemmapEntry, keep []span) {
	p, perr := planMemory(memmap, ramStartAddr(), imageEnd(), stackOffset(), keep)
	if perr.Kind != planOK {
		var b [160]byte
		pvh.Fatal("", perr.Append(b[:0]))
	}
	setRamSize(p.RamSize)
	setBloc(p.Bloc)
	setHooks()
	runtimeAt = pvh.Now() // cpuinit or pvStart jumps into the runtime next
}

// runtimeAt is the Xen system time at which the board entered TamaGo's
// runtime, for the boot timeline (bootLine).
var runtimeAt int64

// bootLine formats the boot timeline the board prints once the runtime
// is up: when, counted from the unpause (pvh.Unpaused), the main console
// took its first byte, the board jumped into the runtime, and the runtime
// was up (hwinit1). It allocates nothing beyond b's capacity (160 bytes).
func bootLine(b []byte, mode string, unpaused, firstByte, entered, up int64) []byte {
	b = append(b, "goxen: boot ("...)
	b = append(b, mode...)
	b = append(b, "):"...)
	if firstByte != 0 {
		b = append(b, " first console byte "...)
		b = numfmt.AppendMs(b, firstByte-unpaused)
		b = append(b, " ms,"...)
	}
	b = append(b, " TamaGo runtime entered "...)
	b = numfmt.AppendMs(b, entered-unpaused)
	b = append(b, " ms, up "...)
	b = numfmt.AppendMs(b, up-unpaused)
	return append(b, " ms after the unpause\n"...)
}

// reportBoot prints the boot timeline.
func reportBoot(up int64) {
	u, ok := pvh.Unpaused()
	if !ok {
		return
	}
	mode := "pvh"
	if pvMode {
		mode = "pv"
	}
	var b [160]byte
	pvh.Write(bootLine(b[:0], mode, u, pvh.MainConsoleAt(), runtimeAt, up))
}

// pvMode is set when the board was entered as a classic PV guest: the
// kernel then runs in ring 3 and must not load an IDT.
var pvMode bool
