//go:build amd64

package xenpvh

import (
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/sharedinfo"
	"github.com/goxen/goxen/startinfo"
)

// outb writes one byte to an I/O port (io_amd64.s).
func outb(port uint16, b byte)

// halt stops the vCPU until the next interrupt (io_amd64.s).
func halt()

// The board's state. early fills it before the Go runtime starts, so it
// lives in package variables: no heap exists yet.
var (
	xen    hypercall.Xen
	si     startinfo.PVH
	shared *sharedinfo.SharedInfo // nil until early maps it

	hypercallPageMem [2 * 4096]byte // one page of it, aligned, is the hypercall page
	sharedInfoMem    [2 * 4096]byte // one page of it, aligned, becomes shared info

	e820buf [startinfo.MaxMemmap * hypercall.E820EntrySize]byte
)

// early runs in 64-bit mode on earlyStack, called by entry64 before the
// TamaGo runtime exists: no heap, no goroutines, no panics. It finds Xen,
// copies the start info out of the way of the heap, maps shared info (the
// clock), picks the console and sizes the runtime's RAM.
func early() {
	out.init()
	var err error
	xen, err = hypercall.Discover(hypercall.CPUID)
	if err != nil {
		earlyFatal("xenpvh: no Xen CPUID leaves: not running under Xen", nil)
	}
	page := alignPage(uintptr(unsafe.Pointer(&hypercallPageMem)))
	hypercall.InstallPage(xen.HypercallMSR, uint64(page), page)
	// A stub starts with "mov $nr, %eax" (0xb8).
	if *(*byte)(at(page)) != 0xb8 {
		earlyFatal("xenpvh: Xen did not fill the hypercall page", nil)
	}

	// Xen puts hvm_start_info right after the image: where the heap
	// starts. Decode copies all of it into si.
	if err := si.Decode(physMem{}, startInfoPA); err != nil {
		var b [256]byte
		earlyFatal("xenpvh: bad start info: ", si.Err.Append(b[:0]))
	}
	if si.NMemmap == 0 {
		// Version 0 (a PVH dom0) has no memory map: ask Xen.
		n, rc := hypercall.MemoryMap(e820buf[:])
		if rc != 0 {
			earlyFatal("xenpvh: XENMEM_memory_map failed", nil)
		}
		si.SetMemmapE820(e820buf[:], n)
	}

	// Shared info replaces the RAM frame of one of our pages.
	sp := alignPage(uintptr(unsafe.Pointer(&sharedInfoMem)))
	if rc := hypercall.AddToPhysmap(hypercall.XENMAPSPACE_shared_info, 0, uint64(sp)>>12); rc != 0 {
		earlyFatal("xenpvh: XENMEM_add_to_physmap(shared_info) failed", nil)
	}
	shared = (*sharedinfo.SharedInfo)(at(sp))
	// Events are polled (SCHEDOP_poll), never delivered as interrupts.
	shared.VcpuInfo[0].EvtchnUpcallMask = 1

	initConsole()

	var mods [startinfo.MaxModules]span
	for i := 0; i < si.NModules; i++ {
		mods[i] = span{si.Modules[i].Paddr, si.Modules[i].Paddr + si.Modules[i].Size}
	}
	p, perr := planMemory(si.MemoryMap(), ramStartAddr(), imageEnd(), stackOffset(), mods[:si.NModules])
	if perr.Kind != planOK {
		var b [160]byte
		earlyFatal("xenpvh: ", perr.Append(b[:0]))
	}
	setRamSize(p.RamSize)
	setBloc(p.Bloc)
	plan = p
	setHooks()
}

var plan memPlan

// initConsole picks the console: console_io for dom0, the ring named by
// HVM_PARAM_CONSOLE_PFN/EVTCHN for a domU, port 0xe9 when neither works.
func initConsole() {
	if si.Flags&startinfo.SIF_INITDOMAIN != 0 {
		out.useConsoleIO()
		return
	}
	pfn, rc1 := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_PFN)
	port, rc2 := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_EVTCHN)
	if rc1 != 0 || rc2 != 0 || pfn == 0 || pfn >= 1<<20 {
		// No ring, or one outside the identity map: stay on port 0xe9.
		return
	}
	// The page sits just below 4 GiB, mapped write-back by pvhEntry.
	out.useRing((*console.Interface)(at(uintptr(pfn<<12))), uint32(port))
}

// xenTime is Xen system time in ns, from the pvclock in shared info.
func xenTime() int64 {
	if shared == nil {
		return 0
	}
	return int64(sharedinfo.ReadTime(&shared.VcpuInfo[0].Time, hypercall.RDTSC))
}

// poll sleeps in Xen until the console's event channel fires or the
// absolute system time deadline passes, then acknowledges the events.
func poll(deadline int64) {
	hypercall.SchedPoll(out.pollPorts[:], uint64(deadline))
	clearEvents()
}

// clearEvents drops the pending bits of the polled port, so that the next
// SCHEDOP_poll blocks again.
func clearEvents() {
	if shared == nil {
		return
	}
	v := &shared.VcpuInfo[0]
	v.EvtchnUpcallPending = 0
	v.EvtchnPendingSel = 0
	evtchn.ClearPending(shared, out.pollPorts[0]) // atomically: Xen sets bits in the same word
}

// shutdown ends the domain: SHUTDOWN_poweroff or SHUTDOWN_crash.
func shutdown(reason uint32) {
	out.flush()
	hypercall.SchedShutdown(reason)
	for {
		halt()
	}
}

// earlyFatal reports on every console that works and crashes the domain.
func earlyFatal(msg string, detail []byte) {
	out.fatal(msg, detail)
	if hypercall.Page() != 0 {
		hypercall.SchedShutdown(hypercall.SHUTDOWN_crash)
	}
	for {
		halt()
	}
}

// physMem reads guest-physical memory through the identity map of the
// first 4 GiB that pvhEntry set up.
type physMem struct{}

func (physMem) Contains(paddr, n uint64) bool {
	return paddr+n >= paddr && paddr+n <= 4<<30
}

func (physMem) ReadAt(p []byte, paddr uint64) {
	copy(p, unsafe.Slice((*byte)(at(uintptr(paddr))), len(p)))
}

func alignPage(a uintptr) uintptr { return (a + 4095) &^ 4095 }

// at turns a physical address into a pointer: the first 4 GiB are
// identity mapped. (Going through memory keeps vet's unsafeptr check
// quiet; the meaning is exactly unsafe.Pointer(addr).)
func at(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}
