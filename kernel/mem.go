package kernel

import (
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/startinfo"
)

// Physical memory: every RAM frame below 4 GiB is identity mapped by the
// entry code's 2 MiB pages, so a frame's physical address is also a
// pointer to it. Mappings for the Go program live above userLo, in the
// 4 KiB page tables that package mm builds on demand.

// The kernel's own mappings (its per-thread stacks) live above the
// program's, in [kernelLo, mm.UserLimit): out of the program's reach, so
// its munmap, madvise or MAP_FIXED cannot free a frame the kernel uses
// (Linux answers EINVAL or ENOMEM there, as for addresses beyond
// TASK_SIZE).
const (
	userLo   = mm.VAddr(64 << 30)             // above the 4 GiB identity map (and its PDPT entries)
	kernelLo = mm.UserLimit - mm.VAddr(4<<30) // the top 4 GiB of the lower canonical half
	userHi   = kernelLo
)

var (
	frames mm.Frames
	space  mm.Space // the program's mappings, [userLo, userHi)
	kspace mm.Space // the kernel's, [kernelLo, mm.UserLimit); same page table
)

// identity is mm.Phys for identity-mapped RAM: entries are plain loads
// and stores, the TLB is the CPU's. mm.Phys holds a *identity (&phys, the
// address of a global: no write barrier, and no compiler-made wrapper that
// could panic on a nil receiver).
type identity struct{}

var phys identity

func (identity) Table(p mm.PAddr) *[512]uint64 { return (*[512]uint64)(at(uintptr(p))) }

func (*identity) Entry(t mm.PAddr, i uint64) uint64 { return identity{}.Table(t)[i&511] }
func (*identity) SetEntry(t mm.PAddr, i, e uint64)  { identity{}.Table(t)[i&511] = e }
func (*identity) Zero(p mm.PAddr)                   { clear((*[4096]byte)(at(uintptr(p)))[:]) }
func (*identity) NewTable(mm.PAddr)                 {}
func (*identity) FreeTable(mm.PAddr)                {}
func (*identity) Invlpg(va mm.VAddr)                { invlpg(uintptr(va)) }
func (*identity) Flush()                            {}

func initSpace() {
	space.PT = mm.PageTable{Root: mm.PAddr(pvh.PageTables()), Phys: &phys, Frames: &frames}
	space.Lo = userLo
	space.Hi = userHi
	kspace.PT = space.PT
	kspace.Lo = kernelLo
	kspace.Hi = mm.UserLimit
}

// pageFault resolves a demand-zero fault; a non-zero errno means the
// address is not mapped for this access. With no frame left for a page
// the program may touch, the program is killed (outOfMemory).
func pageFault(addr uintptr, write bool) int {
	if mm.VAddr(addr) < userLo {
		return eFAULT
	}
	errno := space.Fault(mm.VAddr(addr), write)
	switch errno {
	case 0:
		checkFrame(addr)
	case eNOMEM:
		outOfMemory(addr)
	}
	return errno
}

// outOfMemory ends the program when a page it may touch cannot get a
// frame: RAM is exhausted and nothing can be reclaimed (no swap, no page
// cache). Turning the fault into SIGSEGV would mislead (the address is
// valid), and delivering it needs memory too. Linux's OOM killer, in the
// same spot, kills the process with SIGKILL (mm/oom_kill.c); so does
// this, after a line that names the cause.
func outOfMemory(addr uintptr) {
	klog().s("out of memory: no free frame for the page at ").hex(uint64(addr)).s(" (").dec(int64(frames.TotalCount() * 4)).
		s(" KiB of RAM, all in use); killing the program (SIGKILL), as Linux's OOM killer does").printAll()
	terminate(sigKILL)
}

// checkFrame makes sure the frame now behind addr is not part of the
// kernel image and that the allocator has seen no bad free: either would
// mean two owners for one page of memory.
func checkFrame(addr uintptr) {
	pte, _ := space.PT.Lookup(mm.VAddr(addr) &^ (mm.PageSize - 1))
	pa := uintptr(pte & mm.PTEAddrMask)
	if frameOwned(pa, imageStart, imageEnd) || frames.BadFrees() != 0 {
		klog().s("fatal: frame allocator handed out memory in use: va ").hex(uint64(addr)).s(" got frame ").hex(uint64(pa)).
			s(", image [").hex(uint64(imageStart)).s(", ").hex(uint64(imageEnd)).s("), bad frees ").dec(int64(frames.BadFrees())).fatal()
	}
}

// frameOwned reports whether the frame at pa belongs to something other
// than the allocator: the nil guard or the image [start, end).
func frameOwned(pa, start, end uintptr) bool {
	return pa < nilGuard || pa >= start && pa < end
}

