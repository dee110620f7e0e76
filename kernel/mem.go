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

// identity is mm.Phys for identity-mapped RAM.
type identity struct{}

func (identity) Table(p mm.PAddr) *[512]uint64 { return (*[512]uint64)(at(uintptr(p))) }
func (identity) Zero(p mm.PAddr)               { clear((*[4096]byte)(at(uintptr(p)))[:]) }

func invlpgVA(va mm.VAddr) { invlpg(uintptr(va)) }

func initSpace() {
	space.PT = mm.PageTable{Root: mm.PAddr(pvh.PageTables()), Phys: identity{}, Frames: &frames, Invlpg: invlpgVA}
	space.Lo = userLo
	space.Hi = userHi
	kspace.PT = space.PT
	kspace.Lo = kernelLo
	kspace.Hi = mm.UserLimit
}

// pageFault resolves a demand-zero fault; a non-zero errno means the
// address is not mapped for this access.
func pageFault(addr uintptr, write bool) int {
	if mm.VAddr(addr) < userLo {
		return eFAULT
	}
	errno := space.Fault(mm.VAddr(addr), write)
	if errno == 0 {
		checkFrame(addr)
	}
	return errno
}

// checkFrame makes sure the frame now behind addr is not part of the
// kernel image and that the allocator has seen no bad free: either would
// mean two owners for one page of memory.
func checkFrame(addr uintptr) {
	pte, _ := space.PT.Lookup(mm.VAddr(addr) &^ (mm.PageSize - 1))
	pa := uintptr(pte & mm.PTEAddrMask)
	if pa >= imageStart && pa < imageEnd || pa < 1<<20 || frames.BadFrees() != 0 {
		klog().s("fatal: frame allocator handed out memory in use: va ").hex(uint64(addr)).s(" got frame ").hex(uint64(pa)).
			s(", image [").hex(uint64(imageStart)).s(", ").hex(uint64(imageEnd)).s("), bad frees ").dec(int64(frames.BadFrees())).fatal()
	}
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

// guardLowMemory unmaps the first MiB, address 0 above all. The Go
// compiler relies on a load or store through a nil pointer faulting (it
// omits explicit checks for small offsets, as Linux never maps page 0);
// the entry code's 2 MiB identity pages map it. The first 2 MiB are
// remapped with 4 KiB pages, leaving [0, 1 MiB) not present. Nothing the
// kernel needs lives there: the start info has been copied.
func guardLowMemory() {
	pt, ok := frames.Alloc()
	if !ok {
		fatal("no frame for the low page table", nil)
	}
	t := identity{}.Table(pt)
	for i := range t {
		pa := uint64(i) << 12
		if pa >= 1<<20 {
			t[i] = pa | mm.PTEPresent | mm.PTEWrite
		} else {
			t[i] = 0
		}
	}
	pd := identity{}.Table(mm.PAddr(pvh.PageTables() + 0x2000))
	pd[0] = uint64(pt) | mm.PTEPresent | mm.PTEWrite
	invlpg(0)
}

// initMemory gives every RAM frame of the memory map to the frame
// allocator, except the first MiB and the kernel image. The start info
// has been copied, so the pages Xen put it in are free now.
func initMemory() {
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
