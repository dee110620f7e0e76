package xenstore

import (
	"sync/atomic"
	"testing"
)

// Nothing the kernel calls may allocate, on any path: Ring's methods, the
// header codec, the Framer, ValidateRequest, the Errno lookup, and the
// errors' AppendError into a buffer with room.
func TestNoAllocations(t *testing.T) {
	check := func(name string, f func()) {
		t.Helper()
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %v allocations per run", name, a)
		}
	}
	var pg Interface
	drain := func() { atomic.StoreUint32(&pg.ReqCons, atomic.LoadUint32(&pg.ReqProd)) }
	r := Ring{Page: &pg, Kick: func() {}, Wait: drain}
	big := pseudoRandom(13, 3000)
	small := []byte("hello")
	buf := make([]byte, 100)
	var ebuf [256]byte
	var e error

	check("Ring.Write small", func() { r.Write(small) })
	check("Ring.Write big (waits)", func() { r.Write(big) })
	check("Ring.Pending", func() { r.Pending() })
	check("Ring.Read", func() {
		pg.RspProd += 50
		if n, err := r.Read(buf); n != 50 || err != nil {
			panic("Read failed")
		}
	})
	check("Ring.Read empty", func() { r.Read(buf) })
	check("Ring.Available", func() { r.Available() })
	check("Ring.Connected/ServerFeatures/Err", func() { r.Connected(); r.ServerFeatures(); e = r.Err() })
	check("Ring.WaitConnected connected", func() { e = r.WaitConnected(3) })

	check("Ring.Write hostile", func() {
		pg.ReqCons = pg.ReqProd + 1
		_, e = r.Write(small)
	})
	if _, ok := e.(*IndexError); !ok {
		t.Errorf("hostile Write returned %v", e)
	}
	check("Ring.Pending hostile", func() { _, e = r.Pending() })
	check("Ring.Read hostile", func() {
		pg.RspCons = pg.RspProd + 1
		_, e = r.Read(buf)
	})
	if _, ok := e.(*IndexError); !ok {
		t.Errorf("hostile Read returned %v", e)
	}
	check("Ring.Available hostile", func() { _, e = r.Available() })
	check("IndexError.AppendError", func() { e.(*IndexError).AppendError(ebuf[:0]) })

	pg = Interface{}
	pg.Connection = XENSTORE_RECONNECT
	check("Ring.Write reconnecting", func() { _, e = r.Write(small) })
	check("Ring.Read reconnecting", func() { _, e = r.Read(buf) })
	check("Ring.WaitConnected timeout", func() { e = r.WaitConnected(3) })
	if ce, ok := e.(*ConnectionError); !ok || ce.Waits != 3 {
		t.Errorf("WaitConnected returned %v", e)
	}
	check("ConnectionError.AppendError", func() { e.(*ConnectionError).AppendError(ebuf[:0]) })
	check("Ring.Reconnect without the feature", func() { e = r.Reconnect(3) })
	pg.ServerFeatures = XENSTORE_SERVER_FEATURE_RECONNECTION
	r.Wait = func() { atomic.StoreUint32(&pg.Connection, XENSTORE_CONNECTED) }
	check("Ring.Reconnect", func() {
		if err := r.Reconnect(3); err != nil {
			panic(err)
		}
	})
	pg.ServerFeatures = XENSTORE_SERVER_FEATURE_ERROR
	pg.Error = XENSTORE_ERROR_PROTO
	check("Ring.Write server error", func() { _, e = r.Write(small) })
	if _, ok := e.(*ServerError); !ok {
		t.Errorf("Write returned %v", e)
	}
	check("ServerError.AppendError", func() { e.(*ServerError).AppendError(ebuf[:0]) })

	pg = Interface{}
	r.Wait = nil
	check("Ring.Write ErrNoWait", func() {
		pg.ReqCons = pg.ReqProd - XENSTORE_RING_SIZE
		_, e = r.Write(small)
	})
	if e != ErrNoWait {
		t.Errorf("got %v, want ErrNoWait", e)
	}
	var nilPage Ring
	check("ErrNoPage", func() { _, e = nilPage.Write(small) })

	// Header codec.
	var hb [HeaderSize]byte
	h := Header{XS_READ, 1, 2, 3}
	check("Header.Encode", func() { e = h.Encode(hb[:]) })
	check("DecodeHeader", func() { h, e = DecodeHeader(hb[:]) })
	check("Header.Encode short", func() { e = h.Encode(hb[:3]) })
	check("DecodeHeader short", func() { _, e = DecodeHeader(hb[:3]) })
	check("TypeName", func() { TypeName(XS_WATCH_EVENT); TypeName(12345) })

	// Framer.
	stream := testStream()
	var f Framer
	check("Framer.Feed", func() {
		p := stream
		for len(p) > 0 {
			n, ok, err := f.Feed(p[:min(len(p), 7)])
			if err != nil {
				panic(err)
			}
			if ok {
				f.Message()
			}
			p = p[n:]
		}
	})
	bad := simMsg(XS_READ, 1, 0, nil)
	bad[13] = 0x20
	check("Framer.Feed oversize", func() {
		f.Reset()
		if _, _, err := f.Feed(bad); err == nil {
			panic("no error")
		}
		_, _, e = f.Feed(bad)
		f.Err()
	})
	check("LengthError.AppendError", func() { e.(*LengthError).AppendError(ebuf[:0]) })
	pg = Interface{}
	r = Ring{Page: &pg, Kick: func() {}}
	msg := simMsg(XS_READ, 9, 0, []byte("value"))
	check("Framer.FeedRing", func() {
		f.Reset()
		prod := pg.RspProd
		for i, c := range msg {
			pg.Rsp[maskIdx(prod+uint32(i))] = c
		}
		pg.RspProd = prod + uint32(len(msg))
		if ok, err := f.FeedRing(&r); !ok || err != nil {
			panic("FeedRing failed")
		}
	})
	check("Framer.FeedRing hostile", func() {
		pg.RspProd = pg.RspCons + 5000
		_, e = f.FeedRing(&r)
		pg.RspProd = pg.RspCons
	})

	// Validation and errors.
	reqs := []struct {
		h Header
		p []byte
	}{
		{Header{Type: XS_READ, Len: 3}, []byte("/a\x00")},
		{Header{Type: XS_WRITE, Len: 4}, []byte("/a\x00v")},
		{Header{Type: XS_WATCH, Len: 5}, []byte("/a\x00t\x00")},
		{Header{Type: XS_READ, Len: 2}, []byte("/a")},
		{Header{Type: XS_READ, Len: 1}, []byte("\x00")},
		{Header{Type: XS_ERROR, Len: 0}, nil},
		{Header{Type: XS_TRANSACTION_END, TxID: 1, Len: 2}, []byte("X\x00")},
		{Header{Type: XS_READ, Len: 9}, []byte("/a\x00")},
	}
	check("ValidateRequest", func() {
		for _, q := range reqs {
			e = ValidateRequest(q.h, q.p)
		}
	})
	enoent := []byte("ENOENT\x00")
	check("LookupErrno/ParseError known", func() {
		LookupErrno(enoent[:6])
		e = ParseError(enoent)
	})
	if e != ENOENT {
		t.Errorf("ParseError = %v", e)
	}
}
