package kernel

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/sharedinfo"
)

// testGntalloc gives the device what it has in a guest: a grant table
// (over a buffer) and frames below 4 GiB that are real memory here, since
// the kernel reaches them through the identity map. It returns the grant
// table's memory.
func testGntalloc(t *testing.T, pages int) []byte {
	t.Helper()
	const base = 0x6000_0000 // below mm.MaxPhys, free in a Go test process
	const mapFixedNoreplace = 0x100000
	size := uintptr(pages) * 4096
	got, _, errno := syscall.Syscall6(syscall.SYS_MMAP, base, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|mapFixedNoreplace, ^uintptr(0), 0)
	if errno != 0 || got != base {
		t.Fatalf("mapping %d pages at %#x: %v (got %#x)", pages, uintptr(base), errno, got)
	}
	table := make([]byte, 4096)
	oldFrames, oldGrants, oldHave := frames, grants, haveGrant
	frames, haveGrant = mm.Frames{}, true
	frames.AddFree(mm.PAddr(base), mm.PAddr(base+size))
	if err := grants.Init(table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		frames, grants, haveGrant = oldFrames, oldGrants, oldHave
		shares = [maxShares]share{}
		gntallocs = [maxGntallocs]bool{}
		syscall.Syscall(syscall.SYS_MUNMAP, base, size, 0)
	})
	return table
}

// allocGref is struct ioctl_gntalloc_alloc_gref (include/uapi/xen/gntalloc.h).
type allocGref struct {
	domid, flags uint16
	count        uint32
	index        uint64
	refs         [maxSharePages]uint32
}

// gntallocAlloc allocates pages for the file in slot and returns the
// answer and the frames' address.
func gntallocAlloc(t *testing.T, slot int, pages uint32) (*allocGref, uint64) {
	t.Helper()
	a := &allocGref{domid: 0, flags: gntallocFlagWritable, count: pages}
	if rc := gntallocIoctl(slot, ioctlGntallocAllocGref, uintptr(unsafe.Pointer(a))); rc != 0 {
		t.Fatalf("ALLOC_GREF of %d pages = %d", pages, rc)
	}
	s, k := sharePage(slot, a.index)
	if s == nil || k != 0 {
		t.Fatalf("no allocation at index %#x", a.index)
	}
	return a, uint64(s.pa)
}

func gntallocDealloc(slot int, index uint64, count uint32) int64 {
	d := struct {
		index uint64
		count uint32
	}{index, count}
	return gntallocIoctl(slot, ioctlGntallocDeallocGref, uintptr(unsafe.Pointer(&d)))
}

func setUnmapNotifyIoctl(slot int, index uint64, action, port uint32) int64 {
	n := struct {
		index        uint64
		action, port uint32
	}{index, action, port}
	return gntallocIoctl(slot, ioctlGntallocSetUnmapNotify, uintptr(unsafe.Pointer(&n)))
}

const mapShared = 0x01

