package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/startinfo"
)

// boot is the kernel's path from the 64-bit entry to the Go runtime. It
// runs before the runtime exists, on earlyStack, with the kernel's own g:
// no heap, no maps, no interfaces holding new values, no panics. It reads
// top-down in the order things happen.
func boot() {
	zeroBSS()
	kernelFS = curFS
	init0Output()
	initHypercallPage()
	klog().s("PVH entry, long mode, hypercall page at ").hex(uint64(hypercall.Page())).print()
	initTraps()
	readStartInfo()
	initMemory()
	guardLowMemory()
	protectImage()
	initSharedInfo()
	initConsole()
	startOfDay()
	initEvents()
	initGrantTable()
	initXenstore()
	initThreads()
	initSyscalls()
	enterGo()
}

// booted is true once boot has run: package init code uses it to tell a
// real guest from a host test binary that merely imports this package.
var booted bool

// ---- .bss -----------------------------------------------------------------

var (
	imageStart, imageEnd uintptr // the loaded ELF image, page-rounded
	goEntry              uintptr // e_entry: _rt0_amd64_linux
)

// zeroBSS finds the kernel's own ELF header (Xen loads it with the first
// segment, just below the text) and clears each writable segment's memory
// past its file contents: .bss and .noptrbss. Xen's loader clears them
// too; doing it here keeps the kernel correct under any loader.
func zeroBSS() {
	h := pvhEntryAddr() &^ 0xfff
	for n := 0; ; n++ {
		if *(*uint32)(at(h)) == 0x464c457f { // "\x7fELF"
			break
		}
		if n > 8192 || h < 0x100000 {
			earlyFatal("no ELF header below the entry point")
		}
		h -= 0x1000
	}
	entry := uintptr(*(*uint64)(at(h + 24)))
	var end uintptr
	var segs [len(imageSegs)]loadSeg
	nsegs := 0
	phoff := uintptr(*(*uint64)(at(h + 32)))
	phentsize := uintptr(*(*uint16)(at(h + 54)))
	phnum := int(*(*uint16)(at(h + 56)))
	for i := 0; i < phnum; i++ {
		ph := h + phoff + uintptr(i)*phentsize
		typ := *(*uint32)(at(ph))
		flags := *(*uint32)(at(ph + 4))
		vaddr := uintptr(*(*uint64)(at(ph + 16)))
		filesz := uintptr(*(*uint64)(at(ph + 32)))
		memsz := uintptr(*(*uint64)(at(ph + 40)))
		if typ != 1 { // PT_LOAD
			continue
		}
		if e := (vaddr + memsz + 0xfff) &^ 0xfff; e > end {
			end = e
		}
		if nsegs < len(segs) {
			segs[nsegs] = loadSeg{vaddr: vaddr, memsz: memsz, writable: flags&2 != 0}
			nsegs++
		}
		if flags&2 != 0 && memsz > filesz { // PF_W
			clear(bytesAt(vaddr+filesz, int(memsz-filesz)))
		}
	}
	// Only now, with .bss clear, may .bss variables be set.
	imageStart, imageEnd, goEntry = h, end, entry
	imageSegs, nImageSegs = segs, nsegs
}

// earlyFatal reports on port 0xe9 only: nothing else exists yet.
func earlyFatal(msg string) {
	for i := 0; i < len(msg); i++ {
		outb(0xe9, msg[i])
	}
	outb(0xe9, '\n')
	for {
		halt()
	}
}

// ---- hypercall page ---------------------------------------------------------

var hypercallPageMem [2 * 4096]byte
var xen hypercall.Xen

// initHypercallPage finds Xen's CPUID leaves and asks Xen (through the MSR
// they name) to fill a page with the hypercall stubs for this CPU.
func initHypercallPage() {
	var err error
	xen, err = hypercall.Discover(hypercall.CPUID)
	if err != nil {
		earlyFatal("goxen: no Xen CPUID leaves: not running under Xen")
	}
	page := (uintptr(unsafe.Pointer(&hypercallPageMem)) + 0xfff) &^ 0xfff
	hypercall.InstallPage(xen.HypercallMSR, uint64(page), page)
	if _, bad := hypercall.CheckPage((*[hypercall.PageSize]byte)(at(page))); bad >= 0 {
		earlyFatal("goxen: the hypercall page is not Xen's stubs")
	}
}

