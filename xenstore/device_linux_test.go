package xenstore

import (
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeXenbus puts a device behind openFile: one end of a Unix socket pair,
// served by a simServer (as domain 5) at the other. pollable says whether
// os can put the device in its poller, as it can Linux's /dev/xen/xenbus
// (xenbus_file_poll); the goxen kernel refuses epoll on its device, so os
// falls back to blocking reads there. Like the goxen kernel, the fake
// allows 4 files open at once and fails EMFILE beyond; a file counts as
// open until the server's end reads EOF, i.e. until every descriptor of
// the device's end is really closed. It returns a function reporting how
// many are open.
func fakeXenbus(t *testing.T, pollable bool) func() int {
	t.Helper()
	s := newSimServer()
	var mu sync.Mutex
	open := 0
	old := openFile
	openFile = func(path string) (*os.File, error) {
		mu.Lock()
		defer mu.Unlock()
		// The server's goroutine sees a closed file's EOF a moment after
		// close(2) returns, later still on a busy machine: a slot freed by
		// a Close counts as free once the server has seen it, so wait for
		// that a while (a file Close never released still fails).
		for wait := 0; open >= 4 && wait < 2000; wait++ {
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
		}
		if open >= 4 {
			return nil, &os.PathError{Op: "open", Path: path, Err: syscall.EMFILE}
		}
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		open++
		srv := &eofSeen{File: os.NewFile(uintptr(fds[1]), "xenstored"), f: func() {
			mu.Lock()
			open--
			mu.Unlock()
		}}
		s.connect(5).servePipe(srv)
		if pollable {
			syscall.SetNonblock(fds[0], true) // os.NewFile then uses the poller
		}
		return os.NewFile(uintptr(fds[0]), path), nil
	}
	t.Cleanup(func() { openFile = old })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return open
	}
}

// eofSeen calls f once when a Read fails: the other end is closed.
type eofSeen struct {
	*os.File
	once sync.Once
	f    func()
}

func (e *eofSeen) Read(p []byte) (int, error) {
	n, err := e.File.Read(p)
	if err != nil {
		e.once.Do(e.f)
	}
	return n, err
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(d)
}

// Close must release the device even while the reader goroutine sleeps in
// read(2). Linux's xenbus_file_read sleeps until a reply is queued for the
// file, and a close(2) meanwhile does not end it: the read holds the file,
// whose release (xenbus_file_release) waits for the last holder
// (drivers/xen/xenbus/xenbus_dev_frontend.c). So, without a poller, only a
// reply wakes the reader.
func TestOpenCloseReleasesDevice(t *testing.T) {
	for _, env := range []struct {
		name     string
		pollable bool
	}{{"goxen-blocking", false}, {"linux-pollable", true}} {
		t.Run(env.name, func(t *testing.T) {
			open := fakeXenbus(t, env.pollable)
			before := openFDs(t)
			for i := range 20 {
				c, err := OpenPath("/dev/xen/xenbus")
				if err != nil {
					t.Fatalf("cycle %d: %v", i, err)
				}
				ctx := ctxT(t)
				if v, err := c.Read(ctx, "name"); string(v) != "guest" || err != nil {
					t.Fatalf("cycle %d: Read = %q, %v", i, v, err)
				}
				done := make(chan error, 1)
				go func() { done <- c.Close() }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("cycle %d: Close: %v", i, err)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("cycle %d: Close hangs", i)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for open() > 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := open(); n != 0 {
				t.Errorf("%d device files still open after Close", n)
			}
			if after := openFDs(t); after > before {
				t.Errorf("%d descriptors open before the cycles, %d after", before, after)
			}
		})
	}
}

// A server that does not answer the wake-up request does not make Close
// hang: it gives up after deviceWakeTimeout with an error, and the
// descriptor is closed as soon as some message ends the read.
func TestCloseSilentDevice(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := os.NewFile(uintptr(fds[1]), "silent xenstored")
	defer srv.Close()
	old := openFile
	openFile = func(path string) (*os.File, error) { return os.NewFile(uintptr(fds[0]), path), nil }
	defer func() { openFile = old }()
	oldWake := deviceWakeTimeout
	deviceWakeTimeout = 50 * time.Millisecond
	defer func() { deviceWakeTimeout = oldWake }()

	c, err := OpenPath("/dev/xen/xenbus")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the reader is in read(2)
	start := time.Now()
	if err := c.Close(); err == nil {
		t.Error("Close with a silent server reported no trouble")
	} else {
		t.Log(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	var wake [HeaderSize + 2]byte
	if _, err := io.ReadFull(srv, wake[:]); err != nil || simHeader(wake[:]).Type != XS_GET_DOMAIN_PATH {
		t.Fatalf("wake-up request %q, %v", wake, err)
	}
	// The late reply ends the read; the device's end closes.
	srv.Write(simMsg(XS_GET_DOMAIN_PATH, 0, 0, []byte("/local/domain/0\x00")))
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, srv); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the device's descriptor stayed open after the late reply")
	}
}
