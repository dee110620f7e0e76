package kernel

import (
	"testing"
	"unsafe"
)

// resetFDs puts the descriptor table back as boot leaves it.
func resetFDs(t *testing.T) {
	t.Cleanup(func() { fds = [maxFDs]fdEntry{{kind: fdConsole}, {kind: fdConsole}, {kind: fdConsole}} })
	fds = [maxFDs]fdEntry{{kind: fdConsole}, {kind: fdConsole}, {kind: fdConsole}}
}

// epollEvent is Linux's packed struct epoll_event.
func epollEvent(data uint64) []byte {
	var b [12]byte
	b[0] = 1 // EPOLLIN
	for i := 0; i < 8; i++ {
		b[4+i] = byte(data >> (8 * i))
	}
	return b[:]
}

// Closing a watched descriptor ends the watch (Linux drops it from every
// epoll set when the last reference goes): a new descriptor that reuses
// the number must not be reported under the old one's data.
func TestEpollForgetsClosedFD(t *testing.T) {
	resetFDs(t)
	ep := int(epollCreate())
	efd := int(eventfdCreate(0, 0x800))
	ev := epollEvent(0xdead)
	if r := epollCtl(ep, 1, efd, uintptr(unsafe.Pointer(&ev[0]))); r != 0 {
		t.Fatalf("EPOLL_CTL_ADD = %d", r)
	}
	if r := closeFD(efd); r != 0 {
		t.Fatalf("close = %d", r)
	}
	again := int(eventfdCreate(1, 0x800)) // reuses the number, readable at once
	if again != efd {
		t.Fatalf("the new eventfd is %d, not the reused %d", again, efd)
	}
	var out [12]byte
	if n := epollWait(ep, uintptr(unsafe.Pointer(&out[0])), 1, 0); n != 0 {
		t.Errorf("epoll_wait reported %d event(s) (data %#x) for a descriptor that was never added", n, *(*uint64)(unsafe.Pointer(&out[4])))
	}
	// And the freed watch slot can be used again.
	ev2 := epollEvent(0xbeef)
	if r := epollCtl(ep, 1, again, uintptr(unsafe.Pointer(&ev2[0]))); r != 0 {
		t.Fatalf("EPOLL_CTL_ADD of the new descriptor = %d", r)
	}
	if n := epollWait(ep, uintptr(unsafe.Pointer(&out[0])), 1, 0); n != 1 || *(*uint64)(unsafe.Pointer(&out[4])) != 0xbeef {
		t.Errorf("epoll_wait = %d, data %#x; want 1 event with data 0xbeef", n, *(*uint64)(unsafe.Pointer(&out[4])))
	}
}

// Closing the epoll descriptor itself leaves nothing behind either.
func TestCloseEpoll(t *testing.T) {
	resetFDs(t)
	ep := int(epollCreate())
	if r := closeFD(ep); r != 0 || fds[ep].kind != fdNone {
		t.Fatalf("close(epoll) = %d, kind %d", r, fds[ep].kind)
	}
	if r := closeFD(ep); r != -eBADF {
		t.Errorf("second close = %d, want EBADF", r)
	}
}