// ---- start info -------------------------------------------------------------

var si startinfo.PVH

// physMem lets package startinfo read guest-physical memory through the
// identity map (the first 4 GiB).
type physMem struct{}

func (physMem) Contains(paddr, n uint64) bool {
	return paddr+n >= paddr && paddr+n <= 4<<30
}
func (physMem) ReadAt(p []byte, paddr uint64) { copy(p, bytesAt(uintptr(paddr), len(p))) }

func readStartInfo() {
	if err := si.Decode(physMem{}, startInfoPA); err != nil {
		var b [256]byte
		fatal("bad start info: ", si.Err.Append(b[:0]))
	}
	var b [4096]byte
	kwrite(si.Format(b[:0]))
	if si.CmdlineTruncated {
		l := klog().s("the command line is longer than Xen's limit of ").dec(startinfo.MaxCmdline - 1).s(" bytes")
		if si.CmdlineFullLen > 0 {
			l.s(" (").dec(int64(si.CmdlineFullLen)).s(")")
		}
		l.s(": truncated, the rest is dropped").print()
	}
}

// ---- memory -----------------------------------------------------------------

// initMemory gives every RAM frame of the memory map to the frame
// allocator, except the first MiB and the kernel image. The start info
// has been copied, so the pages Xen put it in are free now.
func initMemory() {
	if si.NMemmap == 0 {
		memmapFromXen()
	}
	for i := 0; i < si.NMemmap; i++ {
		e := &si.Memmap[i]
		if e.Type != startinfo.XEN_HVM_MEMMAP_TYPE_RAM {
			continue
		}
		start, end := e.Addr, e.Addr+e.Size
		if start < 1<<20 {
			start = 1 << 20
		}
		if end > uint64(mm.MaxPhys) {
			end = uint64(mm.MaxPhys)
		}
		if start < end {
			frames.AddFree(mm.PAddr(start), mm.PAddr(end))
		}
	}
	frames.Reserve(mm.PAddr(imageStart), mm.PAddr(imageEnd))
	for i := 0; i < si.NModules; i++ {
		m := &si.Modules[i]
		frames.Reserve(mm.PAddr(m.Paddr), mm.PAddr(m.Paddr+m.Size))
	}
	if frames.FreeCount() < 256 {
		fatal("less than 1 MiB of free RAM in the memory map", nil)
	}
	initSpace()
}

var e820 [startinfo.MaxMemmap * hypercall.E820EntrySize]byte

// memmapFromXen fills si.Memmap from XENMEM_memory_map: a version 0 start
// info (what Xen gives a PVH dom0) carries no memory map. The e820 types
// (RAM 1, reserved 2, ...) are the same numbers as the PVH memmap types.
func memmapFromXen() {
	n, rc := hypercall.MemoryMap(e820[:])
	if rc != 0 {
		klog().s("fatal: no memory map: XENMEM_memory_map = ").dec(int64(rc)).fatal()
	}
	si.SetMemmapE820(e820[:], n)
	klog().s("memory map from XENMEM_memory_map:").print()
	for _, e := range si.MemoryMap() {
		klog().s("  [").hex(e.Addr).s(", ").hex(e.Addr + e.Size).s(") ").s(startinfo.MemmapTypeName(e.Type)).print()
	}
}

// ---- shared info --------------------------------------------------------------

// initSharedInfo asks Xen to put the shared info page (event channel
// bitmaps, time) at a free frame of ours: XENMEM_add_to_physmap with
// XENMAPSPACE_shared_info.
func initSharedInfo() {
	pa, ok := frames.Alloc()
	if !ok {
		fatal("no frame for shared info", nil)
	}
	if rc := hypercall.AddToPhysmap(hypercall.XENMAPSPACE_shared_info, 0, uint64(pa)>>12); rc != 0 {
		klog().s("fatal: XENMEM_add_to_physmap(shared_info) = ").dec(int64(rc)).fatal()
	}
	shared = sharedInfoPtr(uintptr(pa))
	shared.VcpuInfo[0].EvtchnUpcallMask = 1 // no upcalls until initEvents has the vector set up
}

