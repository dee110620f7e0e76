//go:build amd64

package pvh

import (
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/sharedinfo"
	"github.com/goxen/goxen/startinfo"
)

// The steps below run in this order, on Entry's early stack, before any
// Go runtime exists: no heap, no panics, no write barriers that could
// fire (the garbage collector has never run). Their results are package
// variables, read through the functions here.

// The bring-up's state.
var (
	xen              hypercall.Xen
	hypercallPageMem [2 * 4096]byte // one page of it, aligned, is the hypercall page

	// StartInfo is the start info, copied out of the pages Xen put it in
	// (they are free RAM once copied), with a memory map in every case.
	StartInfo startinfo.PVH
	e820      [startinfo.MaxMemmap * hypercall.E820EntrySize]byte

	shared        *sharedinfo.SharedInfo // nil until MapSharedInfo
	sharedInfoMem [2 * 4096]byte         // one page of it, aligned, becomes shared info
)

// Xen is what InstallHypercallPage found in Xen's CPUID leaves.
func Xen() hypercall.Xen { return xen }

// InstallHypercallPage finds Xen's CPUID leaves and asks Xen, through the
// MSR they name, to fill a page of ours with the hypercall stubs for this
// CPU (vmcall or vmmcall). Every stub is then compared, byte for byte,
// with the one Xen writes (hypercall.CheckPage).
func InstallHypercallPage() {
	var err error
	xen, err = hypercall.Discover(hypercall.CPUID)
	if err != nil {
		Fatal("no Xen CPUID leaves: not running under Xen", nil)
	}
	page := HypercallPage()
	hypercall.InstallPage(xen.HypercallMSR, uint64(page), page)
	if _, bad := hypercall.CheckPage((*[hypercall.PageSize]byte)(at(page))); bad >= 0 {
		var b [32]byte
		Fatal("the hypercall page is not Xen's stubs, at slot ", numfmt.AppendInt(b[:0], int64(bad)))
	}
}

// PhysMem reads guest-physical memory through Entry's identity map of
// the first 4 GiB (package startinfo's Memory).
type PhysMem struct{}

func (PhysMem) Contains(paddr, n uint64) bool {
	return paddr+n >= paddr && paddr+n <= 4<<30
}

func (PhysMem) ReadAt(p []byte, paddr uint64) {
	// kernel:nopanic a slice's length is never negative, and paddr is RAM the caller names
	copy(p, unsafe.Slice((*byte)(at(uintptr(paddr))), len(p)))
}

// ReadStartInfo copies and checks the start info (package startinfo). A
// version 0 start info, what Xen gives a PVH dom0, has no memory map:
// then it asks XENMEM_memory_map; the e820 types (RAM 1, reserved 2, ...)
// are the same numbers as the PVH memmap types.
func ReadStartInfo() {
	if err := StartInfo.Decode(PhysMem{}, startInfoPA); err != nil {
		var b [256]byte
		Fatal("bad start info: ", StartInfo.Err.Append(b[:0]))
	}
	if StartInfo.NMemmap == 0 {
		n, rc := hypercall.MemoryMap(e820[:])
		if rc != 0 {
			var b [24]byte
			Fatal("no memory map: XENMEM_memory_map = ", numfmt.AppendInt(b[:0], int64(rc)))
		}
		StartInfo.SetMemmapE820(e820[:], n)
	}
}

// MapSharedInfo asks Xen to put the shared info page (event channel
// bitmaps, the pvclock) over a page of our image: XENMEM_add_to_physmap
// with XENMAPSPACE_shared_info. Upcalls stay masked: a flavour that
// wants events delivered as interrupts (the kernel) unmasks them once it
// has a vector for them; one that polls (the board) never does.
func MapSharedInfo() {
	pa := SharedInfoPage()
	if rc := hypercall.AddToPhysmap(hypercall.XENMAPSPACE_shared_info, 0, uint64(pa)>>12); rc != 0 {
		var b [24]byte
		Fatal("XENMEM_add_to_physmap(shared_info) = ", numfmt.AppendInt(b[:0], int64(rc)))
	}
	UseSharedInfo(pa)
}

