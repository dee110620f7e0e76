package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pv"
	"github.com/goxen/goxen/startinfo"
)

// Grant tables. A PVH guest asks Xen to place its table's frames at guest
// frames of its choosing (XENMEM_add_to_physmap, XENMAPSPACE_grant_table;
// package gnttab teaches the rest). The kernel puts them in a hole of the
// memory map, inside the identity map, so the table is simply memory at a
// fixed address and no RAM page is given up for it.

// grantFrames is how many table frames the kernel maps: 4 frames hold
// 2048 entries, plenty for the console, xenstore, channels and vchans.
const grantFrames = 4

var (
	grants    gnttab.Table
	haveGrant bool
)

func initGrantTable() {
	if pvMode {
		pvInitGrantTable()
		return
	}
	nr, max, st, rc := gnttab.QuerySize()
	if rc != 0 || st != 0 {
		klog().s("no grant table: GNTTABOP_query_size = ").dec(int64(rc)).s(", status ").dec(int64(st)).print()
		return
	}
	n := uint32(grantFrames)
	if max < n {
		n = max
	}
	base, ok := grantHole(si.MemoryMap(), int(n))
	if !ok || n == 0 {
		klog().s("no grant table: no hole in the memory map for ").dec(int64(n)).s(" frames").print()
		return
	}
	if mapped, rc := gnttab.MapFrames(n, base>>12); rc != 0 {
		klog().s("no grant table: mapping frame ").dec(int64(mapped)).s(" at ").hex(base + uint64(mapped)<<12).s(" = ").dec(int64(rc)).print()
		return
	}
	if err := grants.Init(bytesAt(uintptr(base), int(n)<<12)); err != nil {
		klog().s("no grant table: ").s(err.Error()).print()
		return
	}
	haveGrant = true
	klog().s("grant table v1: ").dec(int64(n)).s(" frames at ").hex(base).s(" (Xen had ").dec(int64(nr)).s(", allows ").dec(int64(max)).
		s("), ").dec(int64(grants.Free())).s(" free entries").print()
}

// grantHole finds the lowest page-aligned range of n frames at or above
// 1 MiB and below 4 GiB that no memory map entry touches.
func grantHole(memmap []startinfo.MemmapEntry, n int) (uint64, bool) {
	size := uint64(n) << 12
	base := uint64(1 << 20)
	for moved := true; moved; {
		moved = false
		for _, e := range memmap {
			if e.Addr < base+size && base < e.Addr+e.Size {
				base = (e.Addr + e.Size + 0xfff) &^ 0xfff
				moved = true
			}
		}
		if base+size > 4<<30 {
			return 0, false
		}
	}
	return base, true
}

// grantFrame is the frame number a grant entry names for the page at
// pseudo-physical address pa: the page's own under PVH, its machine frame
// under PV (grant entries and GNTTABOP_copy take MFNs there:
// xen/include/public/grant_table.h). ok is false for an address that is
// not a RAM frame of the guest (under PVH: outside the identity map
// below 4 GiB; under PV: beyond the P2M), whose number would be garbage.
func grantFrame(pa uintptr) (frame uint64, ok bool) {
	if pvMode {
		m, ok := pv.P2MTable().MFN(pv.PFN(pa >> 12))
		return uint64(m), ok
	}
	return uint64(pa >> 12), pa < 4<<30
}

// grantPages is where a PV guest maps its table: Xen names the table's
// machine frames (GNTTABOP_setup_table) and the guest maps them wherever
// it likes; these pages of the image give them addresses (their own
// frames go unused), as the shared info page does.
var grantPages [(grantFrames + 1) << 12]byte

// pvInitGrantTable is initGrantTable for PV.
func pvInitGrantTable() {
	var mfns [grantFrames]uint64
	st, rc := gnttab.SetupTable(mfns[:])
	if rc != 0 || st != 0 {
		klog().s("no grant table: GNTTABOP_setup_table = ").dec(int64(rc)).s(", status ").dec(int64(st)).print()
		return
	}
	base := (uintptr(unsafe.Pointer(&grantPages)) + 0xfff) &^ 0xfff
	for i, m := range mfns {
		va := base + uintptr(i)<<12
		pte := m<<12 | hypercall.PTE_P | hypercall.PTE_RW | hypercall.PTE_A | hypercall.PTE_D
		if rc := hypercall.UpdateVAMapping(va, pte, hypercall.UVMF_INVLPG|hypercall.UVMF_LOCAL); rc != 0 {
			klog().s("no grant table: mapping frame ").dec(int64(i)).s(" (mfn ").hex(m).s(") = ").dec(int64(rc)).print()
			return
		}
	}
	if err := grants.Init(bytesAt(base, grantFrames<<12)); err != nil {
		klog().s("no grant table: ").s(err.Error()).print()
		return
	}
	haveGrant = true
	klog().s("grant table v1: ").dec(grantFrames).s(" frames at ").hex(uint64(base)).s(" (machine frames from GNTTABOP_setup_table), ").
		dec(int64(grants.Free())).s(" free entries").print()
}
