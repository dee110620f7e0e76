package gnttab

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"unsafe"
)

// Alloc is /dev/xen/gntalloc opened by a program: pages it shares with
// another domain. The goxen kernel offers the device with the interface
// of Linux's (include/uapi/xen/gntalloc.h), so an Alloc works in a goxen
// guest and in a Linux domain. An Alloc is safe for concurrent use.
//
// The Alloc owns its descriptor; a Shared uses it only while the Alloc is
// open. An Alloc may be closed while its shares live on (channel and vchan
// do so right after Share): each grant then ends when its pages are
// unmapped, by Shared.Close or the program's end. Linux holds a grant
// once for the file and once per mapped page (gntalloc.c: add_grefs sets
// users to 1, gntalloc_mmap adds one per page; gntalloc_release and
// gntalloc_vma_close each drop theirs, and the last one ends the grant),
// and so does the goxen kernel.
type Alloc struct {
	mu sync.RWMutex // read-held while fd is used, write-held to close it
	fd int          // -1 once closed: never a number another file may own
}

// ErrAllocClosed is the error of using an Alloc, or a Shared's device
// ioctls, after Alloc.Close.
var ErrAllocClosed = errors.New("gnttab: " + AllocPath + " already closed")

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
func OpenAlloc() (*Alloc, error) { return openAlloc(AllocPath) }

func openAlloc(path string) (*Alloc, error) {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gnttab: open %s: %w", path, err)
	}
	return &Alloc{fd: fd}, nil
}

// ioctl is the system call; tests put a fake device behind it.
var ioctl = func(fd int, req uintptr, arg unsafe.Pointer) syscall.Errno {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	return e
}

// Shared is pages granted to one domain.
type Shared struct {
	Mem   []byte // the pages, mapped; nil after Close
	Refs  []Ref  // their grant references, one per page, in order
	a     *Alloc
	index uint64
	mu    sync.Mutex // Close and NotifyOnRelease
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
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.fd < 0 {
		return nil, ErrAllocClosed
	}
	if e := ioctl(a.fd, ioctlAllocGref, unsafe.Pointer(&g)); e != 0 {
		return nil, fmt.Errorf("gnttab: granting %d pages to domain %d: %w", pages, domid, e)
	}
	mem, err := syscall.Mmap(a.fd, int64(g.Index), pages*PageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		a.deallocLocked(g.Index, uint32(pages))
		return nil, fmt.Errorf("gnttab: mapping %d granted pages: %w", pages, err)
	}
	s := &Shared{Mem: mem, Refs: make([]Ref, pages), a: a, index: g.Index}
	for i := range s.Refs {
		s.Refs[i] = Ref(g.Refs[i])
	}
	return s, nil
}

// deallocLocked ends the file's hold on count grants from index
// (IOCTL_GNTALLOC_DEALLOC_GREF); a.mu is read-held and the Alloc open.
func (a *Alloc) deallocLocked(index uint64, count uint32) error {
	d := struct {
		Index uint64
		Count uint32
		_     uint32
	}{index, count, 0}
	if e := ioctl(a.fd, ioctlDeallocGref, unsafe.Pointer(&d)); e != 0 {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Mem == nil {
		return errors.New("gnttab: unmap notify: shared pages already closed")
	}
	a := s.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.fd < 0 {
		return fmt.Errorf("gnttab: unmap notify: %w", ErrAllocClosed)
	}
	if e := ioctl(a.fd, ioctlSetUnmapNotify, unsafe.Pointer(&n)); e != 0 {
		return fmt.Errorf("gnttab: unmap notify: %w", e)
	}
	return nil
}

// Close unmaps the pages and ends the grants: with DEALLOC while the
// Alloc is open, by the unmapping alone after Alloc.Close (see Alloc).
// Mem must not be used after. Closing again does nothing and returns nil.
func (s *Shared) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Mem == nil {
		return nil
	}
	err1 := syscall.Munmap(s.Mem)
	s.Mem = nil
	var err2 error
	s.a.mu.RLock()
	if s.a.fd >= 0 {
		err2 = s.a.deallocLocked(s.index, uint32(len(s.Refs)))
	}
	s.a.mu.RUnlock()
	if err1 != nil {
		return fmt.Errorf("gnttab: unmapping shared pages: %w", err1)
	}
	if err2 != nil {
		return fmt.Errorf("gnttab: ending the grants of shared pages: %w", err2)
	}
	return nil
}

// Close closes the device. Shares still mapped live on until their
// Close; the others are released. Closing again returns ErrAllocClosed.
func (a *Alloc) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fd < 0 {
		return ErrAllocClosed
	}
	err := syscall.Close(a.fd)
	a.fd = -1
	return err
}