// SharedInfoPage is the page of the image that becomes shared info: PVH
// puts Xen's page over it by its physical address, PV by remapping its
// virtual address (package pv).
func SharedInfoPage() uintptr { return alignPage(uintptr(unsafe.Pointer(&sharedInfoMem))) }

// UseSharedInfo records that shared info is mapped at va and masks
// upcalls to vCPU 0 until a flavour is ready for them.
func UseSharedInfo(va uintptr) {
	shared = (*sharedinfo.SharedInfo)(at(va))
	shared.VcpuInfo[0].EvtchnUpcallMask = 1
}

// HypercallPage is the page of the image that holds the hypercall stubs:
// PVH asks Xen to fill it through the MSR (InstallHypercallPage), PV finds
// it filled before the first instruction, because the ELF's
// XEN_ELFNOTE_HYPERCALL_PAGE note names it (package linker:
// DefaultHypercallPageSymbol is hypercallPageMem).
func HypercallPage() uintptr { return alignPage(uintptr(unsafe.Pointer(&hypercallPageMem))) }

// Unpaused is the Xen system time at which vCPU 0 first ran: xl unpause
// for a domU, the start of dom0 (hypercall.VcpuRunstateInfo.Moments). A
// boot timeline counts from it. ok is false if Xen refuses the runstate
// or shared info is not mapped yet.
func Unpaused() (t int64, ok bool) {
	var r hypercall.VcpuRunstateInfo
	if shared == nil || hypercall.GetRunstateInfo(0, &r) != 0 {
		return 0, false
	}
	_, t = r.Moments(Now())
	return t, true
}

// Shared is the shared info page, or nil before MapSharedInfo.
func Shared() *sharedinfo.SharedInfo { return shared }

// Now is Xen system time in ns (the pvclock in shared info), or 0 before
// MapSharedInfo.
func Now() int64 {
	if shared == nil {
		return 0
	}
	return int64(sharedinfo.ReadTime(&shared.VcpuInfo[0].Time, hypercall.RDTSC))
}

// FindConsole picks the main console. Dom0 has no ring and writes with
// console_io. A domU finds its ring and event channel in
// HVM_PARAM_CONSOLE_PFN and _EVTCHN; a ring outside Entry's identity
// map, or no ring at all, leaves output on port 0xe9 and says so there.
// Either way the boot messages so far are replayed on the new console.
// While the ring is full, writers sleep as SetConsoleWait says.
func FindConsole() {
	if StartInfo.Flags&startinfo.SIF_INITDOMAIN != 0 {
		out.useConsoleIO()
		return
	}
	pfn, rc1 := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_PFN)
	port, rc2 := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_EVTCHN)
	page, inMap := IdentityPage(pfn)
	if rc1 != 0 || rc2 != 0 || !inMap {
		var b [128]byte
		m := append(b[:0], "no console ring (HVM_PARAM_CONSOLE_PFN rc="...)
		m = numfmt.AppendInt(m, int64(rc1))
		m = append(m, " pfn="...)
		m = numfmt.AppendHex64(m, pfn)
		m = append(m, "): staying on port 0xe9\n"...)
		out.toE9(m)
		return
	}
	// The page sits just below 4 GiB, mapped write-back by Entry.
	UseConsoleRing((*console.Interface)(at(page)), uint32(port), pfn)
}

// consolePFN is the frame of the console ring, which the kernel keeps out
// of its allocator.
var consolePFN uint64

// ConsoleRing is the frame of the console ring and its event channel, if
// the main console is one.
func ConsoleRing() (pfn uint64, port uint32, ok bool) {
	if out.sink != sinkRing {
		return 0, 0, false
	}
	return consolePFN, consolePorts[0], true
}

// IdentityPage is the address of page frame pfn if Entry's identity map
// covers it and it is RAM a guest may be given: at or above 1 MiB (below
// is the PC's legacy area, where Xen puts no ring page, and the stock-Go
// kernel leaves the first 64 KiB unmapped to catch nil dereferences) and
// below 4 GiB.
func IdentityPage(pfn uint64) (uintptr, bool) {
	if pfn < 1<<20>>12 || pfn >= 4<<30>>12 {
		return 0, false
	}
	return uintptr(pfn << 12), true
}
