// Package stream is the blocking side of a byte stream over one of Xen's
// shared rings, as packages channel (a console ring, xen-pv-channel.7)
// and vchan (libxenvchan's rings) offer it: Read waits until the peer has
// written, Write until it has made room, both wake on the event channel,
// and both end when this side closes or the peer goes.
//
// The moving of bytes (one step: snapshot the indices, check them, copy,
// publish) is the caller's take or give function, normally a Queue of
// package internal/ring. What this package adds is the order of looks
// that loses no event and no byte:
//
//   - the waiter takes the event channel's Changed before it looks at the
//     ring, and waits on it after, so an event in between is not missed;
//   - a side whose peer must be asked for an event (vchan's notify bits)
//     asks (Arm) and then looks once more, since the peer may have acted
//     before it saw the request;
//   - a reader that finds the peer gone looks at the ring once more before
//     it says EOF: the peer writes its last bytes before it marks itself
//     gone, and they may have come after the reader's previous look.
package stream

import "io"

// Ends is what a stream's loops ask of the side they serve. Changed and
// Closed are required; Arm and Gone may be nil (no request needed; a peer
// that never goes).
type Ends struct {
	Changed func() <-chan struct{} // closed at the next event (or wake)
	Closed  func() error           // non-nil once this side is closed: that error
	Arm     func(reader bool)      // ask the peer for an event at its next write (reader) or read (writer)
	Gone    func() bool            // the peer has gone away
}

// Read takes into p what take gives, waiting until it gives something. It
// returns io.EOF once the peer has gone and nothing is left, and take's
// error or Closed's as they come. An empty p returns 0, nil.
func (e *Ends) Read(p []byte, take func([]byte) (int, error)) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		ev := e.Changed()
		if n, err := take(p); n > 0 || err != nil {
			return n, err
		}
		if err := e.Closed(); err != nil {
			return 0, err
		}
		if e.Arm != nil {
			e.Arm(true)
			if n, err := take(p); n > 0 || err != nil {
				return n, err
			}
		}
		if e.Gone != nil && e.Gone() {
			// The peer wrote its last bytes before it went: look once
			// more, after seeing it gone.
			if n, err := take(p); n > 0 || err != nil {
				return n, err
			}
			return 0, io.EOF
		}
		<-ev
	}
}

// Write gives all of p, waiting while give takes nothing. It fails with
// io.ErrClosedPipe once the peer has gone, and with give's error or
// Closed's as they come, returning the bytes given so far.
func (e *Ends) Write(p []byte, give func([]byte) (int, error)) (int, error) {
	done := 0
	for done < len(p) {
		ev := e.Changed()
		if err := e.Closed(); err != nil {
			return done, err
		}
		if e.Gone != nil && e.Gone() {
			return done, io.ErrClosedPipe
		}
		n, err := give(p[done:])
		done += n
		if err != nil || n > 0 {
			if err != nil {
				return done, err
			}
			continue
		}
		if e.Arm != nil {
			e.Arm(false)
			n, err = give(p[done:])
			done += n
			if err != nil {
				return done, err
			}
			if n > 0 {
				continue
			}
		}
		<-ev
	}
	return done, nil
}