// ---- console ------------------------------------------------------------------

// initConsole picks the main console: dom0 writes with console_io; a
// domU finds its ring and event channel in HVM params.
func initConsole() {
	if si.Flags&startinfo.SIF_INITDOMAIN != 0 {
		sinkOn[sinkConsoleIO] = true
		mainSink = sinkConsoleIO
	} else {
		pfn, rc1 := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_PFN)
		port, rc2 := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_EVTCHN)
		page, inMap := identityPage(pfn)
		if rc1 != 0 || rc2 != 0 || !inMap {
			klog().s("no console ring (HVM_PARAM_CONSOLE_PFN rc=").dec(int64(rc1)).s(" pfn=").hex(pfn).s(", not in the identity map [1 MiB, 4 GiB)): staying on port 0xe9").print()
		} else {
			// The page sits just below 4 GiB, inside the identity map.
			consoleRing.Page = (*console.Interface)(at(page))
			consolePort = uint32(port)
			consoleRing.Kick = kickConsole
			consoleRing.Wait = waitConsoleRing
			consoleRing.CRLF = true
			sinkOn[sinkRing] = true
			mainSink = sinkRing
			idlePorts[0] = consolePort
			idleNPort = 1
			frames.Reserve(mm.PAddr(pfn<<12), mm.PAddr(pfn<<12+4096))
		}
	}
	haveConsole = true
	replayEarly()
}

// identityPage is the address of page frame pfn if the identity map
// covers it: at or above 1 MiB (below is unmapped, the nil guard) and
// below 4 GiB.
func identityPage(pfn uint64) (uintptr, bool) {
	if pfn < 1<<20>>12 || pfn >= 4<<30>>12 {
		return 0, false
	}
	return uintptr(pfn << 12), true
}

func kickConsole() { hypercall.EvtchnSend(consolePort) }

// waitConsoleRing sleeps in Xen until the backend signals (it consumed
// output) or a millisecond passes.
func waitConsoleRing() {
	hypercall.SchedPoll(idlePorts[:idleNPort], uint64(nanotime()+1e6))
	handleEvents()
}

// ---- start of day ---------------------------------------------------------------

var haveRDRAND bool

func startOfDay() {
	_, _, ecx, _ := hypercall.CPUID(1, 0)
	haveRDRAND = ecx&(1<<30) != 0
	klog().s("Xen ").dec(int64(xen.Major)).s(".").dec(int64(xen.Minor)).s(", CPUID base ").hex(uint64(xen.Base)).print()
	// Every clock read uses RDTSC; whether Xen traps it decides what a
	// read costs (and, under nested emulation, how many VM exits run).
	l := klog().s("TSC ").dec(int64(xen.TSCKHz)).s(" kHz, tsc_mode ").s(xen.TSCModeName())
	if xen.TSCEmulated() {
		l = l.s(": emulated, each RDTSC exits to Xen")
	} else {
		l = l.s(": native RDTSC")
	}
	l.print()
	klog().s("image [").hex(uint64(imageStart)).s(", ").hex(uint64(imageEnd)).s("), free RAM ").dec(int64(frames.FreeCount() * 4)).s(" KiB").print()
	if !haveRDRAND {
		klog().s("no RDRAND: getrandom uses a TSC-seeded generator, not fit for cryptography").print()
	}
}

// ---- system calls ------------------------------------------------------------------

const (
	msrSTAR  = 0xC0000081
	msrLSTAR = 0xC0000082
	msrFMASK = 0xC0000084
)

// initSyscalls points SYSCALL at syscallEntry. SYSCALL at ring 0 loads
// CS from STAR[47:32] (our code selector, SS = +8) and clears the RFLAGS
// bits in FMASK: IF, so a system call is never interrupted; DF; TF; AC.
func initSyscalls() {
	hypercall.WRMSR(msrSTAR, uint64(selCode)<<32)
	hypercall.WRMSR(msrLSTAR, uint64(syscallEntryAddr()))
	hypercall.WRMSR(msrFMASK, 0x200|0x400|0x100|0x40000)
}

