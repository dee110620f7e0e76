package xenstore

// Framer cuts a byte stream (rsp[] of a ring, a socket, /dev/xen/xenbus)
// into messages: a 16-byte xs_wire.h struct xsd_sockmsg header, then len
// payload bytes. Feed it bytes in pieces of any size, as they arrive; it
// holds at most one message, in a fixed buffer inside the Framer, and says
// when that message is complete.
//
// A header whose len exceeds XENSTORE_PAYLOAD_MAX is a *LengthError and
// leaves the Framer broken: where the next message starts is unknowable, so
// every later call returns the same error until Reset. (xenstored drops a
// client that sends such a header.)
//
// A Framer never allocates or stores a Go pointer; the kernel keeps one per
// ring in a global. Its zero value is ready to use. It is not safe for
// concurrent use.
type Framer struct {
	buf    [MaxMessage]byte
	n      int  // bytes of the current message held in buf
	ready  bool // buf holds a complete message, handed out by Message
	broken bool // a LengthError happened; only Reset helps
	err    LengthError
}

// Feed takes bytes from p up to the end of the current message and returns
// how many it took. ok reports that a message is complete: read it with
// Message before the next Feed, which starts a new message. The caller loops
// until p is used up:
//
//	for len(p) > 0 {
//		n, ok, err := f.Feed(p)
//		p = p[n:]
//		if err != nil { ... the stream is unusable ... }
//		if ok { h, payload := f.Message(); ... }
//	}
//
// With an oversize header, Feed returns the bytes up to the end of that
// header and a *LengthError (the Framer's own, valid until Reset).
func (f *Framer) Feed(p []byte) (n int, ok bool, err error) {
	if f.broken {
		return 0, false, &f.err
	}
	if f.ready {
		f.n, f.ready = 0, false
	}
	if uint(f.n) < HeaderSize {
		c := copy(f.buf[f.n:HeaderSize], p)
		f.n += c
		n = c
		if f.n < HeaderSize {
			return n, false, nil
		}
		if err := f.checkHeader(); err != nil {
			return n, false, err
		}
	}
	total := f.total()
	// kernel:nopanic f.n <= total <= MaxMessage (checkHeader caps len at XENSTORE_PAYLOAD_MAX; f.n stops at total), and n <= len(p): copy took n bytes of p
	c := copy(f.buf[f.n:total], p[n:])
	f.n += c
	n += c
	if f.n == total {
		f.ready = true
		return n, true, nil
	}
	return n, false, nil
}

// FeedRing is Feed reading straight from the ring's rsp[]: it takes only the
// bytes the current message still needs (so rsp[] is left at a message
// boundary), in at most two Ring.Reads. It returns ok when a message is
// complete, or the Ring's error (the ring is left as it was) or a
// *LengthError. With nothing (or not enough) in rsp[] it returns false, nil:
// wait for the xenstore event and call again.
func (f *Framer) FeedRing(r *Ring) (ok bool, err error) {
	if f.broken {
		return false, &f.err
	}
	if f.ready {
		f.n, f.ready = 0, false
	}
	if uint(f.n) < HeaderSize {
		k, err := r.Read(f.buf[f.n:HeaderSize])
		f.n += k
		if err != nil || f.n < HeaderSize {
			return false, err
		}
		if err := f.checkHeader(); err != nil {
			return false, err
		}
	}
	total := f.total()
	if f.n < total {
		// kernel:nopanic f.n < total <= MaxMessage: checkHeader caps len at XENSTORE_PAYLOAD_MAX
		k, err := r.Read(f.buf[f.n:total])
		f.n += k
		if err != nil {
			return false, err
		}
	}
	if f.n == total {
		f.ready = true
		return true, nil
	}
	return false, nil
}

// checkHeader judges a just-completed header.
func (f *Framer) checkHeader() error {
	if get32(f.buf[12:16]) <= XENSTORE_PAYLOAD_MAX {
		return nil
	}
	f.broken = true
	f.err.Header, _ = DecodeHeader(f.buf[:HeaderSize])
	return &f.err
}

// total is the length of the current message; the header must be complete
// and checked.
func (f *Framer) total() int {
	return HeaderSize + int(get32(f.buf[12:16]))
}

// Message returns the complete message after Feed or FeedRing reported ok:
// its header and its payload. The payload aliases the Framer's buffer and is
// valid until the next Feed, FeedRing or Reset. Without a complete message
// it returns a zero Header and nil.
func (f *Framer) Message() (Header, []byte) {
	if !f.ready {
		return Header{}, nil
	}
	h, _ := DecodeHeader(f.buf[:HeaderSize])
	// kernel:nopanic ready: f.n == total, which is HeaderSize..MaxMessage (checkHeader)
	return h, f.buf[HeaderSize:f.n:f.n]
}

// Buffered returns the bytes held of a message that is not complete yet
// (0 at a message boundary). A stream that ends with Buffered() > 0 ended
// inside a message.
func (f *Framer) Buffered() int {
	if f.ready {
		return 0
	}
	return f.n
}

// Err returns the *LengthError that broke the Framer, or nil.
func (f *Framer) Err() error {
	if f.broken {
		return &f.err
	}
	return nil
}

// Reset forgets any partial message and a past error: use it when the
// stream restarts at a message boundary (a new connection, a ring
// reconnect).
func (f *Framer) Reset() {
	f.n, f.ready, f.broken = 0, false, false
	f.err = LengthError{}
}
