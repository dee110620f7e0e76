package evtchn

import (
	"fmt"
	"sync"
	"time"
)

// Port is one event channel a program binds through a Device of its own,
// for code where several goroutines wait for its events (a reader and a
// writer of one ring): a goroutine reads the device and, at each event,
// closes the channel Changed returned until then. A waiter takes Changed
// before it looks at the shared state and waits on it after, so an event
// in between is never missed, and nothing polls.
type Port struct {
	Number uint32 // the local port
	dev    *Device

	mu     sync.Mutex
	ev     chan struct{}
	closed bool
	loop   chan struct{} // closed when the reading goroutine ends
}

// BindUnboundPort allocates a port that domain remote may bind to
// (EVTCHNOP_alloc_unbound), on a Device of its own.
func BindUnboundPort(remote uint16) (*Port, error) {
	d, err := OpenDevice()
	if err != nil {
		return nil, err
	}
	n, err := d.BindUnbound(remote)
	if err != nil {
		d.Close()
		return nil, err
	}
	p := &Port{Number: n, dev: d, ev: make(chan struct{}), loop: make(chan struct{})}
	go p.read()
	return p, nil
}

func (p *Port) read() {
	defer close(p.loop)
	var buf []uint32
	for {
		var err error
		buf, err = p.dev.Wait(buf[:0])
		p.mu.Lock()
		stop := p.closed || err != nil || len(buf) == 0
		p.mu.Unlock()
		p.Wake()
		if stop {
			return
		}
	}
}

// Changed returns a channel that is closed at the next event (or Wake).
func (p *Port) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ev
}

// Wake wakes every waiter as an event would: for a state change that
// does not come as an event (a close, the peer gone).
func (p *Port) Wake() {
	p.mu.Lock()
	close(p.ev)
	p.ev = make(chan struct{})
	p.mu.Unlock()
}

// Notify sends the other end an event.
func (p *Port) Notify() error { return p.dev.Notify(p.Number) }

// Close unbinds the port, ends the reading goroutine and closes the
// device. Waiters are woken.
//
// The reader may be asleep in read(2). Linux's UNBIND does not wake it
// (drivers/xen/evtchn.c: the ioctl takes the port off the file and leaves
// evtchn_wait alone) but closing the pollable device does; goxen's device
// is not pollable, and there the UNBIND does (a file with no port reads 0).
// So Close does both, then waits for the reader, bounded by
// readerExitTimeout in case neither holds.
func (p *Port) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return fmt.Errorf("evtchn: port %d: already closed", p.Number)
	}
	p.closed = true
	p.mu.Unlock()
	err := p.dev.Unbind(p.Number)
	if cerr := p.dev.Close(); err == nil {
		err = cerr
	}
	select {
	case <-p.loop:
	case <-time.After(readerExitTimeout):
		if err == nil {
			err = fmt.Errorf("evtchn: port %d: the reading goroutine is still blocked after %v", p.Number, readerExitTimeout)
		}
	}
	p.Wake()
	return err
}

// readerExitTimeout bounds Close's wait for the reading goroutine.
const readerExitTimeout = 5 * time.Second
