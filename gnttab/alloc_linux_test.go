package gnttab

import (
	"syscall"
	"testing"
	"unsafe"
)

// gntallocCall is one ioctl a fake gntalloc device received.
type gntallocCall struct {
	fd    int
	req   uintptr
	index uint64
}

// fakeGntalloc puts a device behind ioctl that grants refs 100, 101, ...
// at indices 0, 4096, ... and records every call. The descriptor is
// /dev/zero, so Share's mmap works.
func fakeGntalloc(t *testing.T) (*Alloc, *[]gntallocCall) {
	t.Helper()
	calls := new([]gntallocCall)
	var next uint64
	old := ioctl
	ioctl = func(fd int, req uintptr, arg unsafe.Pointer) syscall.Errno {
		// DEALLOC and SET_UNMAP_NOTIFY start with the index.
		c := gntallocCall{fd: fd, req: req, index: *(*uint64)(arg)}
		if req == ioctlAllocGref {
			g := (*allocGref)(arg)
			g.Index = next
			c.index = next
			for i := uint32(0); i < g.Count; i++ {
				g.Refs[i] = uint32(100 + next/PageSize + uint64(i))
			}
			next += uint64(g.Count) * PageSize
		}
		*calls = append(*calls, c)
		return 0
	}
	t.Cleanup(func() { ioctl = old })
	a, err := openAlloc("/dev/zero")
	if err != nil {
		t.Skip(err)
	}
	return a, calls
}

// Channel and vchan close the Alloc right after Share (the share lives
// on). Shared.Close must then not issue DEALLOC on the closed descriptor,
// which another file may own by now: Linux's gntalloc_release dropped
// the file's hold on each grant already, and the munmap drops the last
// (drivers/xen/gntalloc.c, gntalloc_release and gntalloc_vma_close).
func TestSharedCloseAfterAllocClose(t *testing.T) {
	a, calls := fakeGntalloc(t)
	s, err := a.Share(3, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Refs) != 2 || s.Refs[0] != 100 || len(s.Mem) != 2*PageSize {
		t.Fatalf("Share gave refs %v, %d bytes", s.Refs, len(s.Mem))
	}
	fd := a.fd
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Another file takes the number, as it would in a busy program.
	other, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(other)
	if other != fd {
		t.Logf("descriptor %d not reused (got %d); checking that no ioctl follows", fd, other)
	}
	before := len(*calls)
	if err := s.Close(); err != nil {
		t.Errorf("Close after the device's Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, c := range (*calls)[before:] {
		t.Errorf("ioctl %#x on descriptor %d (the closed device's was %d) after the device was closed", c.req, c.fd, fd)
	}
	if s.Mem != nil {
		t.Error("Mem still set after Close")
	}
	if err := s.NotifyOnRelease(NotifyClearByte, 0, 0); err == nil {
		t.Error("NotifyOnRelease on a closed share succeeded")
	}
	if err := a.Close(); err == nil {
		t.Error("second Alloc.Close succeeded")
	}
	if _, err := a.Share(3, 1, false); err == nil {
		t.Error("Share on a closed Alloc succeeded")
	}
}

// While the Alloc is open, Close ends the grants with one DEALLOC of the
// share's range on the device's descriptor, once however often it is
// called.
func TestSharedCloseDeallocsOnce(t *testing.T) {
	a, calls := fakeGntalloc(t)
	defer a.Close()
	s1, err := a.Share(3, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := a.Share(3, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	before := len(*calls)
	for range 3 {
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got := (*calls)[before:]
	if len(got) != 1 || got[0].req != ioctlDeallocGref || got[0].fd != a.fd || got[0].index != PageSize {
		t.Fatalf("Close issued %+v; want one DEALLOC of index %d on descriptor %d", got, PageSize, a.fd)
	}
	if err := s1.NotifyOnRelease(NotifySendEvent, 0, 9); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
}
