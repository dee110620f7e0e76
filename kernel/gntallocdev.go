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
//   - mmap(fd, offset=index) gives the program the pages. Here that is the
//     frames' address in the identity map: the frames are one physical run
//     (mm.Frames.AllocRun), so the pages are one buffer, and munmap of it
//     has nothing to undo;
//   - ioctl IOCTL_GNTALLOC_DEALLOC_GREF, or closing the file, gives the
//     allocation up; as on Linux, pages the program still has mapped live
//     on until munmap (libxengnttab deallocates right after mmap, and a
//     program may close the device and keep its pages). Then the grants
//     end and the frames are freed. A frame the other domain still maps
//     cannot be reused (Xen would let it see the next owner's data): it is
//     kept aside and reclaimed once the grantee lets go;
//   - ioctl IOCTL_GNTALLOC_SET_UNMAP_NOTIFY names a byte to clear and/or an
//     event to send when the pages are released, which is how a peer
//     learns that this side went away (libxenvchan uses it).

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
	owner    int8   // slot+1 of the file; 0: free; -1: released, a grant still in use
	dropped  bool   // given up (DEALLOC or close): released once unmapped
	mapped   bool   // the program has it mmapped
	n        uint32 // frames
	pa       uintptr
	index    uint64
	refs     [maxSharePages]gnttab.Ref // 0 once revoked
	notify   uint32                    // unmapNotify* bits
	notifyAt uintptr                   // byte to clear
	port     uint32                    // event to send
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
		s := &shares[i]
		*s = share{n: count, pa: uintptr(pa), index: uint64(i+1) * shareStride}
		clear(bytesAt(s.pa, int(count)*4096))
		for k := uint32(0); k < count; k++ {
			ref, err := grants.Grant(domid, uint64(s.pa>>12)+uint64(k), flags&gntallocFlagWritable == 0)
			if err != nil {
				s.owner = -1
				releaseShare(s)
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
		idx, action := op.index, op.action
		s := shareAt(slot, idx&^(shareStride-1))
		if s == nil || idx-s.index >= uint64(s.n)*4096 || action&^(unmapNotifyClearByte|unmapNotifySendEvent) != 0 {
			return -eINVAL
		}
		s.notify = action
		s.notifyAt = s.pa + uintptr(idx-s.index)
		s.port = op.port
		return 0
	}
	return -eNOTTY
}

// shareAt finds the allocation of the file in slot with this index.
func shareAt(slot int, index uint64) *share {
	for i := range shares {
		if shares[i].owner == int8(slot+1) && !shares[i].dropped && shares[i].index == index {
			return &shares[i]
		}
	}
	return nil
}

// gntallocMmap maps an allocation: its frames' identity-map address.
func gntallocMmap(slot int, length, offset uint64, flags uint32) int64 {
	const mapFixed = 0x10
	s := shareAt(slot, offset)
	if s == nil || length == 0 || length > uint64(s.n)*4096 || flags&mapFixed != 0 {
		return -eINVAL
	}
	s.mapped = true
	return int64(s.pa)
}

// gntallocMunmap says whether [addr, addr+length) lies in an allocation's
// mapped pages, which need no unmapping; an allocation given up is
// released once the program unmaps it.
func gntallocMunmap(addr, length uint64) bool {
	for i := range shares {
		s := &shares[i]
		if s.owner > 0 && s.mapped && addr >= uint64(s.pa) && addr+length <= uint64(s.pa)+uint64(s.n)*4096 {
			s.mapped = false
			if s.dropped {
				releaseShare(s)
			}
			return true
		}
	}
	return false
}

// dropShare gives an allocation up: released now, or at its munmap.
func dropShare(s *share) {
	s.dropped = true
	if !s.mapped {
		releaseShare(s)
	}
}

// releaseShare does the unmap notification, ends the grants and frees the
// frames, or keeps the allocation as a released one while a grantee still
// maps a frame.
func releaseShare(s *share) {
	if s.owner > 0 {
		if s.notify&unmapNotifyClearByte != 0 {
			*(*byte)(at(s.notifyAt)) = 0
		}
		if s.notify&unmapNotifySendEvent != 0 {
			hypercall.EvtchnSend(s.port)
		}
		s.notify = 0
		s.owner = -1
	}
	busy := false
	for k := uint32(0); k < s.n; k++ {
		if s.refs[k] == 0 {
			continue
		}
		if grants.Revoke(s.refs[k]) != nil {
			busy = true
			continue
		}
		s.refs[k] = 0
	}
	if busy {
		if !reportedStuck {
			reportedStuck = true
			klog().s("gntalloc: a grantee still maps shared pages after their release; they are kept aside until it lets go").print()
		}
		return
	}
	for k := uint32(0); k < s.n; k++ {
		frames.Free(mm.PAddr(s.pa) + mm.PAddr(k)*4096)
	}
	*s = share{}
}

// reclaimShares retries the released allocations a grantee held on to.
func reclaimShares() {
	for i := range shares {
		if shares[i].owner == -1 {
			releaseShare(&shares[i])
		}
	}
}

// gntallocHolds reports whether [addr, end) lies in pages of one
// allocation the program has mapped: program memory for a system call's
// copies (userRange), though it is in the identity map.
func gntallocHolds(addr, end uintptr) bool {
	for i := range shares {
		s := &shares[i]
		if s.owner > 0 && s.mapped && addr >= s.pa && end <= s.pa+uintptr(s.n)*4096 {
			return true
		}
	}
	return false
}
