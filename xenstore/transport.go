package xenstore

import "sync"

// RingTransport turns the guest end of a ring page into the blocking
// io.ReadWriteCloser that Client expects: Read blocks until rsp[] holds
// bytes, Write until req[] took all of p. It is for programs that drive a
// page themselves (and for tests); inside a goxen guest a program opens
// /dev/xen/xenbus instead, which the kernel serves from the same Ring.
//
// The transport cannot see events by itself: whoever receives the xenstore
// event channel's notifications calls Notify. Kick is called after the
// transport publishes or consumes bytes, from the reading and the writing
// goroutine alike, so it must be safe for concurrent use.
//
// Errors from the page (*IndexError, *ConnectionError, *ServerError) are
// returned as copies, so they stay valid; Client treats them as the death
// of the connection. A reconnect in progress is such an error: after it the
// server has forgotten every request and watch anyway.
type RingTransport struct {
	ring Ring // Wait is nil: the transport waits on Notify itself

	rmu, wmu sync.Mutex // one reader, one writer at a time

	mu     sync.Mutex
	wake   chan struct{} // closed and replaced by Notify
	closed chan struct{}
	once   sync.Once
}

// NewRingTransport returns a transport on page, calling kick to notify the
// server (nil: the server polls).
func NewRingTransport(page *Interface, kick func()) *RingTransport {
	return &RingTransport{
		ring:   Ring{Page: page, Kick: kick},
		wake:   make(chan struct{}),
		closed: make(chan struct{}),
	}
}

// Notify tells the transport that the server may have changed the page (the
// event channel fired). Blocked Reads and Writes look again.
func (t *RingTransport) Notify() {
	t.mu.Lock()
	close(t.wake)
	t.wake = make(chan struct{})
	t.mu.Unlock()
}

// waiter returns the channel the next Notify closes. Taking it before
// looking at the page means a Notify in between is not missed.
func (t *RingTransport) waiter() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.wake
}

// Read reads what rsp[] holds, up to len(p) bytes, blocking until there is
// at least one byte, an error on the page, or Close (ErrClosed).
func (t *RingTransport) Read(p []byte) (int, error) {
	t.rmu.Lock()
	defer t.rmu.Unlock()
	for {
		w := t.waiter()
		select {
		case <-t.closed:
			return 0, ErrClosed
		default:
		}
		n, err := t.ring.Read(p)
		if n > 0 || err != nil || len(p) == 0 {
			return n, detach(err)
		}
		select {
		case <-w:
		case <-t.closed:
			return 0, ErrClosed
		}
	}
}

// Write puts all of p into req[], blocking while it is full. It returns
// early only with an error on the page or Close (ErrClosed), saying how many
// bytes went in.
func (t *RingTransport) Write(p []byte) (int, error) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	n := 0
	for n < len(p) {
		w := t.waiter()
		select {
		case <-t.closed:
			return n, ErrClosed
		default:
		}
		k, err := t.ring.Write(p[n:])
		n += k
		if err == nil {
			continue
		}
		if err != ErrNoWait {
			return n, detach(err)
		}
		select { // full: wait for the server to consume
		case <-w:
		case <-t.closed:
			return n, ErrClosed
		}
	}
	return n, nil
}

// Close makes blocked and later Reads and Writes return ErrClosed. It does
// not touch the page.
func (t *RingTransport) Close() error {
	t.once.Do(func() { close(t.closed) })
	return nil
}

// detach copies a Ring error out of the Ring's slot, which the next error
// overwrites.
func detach(err error) error {
	switch e := err.(type) {
	case *IndexError:
		c := *e
		return &c
	case *ConnectionError:
		c := *e
		return &c
	case *ServerError:
		c := *e
		return &c
	}
	return err
}