// A page stays granted, and its frame the program's, until the
// allocation is given up (DEALLOC or close) and no mapping of that page
// remains: Linux counts a grant's users, one for the file and one per
// mapping (drivers/xen/gntalloc.c: gntalloc_gref.users, __del_gref), and
// here the program's pages are the frames themselves, so freeing a frame
// it can still write would hand its writes to the next owner.
func TestGntallocRanges(t *testing.T) {
	testGntalloc(t, 8)
	a, pa := gntallocAlloc(t, 0, 4)
	granted := func(k int) bool { return grants.Granted(gnttab.Ref(a.refs[k])) }
	free := func(k int) bool { return frames.IsFree(mm.PAddr(pa) + mm.PAddr(k)*4096) }
	live := func(want ...bool) {
		t.Helper()
		for k, w := range want {
			if granted(k) != w || free(k) == w {
				t.Fatalf("page %d granted %v, frame free %v; want the page live %v", k, granted(k), free(k), w)
			}
		}
	}
	if gntallocMmap(1, 4*4096, a.index, mapShared) != -eNOENT {
		t.Fatal("another file's allocation was mapped")
	}
	if got := gntallocMmap(0, 4*4096, a.index, mapShared); got != int64(pa) {
		t.Fatalf("mmap = %#x, want the frames' address %#x", got, pa)
	}
	if got := gntallocMmap(0, 2*4096, a.index+4096, mapShared); got != int64(pa+4096) {
		t.Fatalf("mmap of pages 1-2 = %#x, want %#x", got, pa+4096)
	}
	for _, c := range []struct {
		length, offset uint64
		flags          uint32
		want           int64
	}{
		{5 * 4096, a.index, mapShared, -eNOENT},          // beyond the allocation
		{4096, a.index + 4*4096, mapShared, -eNOENT},     // past its last page
		{1 << 63, a.index, mapShared, -eNOENT},           // a length that overflows in pages
		{^uint64(0), a.index + 4096, mapShared, -eNOENT}, // and wraps
		{4096, a.index + 1, mapShared, -eINVAL},          // not page-aligned
		{0, a.index, mapShared, -eINVAL},                 // nothing
		{4096, a.index, 0x02, -eINVAL},                   // MAP_PRIVATE: Linux wants shared
		{4096, a.index, mapShared | 0x10, -eINVAL},       // MAP_FIXED: the address is the frames'
	} {
		if got := gntallocMmap(0, c.length, c.offset, c.flags); got != c.want {
			t.Errorf("mmap(len %#x, off %#x, flags %#x) = %d, want %d", c.length, c.offset, c.flags, got, c.want)
		}
	}
	if gntallocMunmap(pa-4096, 4096) || gntallocMunmap(pa+4*4096, 4096) || gntallocMunmap(pa+1, 4096) || gntallocMunmap(pa, 0) {
		t.Fatal("munmap of no mapped page, or unaligned, or empty, accepted")
	}
	if rc := gntallocDealloc(0, a.index, 4); rc != 0 {
		t.Fatalf("DEALLOC = %d", rc)
	}
	live(true, true, true, true) // both mappings hold every page
	if gntallocMmap(0, 4096, a.index, mapShared) != -eNOENT {
		t.Fatal("a given-up allocation can still be mapped")
	}
	if !gntallocMunmap(pa, 4096) {
		t.Fatal("munmap of page 0 refused")
	}
	live(false, true, true, true) // page 0: last mapping gone
	if !gntallocMunmap(pa+3*4096, 2*4096) {
		t.Fatal("munmap of page 3 and the kernel's page after it refused")
	}
	live(false, true, true, false)
	if !gntallocMunmap(pa+4096, 2*4096) {
		t.Fatal("munmap of the first mapping's pages 1-2 refused")
	}
	live(false, true, true, false) // the second mapping holds them
	if !gntallocMunmap(pa+4096, 2*4096) {
		t.Fatal("munmap of the second mapping refused")
	}
	live(false, false, false, false)
	if shares[0] != (share{}) || frames.BadFrees() != 0 {
		t.Fatalf("allocation not ended cleanly: %+v, %d bad frees", shares[0], frames.BadFrees())
	}
	if gntallocMunmap(pa, 4096) {
		t.Fatal("a munmap of released pages was taken for a mapping")
	}
}

// Closing the device gives its allocations up as DEALLOC does; a page the
// grantee still maps keeps its frame aside until the grantee lets go.
func TestGntallocCloseAndBusyGrantee(t *testing.T) {
	table := testGntalloc(t, 8)
	defer func(r bool) { reportedStuck = r }(reportedStuck)
	reportedStuck = true // its message goes to port 0xe9, which faults on the host
	a, pa := gntallocAlloc(t, 0, 2)
	if gntallocMmap(0, 4096, a.index+4096, mapShared) != int64(pa+4096) {
		t.Fatal("mmap of page 1 failed")
	}
	// The grantee maps page 0 for writing (Xen's GTF_writing).
	flags := (*uint16)(unsafe.Pointer(&table[a.refs[0]*gnttab.EntrySize]))
	*flags |= gnttab.GTF_writing
	gntallocClose(0)
	if !grants.Granted(gnttab.Ref(a.refs[0])) || frames.IsFree(mm.PAddr(pa)) {
		t.Fatal("page 0 was released while the grantee maps it")
	}
	if !grants.Granted(gnttab.Ref(a.refs[1])) || frames.IsFree(mm.PAddr(pa+4096)) {
		t.Fatal("page 1 was released while the program maps it")
	}
	*flags &^= gnttab.GTF_writing
	reclaimShares()
	if grants.Granted(gnttab.Ref(a.refs[0])) || !frames.IsFree(mm.PAddr(pa)) {
		t.Fatal("page 0 not reclaimed once the grantee let go")
	}
	if !gntallocMunmap(pa+4096, 4096) || !frames.IsFree(mm.PAddr(pa+4096)) || shares[0] != (share{}) {
		t.Fatal("page 1 not released at its munmap")
	}
}