// ---- the Go runtime -----------------------------------------------------------------

const (
	mainStackSize = 256 << 10
	atNull        = 0
	atPagesz      = 6
	atRandom      = 25
)

// enterGo builds the stack a Linux kernel gives a new process (argc,
// argv, envp, auxv) and jumps to the Go runtime's ELF entry point.
func enterGo() {
	base := mapStack(&space, mainStackSize, "the main stack") // the program's, as on Linux
	top := base + mainStackSize

	// Strings and the AT_RANDOM bytes go at the very top.
	sp := top
	// A word takes at least two bytes of the command line (one and a
	// space), so 512 of each holds every word of the longest one.
	var argv, envp [startinfo.MaxCmdline/2 + 2]uintptr
	argc, envc := 0, 0
	push := func(s string) uintptr {
		sp = pushString(sp, s)
		return sp
	}
	argv[argc] = push("goxen")
	argc++
	splitCmdline(si.Cmdline[:si.CmdlineLen], func(w []byte, env bool) {
		if env && envc < len(envp)-3 {
			envp[envc] = push(unsafe.String(&w[0], len(w)))
			envc++
		} else if !env && argc < len(argv)-1 {
			argv[argc] = push(unsafe.String(&w[0], len(w)))
			argc++
		}
	})
	// One vCPU, so one P. (Asynchronous preemption works: SIGURG is
	// delivered, so GODEBUG=asyncpreemptoff=1 is no longer needed.)
	if !hasEnv(envp[:envc], "GOMAXPROCS=") {
		envp[envc] = push("GOMAXPROCS=1")
		envc++
	}
	sp -= 16
	random := sp
	getrandom(random, 16)

	// The vector, 16-byte aligned at argc.
	words := 1 + argc + 1 + envc + 1 + 2*3
	sp = (sp - uintptr(words)*8) &^ 15
	v := (*[len(argv) + len(envp) + 8]uintptr)(at(sp))
	i := 0
	v[i] = uintptr(argc)
	i++
	for _, a := range argv[:argc] {
		v[i] = a
		i++
	}
	v[i] = 0
	i++
	for _, e := range envp[:envc] {
		v[i] = e
		i++
	}
	v[i] = 0
	i++
	v[i], v[i+1] = atPagesz, 4096
	v[i+2], v[i+3] = atRandom, random
	v[i+4], v[i+5] = atNull, 0

	booted = true
	klog().s("entering the Go runtime at ").hex(uint64(goEntry)).print()
	enterRuntime(sp, goEntry)
}

// pushString stores s and a NUL just below sp and returns its address.
func pushString(sp uintptr, s string) uintptr {
	sp -= uintptr(len(s) + 1)
	d := bytesAt(sp, len(s)+1)
	for i := 0; i < len(s); i++ {
		d[i] = s[i]
	}
	d[len(s)] = 0
	return sp
}

func hasEnv(envp []uintptr, key string) bool {
	for _, e := range envp {
		b := bytesAt(e, len(key))
		if string(b) == key {
			return true
		}
	}
	return false
}

// splitCmdline splits Xen's command line into words. Before a "--",
// KEY=VALUE words are environment variables and other words arguments;
// after it every word is an argument.
func splitCmdline(c []byte, f func(w []byte, env bool)) {
	seenDashes := false
	for len(c) > 0 {
		for len(c) > 0 && (c[0] == ' ' || c[0] == '\t') {
			c = c[1:]
		}
		n := 0
		for n < len(c) && c[n] != ' ' && c[n] != '\t' {
			n++
		}
		if n == 0 {
			break
		}
		w := c[:n]
		c = c[n:]
		if !seenDashes && string(w) == "--" {
			seenDashes = true
			continue
		}
		env := false
		if !seenDashes {
			for _, b := range w {
				if b == '=' {
					env = true
					break
				}
			}
		}
		f(w, env)
	}
}
