package kernel

import (
	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
)

// /dev/xen/gntalloc: memory the program shares with another domain, with
// the interface of Linux's device of that name (include/uapi/xen/gntalloc.h),
// so package gnttab's Alloc works in a goxen guest and in a Linux domain.
//
//   - ioctl IOCTL_GNTALLOC_ALLOC_GREF takes fresh zeroed frames, grants each
//     to a domain (writable with GNTALLOC_FLAG_WRITABLE) and returns their
//     grant references and an index;
//   - mmap(fd, offset) of pages of an allocation (MAP_SHARED, as Linux
//     wants) gives the program those pages. Here that is the frames'
//     address in the identity map: the frames are one physical run
//     (mm.Frames.AllocRun), so the pages are one buffer, every mapping of a
//     page has the same address, and MAP_FIXED cannot be honoured;
//   - munmap of mapped pages drops one mapping of each;
//   - ioctl IOCTL_GNTALLOC_DEALLOC_GREF, or closing the file, gives the
//     allocation up. As on Linux, a page lives on while the program maps
//     it (libxengnttab deallocates right after mmap, and a program may
//     close the device and keep its pages): Linux counts a grant's users,
//     one for the file and one per mapping (drivers/xen/gntalloc.c), and
//     here each page counts its mappings. A page given up and no longer
//     mapped is released: its grant ends and its frame is freed. Freeing
//     it earlier would hand the next owner of the frame whatever the
//     program still writes there. A frame the other domain still maps
//     cannot be reused either (Xen would let it see the next owner's
//     data): it is kept aside and reclaimed once the grantee lets go;
//   - ioctl IOCTL_GNTALLOC_SET_UNMAP_NOTIFY names a byte to clear and/or an
//     event to send when the page holding the byte is released, which is
//     how a peer learns that this side went away (libxenvchan uses it).
//     The port must be one bound through /dev/xen/evtchn, and the
//     notification holds it open until the event is sent (evtchnHold), as
//     Linux's evtchn_get does. One notification per allocation: a second
//     one replaces the first (Linux keeps one per page).

const (
	maxGntallocs  = 8  // /dev/xen/gntalloc opened at once
	maxShares     = 32 // allocations, all files together (released ones awaiting their grantee included)
	maxSharePages = 64 // frames in one allocation
	shareStride   = 1 << 24
)

// Request numbers: _IOC(_IOC_NONE, 'G', nr, size) (include/uapi/xen/gntalloc.h).
const (
	ioctlGntallocAllocGref      = 24<<16 | 'G'<<8 | 5 // struct ioctl_gntalloc_alloc_gref
	ioctlGntallocDeallocGref    = 16<<16 | 'G'<<8 | 6 // struct ioctl_gntalloc_dealloc_gref
	ioctlGntallocSetUnmapNotify = 16<<16 | 'G'<<8 | 7 // struct ioctl_gntalloc_unmap_notify
	gntallocFlagWritable        = 1
	unmapNotifyClearByte        = 1
	unmapNotifySendEvent        = 2
)

// share is one allocation.
type share struct {
	owner    int8   // slot+1 of the file; 0: free; -1: given up, pages live on while mapped or granted
	n        uint32 // frames
	pa       uintptr
	index    uint64
	refs     [maxSharePages]gnttab.Ref // 0 once revoked
	maps     [maxSharePages]uint8      // the program's mappings of each page
	freed    uint64                    // bit k: frame k is back in the allocator
	notify   uint32                    // unmapNotify* bits
	notifyAt uintptr                   // byte to clear
	port     uint32                    // event to send (held: evtchnHold)
}

var (
	gntallocs [maxGntallocs]bool
	shares    [maxShares]share
	// reportedStuck: a grantee kept pages mapped after their allocation
	// ended; said once.
	reportedStuck bool
)

func gntallocOpen() int64 {
	if !haveGrant {
		return -eNODEV
	}
	return openSlot(gntallocs[:], fdGntalloc)
}

func gntallocClose(slot int) {
	for i := range shares {
		if shares[i].owner == int8(slot+1) {
			dropShare(&shares[i])
		}
	}
	// kernel:nopanic slot is the file's: openSlot set it to an index of gntallocs
	gntallocs[slot] = false
}