// SET_UNMAP_NOTIFY names a port bound through /dev/xen/evtchn, and holds
// it: Linux takes a reference on the event channel (evtchn_get in
// gntalloc_ioctl_unmap_notify, evtchn_put after the event in __del_gref),
// so unbinding the port, or closing its file, leaves it open in Xen until
// the notification is sent, and its number cannot go to another channel
// in between.
func TestGntallocUnmapNotifyHoldsItsPort(t *testing.T) {
	testGntalloc(t, 8)
	defer func() { devPorts = [maxDevPorts]devPort{}; shared = nil }()
	shared = new(sharedinfo.SharedInfo)
	log := fakeEvtchnXen(t)
	devPorts[2] = devPort{port: 50, owner: 3} // bound by another evtchn file
	a, pa := gntallocAlloc(t, 0, 2)
	const both = unmapNotifyClearByte | unmapNotifySendEvent
	if rc := setUnmapNotifyIoctl(0, a.index+4096+5, both, 99); rc != -eINVAL {
		t.Fatalf("notify naming an unbound port = %d, want EINVAL", rc)
	}
	if rc := setUnmapNotifyIoctl(0, a.index+2*4096, unmapNotifyClearByte, 0); rc != -eNOENT {
		t.Fatalf("notify past the allocation = %d, want ENOENT", rc)
	}
	if rc := setUnmapNotifyIoctl(0, a.index, 4, 0); rc != -eINVAL {
		t.Fatalf("notify with an unknown action = %d, want EINVAL", rc)
	}
	if rc := setUnmapNotifyIoctl(0, a.index+4096+5, both, 50); rc != 0 {
		t.Fatalf("SET_UNMAP_NOTIFY = %d", rc)
	}
	notifyByte := (*byte)(at(uintptr(pa) + 4096 + 5))
	*notifyByte = 1
	var port [1]uint32
	port[0] = 50
	if rc := evtchnIoctl(2, ioctlEvtchnUnbind, uintptr(unsafe.Pointer(&port[0]))); rc != 0 {
		t.Fatalf("UNBIND = %d", rc)
	}
	if c := log.calls(); len(c) != 0 {
		t.Fatalf("unbinding a port a notification holds reached Xen: %v", c)
	}
	if rc := evtchnIoctl(2, ioctlEvtchnNotify, uintptr(unsafe.Pointer(&port[0]))); rc != -eNOTCONN {
		t.Fatalf("NOTIFY on the unbound port = %d, want ENOTCONN", rc)
	}
	var pb [len(idlePorts) + maxDevPorts]uint32
	if got := pollPorts(&pb); len(got) != 0 {
		t.Fatalf("idle polls %v: the unbound port has no reader", got)
	}
	if rc := gntallocDealloc(0, a.index, 2); rc != 0 {
		t.Fatalf("DEALLOC = %d", rc)
	}
	want := []xenCall{{hypercall.EVTCHNOP_send, 50}, {hypercall.EVTCHNOP_close, 50}}
	if c := log.calls(); len(c) != 2 || c[0] != want[0] || c[1] != want[1] {
		t.Fatalf("Xen saw %v, want the event, then the close: %v", c, want)
	}
	if *notifyByte != 0 {
		t.Fatal("the notification's byte was not cleared")
	}
	if devPorts[2] != (devPort{}) {
		t.Fatalf("the port's entry was kept: %+v", devPorts[2])
	}
}

// A second SET_UNMAP_NOTIFY replaces the first and lets its port go; a
// port the notification holds stays bound for its file, which may still
// use it and unbind it as usual.
func TestGntallocUnmapNotifyReplaced(t *testing.T) {
	testGntalloc(t, 8)
	defer func() { devPorts = [maxDevPorts]devPort{}; shared = nil }()
	shared = new(sharedinfo.SharedInfo)
	log := fakeEvtchnXen(t)
	devPorts[0] = devPort{port: 60, owner: 1}
	devPorts[1] = devPort{port: 61, owner: 1}
	a, _ := gntallocAlloc(t, 0, 1)
	if rc := setUnmapNotifyIoctl(0, a.index, unmapNotifySendEvent, 60); rc != 0 {
		t.Fatalf("SET_UNMAP_NOTIFY = %d", rc)
	}
	if rc := setUnmapNotifyIoctl(0, a.index, unmapNotifySendEvent, 61); rc != 0 {
		t.Fatalf("second SET_UNMAP_NOTIFY = %d", rc)
	}
	evtchnClose(0) // closes 60 now; 61 waits for the notification
	if c := log.calls(); len(c) != 1 || c[0] != (xenCall{hypercall.EVTCHNOP_close, 60}) {
		t.Fatalf("Xen saw %v, want port 60 closed alone", c)
	}
	gntallocClose(0)
	if c := log.calls(); len(c) != 3 || c[1] != (xenCall{hypercall.EVTCHNOP_send, 61}) || c[2] != (xenCall{hypercall.EVTCHNOP_close, 61}) {
		t.Fatalf("Xen saw %v, want port 61 notified, then closed", c)
	}
}

// The largest allocation ends like any other: its last page's bit in
// the freed mask is bit 63.
func TestGntallocLargestAllocationEnds(t *testing.T) {
	testGntalloc(t, maxSharePages)
	a, _ := gntallocAlloc(t, 0, maxSharePages)
	if gntallocDealloc(0, a.index, maxSharePages) != 0 || shares[0] != (share{}) || frames.FreeCount() != maxSharePages {
		t.Fatalf("a %d-page allocation did not end: %d frames free", maxSharePages, frames.FreeCount())
	}
}
