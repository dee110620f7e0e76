package xenstore

import (
	"bytes"
	"errors"
	"testing"
)

// refMessage is a message as the reference decoder sees it.
type refMessage struct {
	h       Header
	payload []byte
}

// refDecode cuts a whole stream into messages the simple way; rest is what
// is left (a partial message), bad reports an oversize header.
func refDecode(stream []byte) (msgs []refMessage, rest int, bad *Header) {
	for len(stream) >= 16 {
		h := simHeader(stream)
		if h.Len > XENSTORE_PAYLOAD_MAX {
			return msgs, 0, &h
		}
		if len(stream) < 16+int(h.Len) {
			break
		}
		msgs = append(msgs, refMessage{h, append([]byte(nil), stream[16:16+h.Len]...)})
		stream = stream[16+h.Len:]
	}
	return msgs, len(stream), nil
}

// feedAll feeds stream in pieces of the given sizes (cycled) and collects
// the messages.
func feedAll(f *Framer, stream []byte, sizes []int) (msgs []refMessage, err error) {
	for i := 0; len(stream) > 0; i++ {
		k := min(len(stream), sizes[i%len(sizes)])
		p := stream[:k]
		stream = stream[k:]
		for len(p) > 0 {
			n, ok, err := f.Feed(p)
			if n < 0 || n > len(p) {
				panic("Feed consumed out of range")
			}
			p = p[n:]
			if err != nil {
				return msgs, err
			}
			if ok {
				h, pl := f.Message()
				msgs = append(msgs, refMessage{h, append([]byte(nil), pl...)})
			} else if n == 0 {
				panic("Feed made no progress")
			}
		}
	}
	return msgs, nil
}

func sameMessages(a, b []refMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].h != b[i].h || !bytes.Equal(a[i].payload, b[i].payload) {
			return false
		}
	}
	return true
}

func testStream() []byte {
	var s []byte
	s = append(s, simMsg(XS_READ, 1, 0, []byte("value"))...)
	s = append(s, simMsg(XS_WATCH_EVENT, 0, 0, []byte("/a/b\x00tok\x00"))...)
	s = append(s, simMsg(XS_MKDIR, 2, 9, nil)...) // empty payload
	s = append(s, simMsg(XS_READ, 3, 0, pseudoRandom(5, XENSTORE_PAYLOAD_MAX))...)
	s = append(s, simMsg(XS_ERROR, 4, 0, []byte("ENOENT\x00"))...)
	return s
}

// Every split of the stream into equal pieces, from single bytes to the
// whole: the same messages come out.
func TestFramerAnySplit(t *testing.T) {
	stream := testStream()
	want, rest, bad := refDecode(stream)
	if len(want) != 5 || rest != 0 || bad != nil {
		t.Fatalf("reference decoder: %d messages, rest %d, bad %v", len(want), rest, bad)
	}
	for _, size := range []int{1, 2, 3, 7, 15, 16, 17, 100, 4111, 4112, 4113, len(stream)} {
		var f Framer
		got, err := feedAll(&f, stream, []int{size})
		if err != nil || !sameMessages(got, want) {
			t.Errorf("pieces of %d: %d messages, %v", size, len(got), err)
		}
		if f.Buffered() != 0 || f.Err() != nil {
			t.Errorf("pieces of %d: Buffered=%d Err=%v at the end", size, f.Buffered(), f.Err())
		}
	}
	var f Framer
	if got, err := feedAll(&f, stream, []int{1, 15, 2, 4095, 3, 16, 5000}); err != nil || !sameMessages(got, want) {
		t.Errorf("mixed pieces: %d messages, %v", len(got), err)
	}
}

func TestFramerPartialAndMessage(t *testing.T) {
	var f Framer
	if h, p := f.Message(); h != (Header{}) || p != nil {
		t.Errorf("Message before any = %+v, %v", h, p)
	}
	m := simMsg(XS_READ, 5, 0, []byte("abcdef"))
	n, ok, err := f.Feed(m[:10])
	if n != 10 || ok || err != nil || f.Buffered() != 10 {
		t.Fatalf("Feed(10 bytes) = %d, %v, %v; Buffered %d", n, ok, err, f.Buffered())
	}
	if h, p := f.Message(); h != (Header{}) || p != nil {
		t.Errorf("Message of a partial message = %+v, %v", h, p)
	}
	// The rest plus the start of a second message: Feed stops at the end
	// of the first.
	more := append(append([]byte(nil), m[10:]...), simMsg(XS_RM, 6, 0, nil)...)
	n, ok, err = f.Feed(more)
	if n != len(m)-10 || !ok || err != nil {
		t.Fatalf("Feed = %d, %v, %v; want %d, true, nil", n, ok, err, len(m)-10)
	}
	h, p := f.Message()
	if h != (Header{XS_READ, 5, 0, 6}) || string(p) != "abcdef" || cap(p) != 6 {
		t.Errorf("Message = %+v, %q (cap %d)", h, p, cap(p))
	}
	if f.Buffered() != 0 {
		t.Errorf("Buffered after a complete message = %d", f.Buffered())
	}
	n, ok, err = f.Feed(more[n:])
	if n != 16 || !ok || err != nil {
		t.Fatalf("empty-payload message: Feed = %d, %v, %v", n, ok, err)
	}
	if h, p := f.Message(); h != (Header{XS_RM, 6, 0, 0}) || len(p) != 0 {
		t.Errorf("Message = %+v, %q", h, p)
	}
	if n, ok, err := f.Feed(nil); n != 0 || ok || err != nil {
		t.Errorf("Feed(nil) = %d, %v, %v", n, ok, err)
	}
}

