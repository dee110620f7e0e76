package evtchn

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// fakeDevice stands in for /dev/xen/evtchn: the device's end of a Unix
// socket pair is what OpenDevice opens, and "Xen" writes fired ports
// (uint32s) into the other end, which also receives the unmask writes.
// IOCTL_EVTCHN_BIND_UNBOUND_PORT gives port 7.
//
// linux: the device is pollable and UNBIND wakes nobody, as in Linux's
// drivers/xen/evtchn.c (evtchn_read sleeps on evtchn_wait until its ring
// has a port; the UNBIND ioctl takes the port off the file without
// touching the ring or the wait queue; evtchn_poll lets epoll watch it).
// Otherwise the device is not pollable (the goxen kernel refuses epoll on
// it) and UNBIND of the last port makes a blocked read return 0, as the
// goxen kernel's does.
type fakeDevice struct {
	xen      *os.File // Xen's end
	xenFD    int
	unbinds  atomic.Int32
	notifies atomic.Int32
}

func newFakeDevice(t *testing.T, linux bool) *fakeDevice {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDevice{xenFD: fds[1]}
	syscall.SetNonblock(fds[1], true)
	f.xen = os.NewFile(uintptr(fds[1]), "xen") // pollable: reads take deadlines
	t.Cleanup(func() { f.xen.Close() })
	devFD := fds[0]
	opened := false
	oldOpen, oldIoctl := openFile, ioctl
	openFile = func(path string) (*os.File, error) {
		if opened {
			return nil, syscall.ENOENT
		}
		opened = true
		if linux {
			syscall.SetNonblock(devFD, true) // os.NewFile then puts it in the poller
		}
		return os.NewFile(uintptr(devFD), path), nil
	}
	ioctl = func(fd uintptr, req uintptr, arg unsafe.Pointer) (uintptr, syscall.Errno) {
		port := *(*uint32)(arg)
		switch req {
		case ioctlBindUnboundPort:
			return 7, 0
		case ioctlUnbind:
			if port != 7 {
				return 0, syscall.ENOTCONN
			}
			f.unbinds.Add(1)
			if !linux {
				syscall.Shutdown(fds[1], syscall.SHUT_WR) // the read returns 0
			}
			return 0, 0
		case ioctlNotify:
			f.notifies.Add(1)
			return 0, 0
		}
		return 0, syscall.ENOTTY
	}
	t.Cleanup(func() { openFile, ioctl = oldOpen, oldIoctl })
	return f
}

// fire sends an event on port as Xen would.
func (f *fakeDevice) fire(t *testing.T, port uint32) {
	t.Helper()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], port)
	if _, err := f.xen.Write(b[:]); err != nil {
		t.Fatal(err)
	}
}

// closedByDevice reports whether the device's end has been closed: Xen's
// end reads EOF (after the unmask writes) within a second.
func (f *fakeDevice) closedByDevice() bool {
	f.xen.SetReadDeadline(time.Now().Add(time.Second))
	_, err := io.Copy(io.Discard, f.xen)
	return err == nil
}

func TestPortCloseWakesBlockedReader(t *testing.T) {
	for _, env := range []struct {
		name  string
		linux bool
	}{{"linux", true}, {"goxen", false}} {
		t.Run(env.name, func(t *testing.T) {
			f := newFakeDevice(t, env.linux)
			p, err := BindUnboundPort(0)
			if err != nil {
				t.Fatal(err)
			}
			if p.Number != 7 {
				t.Fatalf("port %d, want 7", p.Number)
			}
			// An event reaches the waiters.
			ch := p.Changed()
			f.fire(t, 7)
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				t.Fatal("an event did not close Changed")
			}
			if err := p.Notify(); err != nil || f.notifies.Load() != 1 {
				t.Fatalf("Notify: %v, %d notifies", err, f.notifies.Load())
			}
			// Let the reader block in read again, then Close.
			time.Sleep(50 * time.Millisecond)
			ch = p.Changed()
			done := make(chan error, 1)
			go func() { done <- p.Close() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Close: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close hangs: the reader stays blocked in read(2)")
			}
			select {
			case <-ch:
			default:
				t.Error("Close did not wake the waiters")
			}
			if f.unbinds.Load() != 1 {
				t.Errorf("%d unbinds, want 1", f.unbinds.Load())
			}
			if !f.closedByDevice() {
				t.Error("the device's descriptor is still open after Close")
			}
			if err := p.Close(); err == nil {
				t.Error("second Close succeeded")
			}
			if err := p.Notify(); err == nil {
				t.Error("Notify after Close succeeded")
			} else if !errors.Is(err, os.ErrClosed) {
				t.Logf("Notify after Close: %v", err)
			}
		})
	}
}
