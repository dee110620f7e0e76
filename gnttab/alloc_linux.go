package gnttab

import (
	"fmt"
	"syscall"
	"unsafe"
)

// Alloc is /dev/xen/gntalloc opened by a program: pages it shares with
// another domain. The goxen kernel offers the device with the interface
// of Linux's (include/uapi/xen/gntalloc.h), so an Alloc works in a goxen
// guest and in a Linux domain. An Alloc is safe for concurrent use.
type Alloc struct {
	fd int
}

// AllocPath is where the device lives.
const AllocPath = "/dev/xen/gntalloc"

// Request numbers, _IOC(_IOC_NONE, 'G', nr, size) (gntalloc.h).
const (
	ioctlAllocGref      = 24<<16 | 'G'<<8 | 5
	ioctlDeallocGref    = 16<<16 | 'G'<<8 | 6
	ioctlSetUnmapNotify = 16<<16 | 'G'<<8 | 7

	allocFlagWritable = 1 // GNTALLOC_FLAG_WRITABLE

	// Unmap notifications (UNMAP_NOTIFY_CLEAR_BYTE, UNMAP_NOTIFY_SEND_EVENT).
	NotifyClearByte = 1
	NotifySendEvent = 2
)

// MaxSharedPages is the most pages one Share asks for.
const MaxSharedPages = 64

// OpenAlloc opens AllocPath.
func OpenAlloc() (*Alloc, error) {
	fd, err := syscall.Open(AllocPath, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gnttab: open %s: %w", AllocPath, err)
	}
	return &Alloc{fd: fd}, nil
}

// Shared is pages granted to one domain.
type Shared struct {
	Mem   []byte // the pages, mapped
	Refs  []Ref  // their grant references, one per page, in order
	a     *Alloc
	index uint64
}

// allocGref is struct ioctl_gntalloc_alloc_gref with room for the refs.
type allocGref struct {
	Domid uint16
	Flags uint16
	Count uint32
	Index uint64
	Refs  [MaxSharedPages]uint32
}

// Share allocates pages zeroed pages, grants them to domid (read-write
// unless readonly) and maps them.
func (a *Alloc) Share(domid uint16, pages int, readonly bool) (*Shared, error) {
	if pages < 1 || pages > MaxSharedPages {
		return nil, fmt.Errorf("gnttab: sharing %d pages: want 1 to %d", pages, MaxSharedPages)
	}
	g := allocGref{Domid: domid, Count: uint32(pages)}
	if !readonly {
		g.Flags = allocFlagWritable
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(a.fd), ioctlAllocGref, uintptr(unsafe.Pointer(&g))); e != 0 {
		return nil, fmt.Errorf("gnttab: granting %d pages to domain %d: %w", pages, domid, e)
	}
	mem, err := syscall.Mmap(a.fd, int64(g.Index), pages*PageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		a.dealloc(g.Index, uint32(pages))
		return nil, fmt.Errorf("gnttab: mapping %d granted pages: %w", pages, err)
	}
	s := &Shared{Mem: mem, Refs: make([]Ref, pages), a: a, index: g.Index}
	for i := range s.Refs {
		s.Refs[i] = Ref(g.Refs[i])
	}
	return s, nil
}

func (a *Alloc) dealloc(index uint64, count uint32) error {
	d := struct {
		Index uint64
		Count uint32
		_     uint32
	}{index, count, 0}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(a.fd), ioctlDeallocGref, uintptr(unsafe.Pointer(&d))); e != 0 {
		return e
	}
	return nil
}

// NotifyOnRelease asks for what happens when the pages are released
// (Close, or the program's end): with NotifyClearByte the byte at offset
// in Mem is set to 0, with NotifySendEvent an event goes to port. It is
// how the other domain learns that this side went away.
func (s *Shared) NotifyOnRelease(action uint32, offset int, port uint32) error {
	n := struct {
		Index  uint64
		Action uint32
		Port   uint32
	}{s.index + uint64(offset), action, port}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(s.a.fd), ioctlSetUnmapNotify, uintptr(unsafe.Pointer(&n))); e != 0 {
		return fmt.Errorf("gnttab: unmap notify: %w", e)
	}
	return nil
}

// Close unmaps the pages and ends the grants. Mem must not be used after.
func (s *Shared) Close() error {
	if s.Mem == nil {
		return nil
	}
	err1 := syscall.Munmap(s.Mem)
	s.Mem = nil
	err2 := s.a.dealloc(s.index, uint32(len(s.Refs)))
	if err1 != nil {
		return fmt.Errorf("gnttab: unmapping shared pages: %w", err1)
	}
	if err2 != nil {
		return fmt.Errorf("gnttab: ending the grants of shared pages: %w", err2)
	}
	return nil
}

// Close closes the device; pages still shared are released.
func (a *Alloc) Close() error { return syscall.Close(a.fd) }
