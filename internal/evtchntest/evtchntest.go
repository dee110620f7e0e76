// Package evtchntest is an event channel for host tests, with the methods
// packages channel and vchan use of an *evtchn.Port: one end in memory,
// where the test plays the other domain. Wake is an event arriving from
// the peer; Notify is an event sent to it, which the peer sees on
// PeerEvents.
package evtchntest

import (
	"sync"
	"sync/atomic"
)

// Port is the fake. Use New.
type Port struct {
	mu     sync.Mutex
	ev     chan struct{} // closed at the next Wake
	peer   chan struct{} // closed at the next Notify
	sent   atomic.Int32
	closed atomic.Bool
}

// New returns an open Port.
func New() *Port { return &Port{ev: make(chan struct{}), peer: make(chan struct{})} }

// Changed returns a channel closed at the next event from the peer.
func (p *Port) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ev
}

// Wake delivers an event from the peer (or wakes the waiters).
func (p *Port) Wake() { p.renew(&p.ev) }

// Notify sends the peer an event.
func (p *Port) Notify() error {
	p.sent.Add(1)
	p.renew(&p.peer)
	return nil
}

func (p *Port) renew(c *chan struct{}) {
	p.mu.Lock()
	close(*c)
	*c = make(chan struct{})
	p.mu.Unlock()
}

// PeerEvents returns a channel closed at the next Notify: the peer's
// waiting.
func (p *Port) PeerEvents() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peer
}

// Sent counts the Notify calls.
func (p *Port) Sent() int { return int(p.sent.Load()) }

// Close marks the port closed (Closed reports it).
func (p *Port) Close() error { p.closed.Store(true); return nil }

// Closed reports whether Close was called.
func (p *Port) Closed() bool { return p.closed.Load() }