func gntallocIoctl(slot int, req uint64, arg uintptr) int64 {
	if arg == 0 {
		return -eFAULT
	}
	reclaimShares()
	switch req {
	case ioctlGntallocAllocGref:
		// { u16 domid; u16 flags; u32 count; u64 index (out); u32 gref_ids[count] (out) }
		hdr, errno := readUser[struct {
			domid, flags uint16
			count        uint32
		}](arg)
		if errno != 0 {
			return -errno
		}
		domid, flags, count := hdr.domid, hdr.flags, hdr.count
		if count == 0 || count > maxSharePages || domid > 0x7fef {
			return -eINVAL
		}
		i := -1
		for j := range shares {
			if shares[j].owner == 0 {
				i = j
				break
			}
		}
		if i < 0 {
			return -eNOSPC
		}
		// The index and references are written below; a buffer that
		// cannot take them fails now, before anything is granted.
		if errno := userProbe(arg+8, 8+uintptr(count)*4, true); errno != 0 {
			return -errno
		}
		pa, ok := frames.AllocRun(uint64(count))
		if !ok {
			return -eNOMEM
		}
		// kernel:nopanic i is an index of shares: the loop above set it, and i < 0 returned
		s := &shares[i]
		*s = share{n: count, pa: uintptr(pa), index: uint64(i+1) * shareStride}
		clear(bytesAt(s.pa, int(count)*4096))
		for k := uint32(0); k < count; k++ {
			frame, ok := grantFrame(s.pa + uintptr(k)<<12)
			var ref gnttab.Ref
			var err error = gnttab.ErrFrameTooLarge
			if ok {
				ref, err = grants.Grant(domid, frame, flags&gntallocFlagWritable == 0)
			}
			if err != nil {
				dropShare(s)
				return -eNOSPC
			}
			s.refs[k] = ref
			writeUser(arg+16+uintptr(k)*4, uint32(ref)) // probed
		}
		s.owner = int8(slot + 1)
		writeUser(arg+8, s.index) // probed
		return 0
	case ioctlGntallocDeallocGref:
		// { u64 index; u32 count }
		op, errno := readUser[struct {
			index    uint64
			count, _ uint32
		}](arg)
		if errno != 0 {
			return -errno
		}
		s := shareAt(slot, op.index)
		if s == nil || op.count != s.n {
			return -eINVAL
		}
		dropShare(s)
		return 0
	case ioctlGntallocSetUnmapNotify:
		// { u64 index (of the byte); u32 action; u32 event_channel_port }
		op, errno := readUser[struct {
			index        uint64
			action, port uint32
		}](arg)
		if errno != 0 {
			return -errno
		}
		return setUnmapNotify(slot, op.index, op.action, op.port)
	}
	return -eNOTTY
}

// setUnmapNotify is SET_UNMAP_NOTIFY, with Linux's answers
// (gntalloc_ioctl_unmap_notify): ENOENT for a byte outside the file's
// allocations, EINVAL for an unknown action or a port no file bound.
func setUnmapNotify(slot int, idx uint64, action, port uint32) int64 {
	s, k := sharePage(slot, idx)
	if s == nil {
		return -eNOENT
	}
	if action&^(unmapNotifyClearByte|unmapNotifySendEvent) != 0 {
		return -eINVAL
	}
	// Hold the new port before letting the old one go: they may be the
	// same, and this the last hold keeping it open.
	if action&unmapNotifySendEvent != 0 && !evtchnHold(port) {
		return -eINVAL
	}
	if s.notify&unmapNotifySendEvent != 0 {
		evtchnPut(s.port)
	}
	s.notify = action
	s.notifyAt = s.pa + uintptr(k)*4096 + uintptr(idx&4095)
	s.port = port
	return 0
}

// shareAt finds the allocation of the file in slot with this index.
func shareAt(slot int, index uint64) *share {
	if s, k := sharePage(slot, index); s != nil && k == 0 && index&4095 == 0 {
		return s
	}
	return nil
}

// sharePage finds the allocation of the file in slot that holds byte
// index of the file, and the page of it that does.
func sharePage(slot int, index uint64) (*share, uint32) {
	for i := range shares {
		s := &shares[i]
		if s.owner == int8(slot+1) && index >= s.index && index-s.index < uint64(s.n)*4096 {
			return s, uint32((index - s.index) / 4096)
		}
	}
	return nil, 0
}

// gntallocMmap maps pages of an allocation: their frames' identity-map
// address. Linux refuses a mapping that is not MAP_SHARED (EINVAL) and
// pages the file does not have (ENOENT, gntalloc_mmap); an offset must be
// page-aligned (EINVAL, as for any mmap).
func gntallocMmap(slot int, length, offset uint64, flags uint32) int64 {
	const mapShared, mapFixed = 0x01, 0x10
	if length == 0 || offset&4095 != 0 || flags&mapShared == 0 || flags&mapFixed != 0 {
		return -eINVAL
	}
	s, k := sharePage(slot, offset)
	if s == nil || length > uint64(s.n-k)*4096 {
		return -eNOENT
	}
	end := k + uint32((length+4095)/4096)
	for j := k; j < end; j++ {
		// kernel:nopanic k < s.n (sharePage) and end - k <= s.n - k (length is checked above), so j < s.n <= maxSharePages = len(s.maps)
		if s.maps[j] == ^uint8(0) {
			return -eNOMEM // as Linux past vm.max_map_count
		}
	}
	for j := k; j < end; j++ {
		// kernel:nopanic j < end <= s.n <= len(s.maps): see the loop above
		s.maps[j]++
	}
	return int64(s.pa) + int64(k)*4096
}

