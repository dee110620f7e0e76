package xenstore

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// deviceTransport returns the transport for an opened device. A device os
// put in its poller (Linux's /dev/xen/xenbus can be polled:
// xenbus_file_poll) is used as it is: closing the os.File wakes a Read
// asleep in the poller. One it could not (the goxen kernel refuses epoll
// on its device, so os falls back to blocking reads) is wrapped in a
// blockingDevice. os tells them apart by deadlines, which only a polled
// file supports.
func deviceTransport(f *os.File) io.ReadWriteCloser {
	if err := f.SetReadDeadline(time.Time{}); errors.Is(err, os.ErrNoDeadline) {
		return &blockingDevice{f: f}
	}
	return f
}

// blockingDevice is a xenbus device read with blocking read(2) calls. No
// close ends such a read: Linux's xenbus_file_read sleeps until a message
// is queued for the file, and the file is released only after its last
// user, the sleeping read, has let go (xenbus_file_release,
// drivers/xen/xenbus/xenbus_dev_frontend.c); os, for its part, defers the
// close(2) of a file with a read in progress until that read returns. A
// Client's reader goroutine is always in such a read, so closing the file
// alone would keep the descriptor, and the device file, open for good.
//
// Close therefore wakes the read the way the device allows: it sends a
// request of its own, XS_GET_DOMAIN_PATH of domain 0 (read-only, answered
// by every xenstored, and let through by Linux's device), whose reply ends
// the read. Once the read is over, and Read refuses to start another, the
// descriptor is closed at once.
type blockingDevice struct {
	f   *os.File
	wmu sync.Mutex // one whole message per write(2)

	mu      sync.Mutex
	closed  bool
	reading chan struct{} // while a Read is in read(2): closed when it returns
}

// deviceWakeTimeout bounds Close's wait for the wake-up reply. A server
// that does not answer within it leaves the read, and with it the
// descriptor, open until some message comes.
var deviceWakeTimeout = 5 * time.Second

// wakeRequest is the message Close sends; req_id 0 is one the Client
// never uses.
var wakeRequest = func() []byte {
	b := make([]byte, HeaderSize+2)
	Header{Type: XS_GET_DOMAIN_PATH, Len: 2}.Encode(b)
	copy(b[HeaderSize:], "0\x00")
	return b
}()

func (d *blockingDevice) Read(p []byte) (int, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return 0, ErrClosed
	}
	done := make(chan struct{})
	d.reading = done
	d.mu.Unlock()
	n, err := d.f.Read(p)
	d.mu.Lock()
	d.reading = nil
	d.mu.Unlock()
	close(done)
	return n, err
}

func (d *blockingDevice) Write(p []byte) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	return d.f.Write(p)
}

// Close ends a Read in progress (see blockingDevice) and closes the device.
func (d *blockingDevice) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	reading := d.reading
	d.mu.Unlock()
	var err error
	if reading != nil {
		err = d.wake(reading)
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// wake sends wakeRequest and waits until the Read in progress returns.
func (d *blockingDevice) wake(reading <-chan struct{}) error {
	if _, err := d.Write(wakeRequest); err != nil {
		select {
		case <-reading: // it ended anyway
			return nil
		default:
		}
		return errors.New("xenstore: closing the device: its reader could not be woken (" + err.Error() +
			"); the descriptor is closed when its read returns")
	}
	select {
	case <-reading:
		return nil
	case <-time.After(deviceWakeTimeout):
		return errors.New("xenstore: closing the device: no reply woke its reader within " +
			deviceWakeTimeout.String() + "; the descriptor is closed when its read returns")
	}
}
