package kernel

import (
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pv"
)

// Memory in PV. Xen's domain builder maps the bootstrap region (the
// image, the P2M, start info, the xenstore and console pages, its page
// tables and a boot stack, then padding) at VIRT_BASE 0, so pseudo-
// physical frame p is at p<<12 as under PVH's identity map; pv.MapRAM
// maps the rest of RAM the same way. Page-table entries hold machine
// frames and are written by Xen (mmu_update), which keeps every
// page-table page read-only: package pv's PageTables is the mm backend
// that does that.

var pvPlan pv.MapPlan // what pvMapRAM mapped

func pvMapRAM() { pvPlan = pv.MapRAM() }

// pvInitMemory gives the frame allocator the RAM after the tables
// pv.MapRAM took from the padding, up to what it mapped, and roots the
// address spaces at the bootstrap L4 (pt_base), with package pv's
// backend for the entries.
func pvInitMemory() {
	free := pvPlan.Tables + pv.PFN(pvPlan.NTables)
	frames.AddFree(mm.PAddr(free.Addr()), mm.PAddr(pvPlan.To.Addr()))
	frames.Reserve(mm.PAddr(imageStart), mm.PAddr(imageEnd))
	if frames.FreeCount() < 256 {
		fatal("less than 1 MiB of free RAM after the bootstrap region", nil)
	}
	initSpacePV()
}

// pvTables is the PV page-table backend of the address spaces: entries
// written by Xen through the P2M, page-table pages kept read-only.
var pvTables pv.PageTables

// initSpacePV is initSpace for PV: the same ranges, rooted at the
// bootstrap L4 (pt_base), with package pv's backend.
func initSpacePV() {
	pvTables.Init(pv.P2MTable(), pv.M2PTable(), pv.PFN(pv.StartInfo.PTBase>>12), nil)
	initSpace()
	space.PT.Root = pvTables.Root()
	space.PT.Phys = &pvTables
	kspace.PT = space.PT
}

// pvProtectImage maps the image's text and read-only data without write
// permission, in one batch. Guest-user mode is ring 3, which honours
// read-only pages without CR0.WP, so a write there becomes SIGSEGV as
// under PVH; the kernel, in ring 3 too, cannot write them either.
func pvProtectImage() {
	// kernel:nopanic nImageSegs <= len(imageSegs): zeroBSS stops there
	segs := imageSegs[:nImageSegs]
	var ro uint64
	for p := imageStart; p < imageEnd; p += mm.PageSize {
		if readOnlyPage(segs, p) {
			pvTables.SetWritable(pv.PFN(p>>12), false)
			ro++
		}
	}
	pvTables.Flush()
	klog().s("image: ").dec(int64(ro * 4)).s(" KiB of text and read-only data mapped read-only").print()
}