// mapStack maps a demand-zero stack of n bytes in sp for what (named in
// errors) with an inaccessible guard page below it, and returns its base.
func mapStack(sp *mm.Space, n uint64, what string) uintptr {
	va, errno := sp.Mmap(0, n+mm.PageSize, mm.ProtNone, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS)
	if errno != 0 {
		klog().s("fatal: mapping ").s(what).s(": errno ").dec(int64(errno)).fatal()
	}
	base := va + mm.PageSize
	if errno := sp.Mprotect(base, n, mm.ProtRead|mm.ProtWrite); errno != 0 {
		klog().s("fatal: mprotect of ").s(what).s(": errno ").dec(int64(errno)).fatal()
	}
	return uintptr(base)
}

// kmap maps a kernel stack of n bytes in the kernel's range, every page
// present: kernel entries write to it with interrupts off and must not
// fault there.
func kmap(n uint64) uintptr {
	base := mapStack(&kspace, n, "a kernel stack")
	for p := base; p < base+uintptr(n); p += mm.PageSize {
		if errno := kspace.Fault(mm.VAddr(p), true); errno != 0 {
			klog().s("fatal: out of memory for a kernel stack: errno ").dec(int64(errno)).fatal()
		}
	}
	return base
}

// nilGuard is the size of the nil guard: [0, nilGuard) is never mapped,
// so a load or store through a nil pointer faults. The Go compiler relies
// on that: it omits explicit nil checks before accesses at offsets below
// 4 KiB (cmd/compile/internal/ssa/nilcheck.go, minZeroPage), as Linux
// never maps page 0. 64 KiB is Linux's default vm.mmap_min_addr on x86
// (CONFIG_DEFAULT_MMAP_MIN_ADDR), which leaves room for a larger offset
// from a nil base (a field of a big struct). Nothing else needs the
// PC's legacy first MiB in a PVH guest: there is no BIOS, and Xen puts
// the start info after the image and its special pages near 4 GiB
// (xen/include/public/arch-x86/hvm/start_info.h, docs/misc/pvh.pandoc).
// So RAM from nilGuard up is the allocator's, which in a small guest
// (memory = 4) is a third of what the program gets.
const nilGuard = 64 << 10

// guardLowMemory unmaps the nil guard, [0, nilGuard). The entry code's
// 2 MiB identity pages map it; the first 2 MiB page is split into 4 KiB
// pages (the same table protectImage uses for an image in that page) and
// the guard's entries cleared. Nothing the kernel needs lives there: the
// start info has been copied.
func guardLowMemory() {
	guardLow(splitLargePage(0))
	for va := uintptr(0); va < nilGuard; va += mm.PageSize {
		invlpg(va)
	}
}

// guardLow clears the entries of the nil guard in t, the 4 KiB page table
// of the first 2 MiB, and leaves the rest as they are.
func guardLow(t *[512]uint64) {
	for i := 0; i < nilGuard>>12; i++ {
		t[i] = 0
	}
}

// initMemory gives every RAM frame of the memory map to the frame
// allocator, except the nil guard and the kernel image. The start info
// has been copied, so the pages Xen put it in are free now.
func initMemory() {
	// kernel:nopanic NMemmap <= len(Memmap): startinfo's reader caps it
	freeRAM(si.Memmap[:si.NMemmap], func(start, end mm.PAddr) { frames.AddFree(start, end) })
	frames.Reserve(mm.PAddr(imageStart), mm.PAddr(imageEnd))
	for i := 0; i < si.NModules; i++ {
		// kernel:nopanic NModules <= len(Modules): startinfo's reader caps it
		m := &si.Modules[i]
		frames.Reserve(mm.PAddr(m.Paddr), mm.PAddr(m.Paddr+m.Size))
	}
	if frames.FreeCount() < 256 {
		fatal("less than 1 MiB of free RAM in the memory map", nil)
	}
	initSpace()
}

// freeRAM calls add with each RAM range of memmap, clipped to
// [nilGuard, mm.MaxPhys): the guard stays unmapped and the frame
// allocator manages nothing above MaxPhys.
func freeRAM(memmap []startinfo.MemmapEntry, add func(start, end mm.PAddr)) {
	for i := range memmap {
		e := &memmap[i]
		if e.Type != startinfo.XEN_HVM_MEMMAP_TYPE_RAM {
			continue
		}
		start, end := e.Addr, e.Addr+e.Size
		start = max(start, nilGuard)
		end = min(end, uint64(mm.MaxPhys))
		if start < end {
			add(mm.PAddr(start), mm.PAddr(end))
		}
	}
}