// gntallocMunmap drops one mapping of each page in [addr, addr+length)
// that the program maps from an allocation, releases the pages given up
// and now unmapped, and says whether the range held such a page. Other
// pages in the range are the kernel's memory, which the program cannot
// map; like Linux's munmap, the call unmaps what is there.
func gntallocMunmap(addr, length uint64) bool {
	if addr&4095 != 0 || length == 0 || length > maxSharePages*4096 || addr+length < addr {
		return false
	}
	mapped := false
	for a := addr; a < addr+length; a += 4096 {
		if s, k := mappedPage(a); s != nil {
			// kernel:nopanic mappedPage returns k < s.n <= maxSharePages = len(s.maps)
			s.maps[k]--
			mapped = true
		}
	}
	if mapped {
		reclaimShares()
	}
	return mapped
}

// mappedPage finds the allocation page at identity-map address a that the
// program maps. A frame is in at most one allocation until it is freed,
// and a page is freed only when unmapped, so there is at most one.
func mappedPage(a uint64) (*share, uint32) {
	for i := range shares {
		s := &shares[i]
		if s.owner != 0 && a >= uint64(s.pa) && a-uint64(s.pa) < uint64(s.n)*4096 {
			// kernel:nopanic a - s.pa < s.n*4096 (checked above), so k < s.n <= maxSharePages = len(s.maps)
			if k := uint32((a - uint64(s.pa)) / 4096); s.maps[k] > 0 {
				return s, k
			}
		}
	}
	return nil, 0
}

// dropShare gives an allocation up: its pages are released now, or at
// their last munmap.
func dropShare(s *share) {
	s.owner = -1
	releasePages(s)
}

// releasePages releases the pages of an allocation given up that the
// program no longer maps: the unmap notification of the page that has
// its byte, the grant, the frame. A page whose grantee still maps it is
// kept aside for reclaimShares. The allocation ends with its last page.
func releasePages(s *share) {
	if s.owner != -1 {
		return
	}
	busy := false
	for k := uint32(0); k < s.n; k++ {
		// kernel:nopanic k < s.n, and an allocation has at most maxSharePages = len(s.maps) pages (its ioctl checks count)
		if s.maps[k] > 0 || s.freed&(1<<k) != 0 {
			continue
		}
		if s.notify != 0 && uint32((s.notifyAt-s.pa)/4096) == k {
			sendUnmapNotify(s)
		}
		if s.refs[k] != 0 {
			if grants.Revoke(s.refs[k]) != nil {
				busy = true
				continue
			}
			s.refs[k] = 0
		}
		frames.Free(mm.PAddr(s.pa) + mm.PAddr(k)*4096)
		s.freed |= 1 << k
	}
	if busy && !reportedStuck {
		reportedStuck = true
		klog().s("gntalloc: a grantee still maps shared pages after their release; they are kept aside until it lets go").print()
	}
	if s.freed == 1<<s.n-1 {
		*s = share{}
	}
}

// sendUnmapNotify does what SET_UNMAP_NOTIFY asked, once, and lets the
// port go (Linux's __del_gref).
func sendUnmapNotify(s *share) {
	if s.notify&unmapNotifyClearByte != 0 {
		*(*byte)(at(s.notifyAt)) = 0
	}
	if s.notify&unmapNotifySendEvent != 0 {
		hypercall.EvtchnSend(s.port)
		evtchnPut(s.port)
	}
	s.notify = 0
}

// reclaimShares retries the pages a grantee held on to.
func reclaimShares() {
	for i := range shares {
		releasePages(&shares[i])
	}
}

// gntallocHolds reports whether [addr, end) lies in pages of one
// allocation that the program maps, every one of them: program memory for
// a system call's copies (userRange), though it is in the identity map.
// An allocation given up (owner -1) still counts while a page is mapped.
func gntallocHolds(addr, end uintptr) bool {
	for i := range shares {
		s := &shares[i]
		if s.owner == 0 || addr < s.pa || end > s.pa+uintptr(s.n)*4096 || end <= addr {
			continue
		}
		for k := (addr - s.pa) / 4096; k <= (end-1-s.pa)/4096; k++ {
			if s.maps[k&(maxSharePages-1)] == 0 {
				return false
			}
		}
		return true
	}
	return false
}