func TestFramerOversize(t *testing.T) {
	for _, l := range []uint32{XENSTORE_PAYLOAD_MAX + 1, 5000, 0xFFFFFFFF} {
		var f Framer
		stream := append(simMsg(XS_READ, 1, 0, []byte("ok")), simMsg(XS_DIRECTORY, 9, 3, nil)...)
		stream[18+12] = byte(l)
		stream[18+13] = byte(l >> 8)
		stream[18+14] = byte(l >> 16)
		stream[18+15] = byte(l >> 24)
		stream = append(stream, "trailing junk"...)
		got, err := feedAll(&f, stream, []int{5})
		var le *LengthError
		if len(got) != 1 || !errors.As(err, &le) {
			t.Fatalf("len %d: %d messages, %v", l, len(got), err)
		}
		if le.Header != (Header{XS_DIRECTORY, 9, 3, l}) {
			t.Errorf("LengthError.Header = %+v", le.Header)
		}
		// Broken until Reset, whatever comes.
		for i := 0; i < 2; i++ {
			if n, ok, err := f.Feed(simMsg(XS_READ, 2, 0, nil)); n != 0 || ok || err != le {
				t.Errorf("Feed after the error = %d, %v, %v", n, ok, err)
			}
		}
		if f.Err() != le {
			t.Errorf("Err = %v", f.Err())
		}
		f.Reset()
		if f.Err() != nil || f.Buffered() != 0 {
			t.Errorf("after Reset: Err=%v Buffered=%d", f.Err(), f.Buffered())
		}
		if _, ok, err := f.Feed(simMsg(XS_READ, 2, 0, nil)); !ok || err != nil {
			t.Errorf("Feed after Reset = %v, %v", ok, err)
		}
	}
	// XENSTORE_PAYLOAD_MAX itself is fine.
	var f Framer
	if got, err := feedAll(&f, simMsg(XS_READ, 1, 0, make([]byte, XENSTORE_PAYLOAD_MAX)), []int{4112}); len(got) != 1 || err != nil {
		t.Errorf("a maximal message: %d, %v", len(got), err)
	}
}

// FeedRing takes only what the current message needs from rsp[], across
// the end of the buffer and the 2^32 wrap, while the server produces a few
// bytes at a time.
func TestFramerFeedRing(t *testing.T) {
	stream := testStream()
	want, _, _ := refDecode(stream)
	s := newRsim(0xFFFFFF00, -1)
	var f Framer
	var got []refMessage
	left := stream
	for steps := 0; len(got) < len(want); steps++ {
		if steps > 100000 {
			t.Fatal("no progress")
		}
		// The server adds up to 37 bytes when there is room.
		if k := min(len(left), 37, XENSTORE_RING_SIZE-int(s.pg.RspProd-s.pg.RspCons)); k > 0 {
			putRsp(&s.pg, left[:k])
			left = left[k:]
		}
		ok, err := f.FeedRing(&s.r)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			h, p := f.Message()
			got = append(got, refMessage{h, append([]byte(nil), p...)})
			// rsp[] is left at a message boundary: what remains there
			// is the start of the next message.
			consumed := len(stream) - len(left) - int(s.pg.RspProd-s.pg.RspCons)
			if bound := messageEnd(stream, len(got)); consumed != bound {
				t.Errorf("after message %d the ring consumed %d bytes, want exactly %d", len(got), consumed, bound)
			}
		}
	}
	if !sameMessages(got, want) || len(left) != 0 {
		t.Fatalf("got %d messages (%v), %d bytes unsent", len(got), sameMessages(got, want), len(left))
	}
	if s.pg.RspCons != s.pg.RspProd {
		t.Errorf("rsp_cons=%#x rsp_prod=%#x at the end", s.pg.RspCons, s.pg.RspProd)
	}
	// Empty ring: nothing to do, no error.
	if ok, err := f.FeedRing(&s.r); ok || err != nil {
		t.Errorf("FeedRing on an empty ring = %v, %v", ok, err)
	}
	// Ring errors pass through, and the Framer stays usable.
	s.pg.RspProd = s.pg.RspCons + 2000
	var ie *IndexError
	if ok, err := f.FeedRing(&s.r); ok || !errors.As(err, &ie) || ie.Ring != RingRsp {
		t.Errorf("FeedRing on hostile indices = %v, %v", ok, err)
	}
	if f.Err() != nil {
		t.Errorf("a ring error broke the Framer: %v", f.Err())
	}
	// An oversize header from the ring.
	s.pg.RspProd = s.pg.RspCons
	bad := simMsg(XS_READ, 1, 0, nil)
	bad[13] = 0x20 // len 8192
	putRsp(&s.pg, bad)
	var le *LengthError
	if ok, err := f.FeedRing(&s.r); ok || !errors.As(err, &le) || le.Header.Len != 8192 {
		t.Errorf("FeedRing on an oversize header = %v, %v", ok, err)
	}
	if ok, err := f.FeedRing(&s.r); ok || err != le {
		t.Errorf("FeedRing after the error = %v, %v", ok, err)
	}
}

// messageEnd is the offset in stream just after its n-th message.
func messageEnd(stream []byte, n int) int {
	off := 0
	for ; n > 0; n-- {
		off += 16 + int(simHeader(stream[off:]).Len)
	}
	return off
}
