package xenstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzRingWrite starts req[] in an arbitrary page state (indices honest or
// hostile, connection and error fields anything), writes size pseudo-random
// bytes against a synchronous server that frees random amounts, and
// optionally turns the server hostile at the corruptAt-th wakeup. The
// outcome must be byte-exact delivery of everything Write reports as taken,
// with either no error or a typed error matching the page; never a panic.
func FuzzRingWrite(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint16(100), uint64(1), uint8(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(0xFFFFFF00), uint32(0xFFFFFF00), uint16(5000), uint64(2), uint8(0), uint32(0), uint32(3), uint32(0))
	f.Add(uint32(0x10), uint32(0x20), uint16(5), uint64(3), uint8(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(0x401), uint32(0), uint16(5), uint64(4), uint8(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(0), uint32(0), uint16(5), uint64(5), uint8(0), uint32(1), uint32(1), uint32(0))
	f.Add(uint32(0), uint32(0), uint16(5), uint64(6), uint8(0), uint32(0), uint32(2), uint32(3))
	f.Add(uint32(0xFFFFFFFF), uint32(0xFFFFFC00), uint16(4000), uint64(7), uint8(3), uint32(0), uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, prod, cons uint32, size uint16, seed uint64, corruptAt uint8, conn, features, errField uint32) {
		rng := rand.New(rand.NewPCG(seed, 1))
		data := pseudoRandom(seed, int(size))
		var pg Interface
		pg.ReqProd, pg.ReqCons = prod, cons
		pg.Connection, pg.ServerFeatures, pg.Error = conn, features, errField
		before := pg
		stale := prod - cons
		var got []byte
		realCons := cons
		kicks, waits := 0, 0
		hostileAt := uint32(0)
		r := Ring{Page: &pg, Kick: func() { kicks++ }}
		r.Wait = func() {
			waits++
			if waits > 2*int(size)+XENSTORE_RING_SIZE+10 {
				t.Fatalf("no progress after %d waits", waits)
			}
			pg.ReqCons = realCons
			got = append(got, drainReq(&pg, 1+rng.IntN(XENSTORE_RING_SIZE))...)
			realCons = pg.ReqCons
			if corruptAt != 0 && waits == int(corruptAt) {
				hostileAt = pg.ReqProd + 1 + uint32(rng.IntN(1<<20))
				pg.ReqCons = hostileAt
			}
		}
		n, err := r.Write(data)
		if n < 0 || n > len(data) {
			t.Fatalf("n = %d out of range", n)
		}
		if kicks > waits+1 {
			t.Errorf("kicks=%d waits=%d: more than one kick per batch", kicks, waits)
		}
		if size == 0 {
			if n != 0 || err != nil || kicks != 0 || waits != 0 || pg != before {
				t.Fatalf("empty Write = %d, %v, kicks=%d waits=%d", n, err, kicks, waits)
			}
			return
		}
		// The page's state fields are checked first, in this order.
		var ce *ConnectionError
		var se *ServerError
		var ie *IndexError
		switch {
		case conn != XENSTORE_CONNECTED:
			if !errors.As(err, &ce) || ce.Connection != conn || ce.Waits != 0 {
				t.Fatalf("connection=%d: Write = %d, %v", conn, n, err)
			}
		case features&XENSTORE_SERVER_FEATURE_ERROR != 0 && errField != 0:
			if !errors.As(err, &se) || se.Code != errField {
				t.Fatalf("error=%d: Write = %d, %v", errField, n, err)
			}
		case stale > XENSTORE_RING_SIZE:
			if !errors.As(err, &ie) || ie.Ring != RingReq || ie.Prod != prod || ie.Cons != cons {
				t.Fatalf("hostile start: Write = %d, %v", n, err)
			}
		default:
			if hostileAt != 0 {
				if !errors.As(err, &ie) || ie.Cons != hostileAt {
					t.Fatalf("server turned hostile but Write = %d, %v", n, err)
				}
			} else if err != nil || n != len(data) {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(data))
			}
			pg.ReqCons = realCons
			got = append(got, drainReq(&pg, -1)...)
			if len(got) < int(stale) || !bytes.Equal(got[stale:], data[:n]) {
				t.Fatalf("delivered %d bytes after %d stale ones, want %d", len(got)-int(stale), stale, n)
			}
			return
		}
		if n != 0 || pg.Req != before.Req || pg.ReqProd != prod || kicks != 0 {
			t.Fatalf("refused Write touched the page: n=%d req_prod=%#x kicks=%d", n, pg.ReqProd, kicks)
		}
	})
}

// FuzzRingRead starts rsp[] in an arbitrary page state and reads with a
// buffer of bufSize bytes until empty. An honest state yields exactly the
// bytes in flight, in order; any other a typed error and an untouched
// rsp_cons.
func FuzzRingRead(f *testing.F) {
	f.Add(uint32(10), uint32(0), uint16(4), uint64(1), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(0x10), uint32(0xFFFFFC10), uint16(100), uint64(2), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(0x401), uint32(0), uint16(1), uint64(3), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(0), uint32(1), uint16(1), uint64(4), uint32(0), uint32(0), uint32(0))
	f.Add(uint32(50), uint32(0), uint16(16), uint64(5), uint32(1), uint32(1), uint32(0))
	f.Add(uint32(50), uint32(0), uint16(16), uint64(6), uint32(0), uint32(2), uint32(1))
	f.Fuzz(func(t *testing.T, prod, cons uint32, bufSize uint16, seed uint64, conn, features, errField uint32) {
		var pg Interface
		copy(pg.Rsp[:], pseudoRandom(seed, XENSTORE_RING_SIZE))
		pg.RspProd, pg.RspCons = prod, cons
		pg.Connection, pg.ServerFeatures, pg.Error = conn, features, errField
		kicks := 0
		r := Ring{Page: &pg, Kick: func() { kicks++ }}
		buf := make([]byte, bufSize)
		if bufSize == 0 {
			if n, err := r.Read(buf); n != 0 || err != nil || kicks != 0 || pg.RspCons != cons {
				t.Fatalf("Read(empty) = %d, %v", n, err)
			}
			return
		}
		avail := prod - cons
		refused := conn != XENSTORE_CONNECTED ||
			(features&XENSTORE_SERVER_FEATURE_ERROR != 0 && errField != 0) || avail > XENSTORE_RING_SIZE
		if refused {
			n, err := r.Read(buf)
			var ce *ConnectionError
			var se *ServerError
			var ie *IndexError
			ok := false
			switch {
			case conn != XENSTORE_CONNECTED:
				ok = errors.As(err, &ce) && ce.Connection == conn
			case features&XENSTORE_SERVER_FEATURE_ERROR != 0 && errField != 0:
				ok = errors.As(err, &se) && se.Code == errField
			default:
				ok = errors.As(err, &ie) && ie.Ring == RingRsp && ie.Prod == prod && ie.Cons == cons
			}
			if n != 0 || !ok || pg.RspCons != cons || kicks != 0 {
				t.Fatalf("refused Read = %d, %v; rsp_cons=%#x kicks=%d", n, err, pg.RspCons, kicks)
			}
			if a, err2 := r.Available(); a != 0 || err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("Available = %d, %v; Read said %v", a, err2, err)
			}
			return
		}
		want := make([]byte, avail)
		for i := range want {
			want[i] = pg.Rsp[(cons+uint32(i))%1024]
		}
		var got []byte
		reads := 0
		for {
			n, err := r.Read(buf)
			if err != nil || n < 0 || n > len(buf) {
				t.Fatalf("Read = %d, %v", n, err)
			}
			if n == 0 {
				break
			}
			reads++
			got = append(got, buf[:n]...)
		}
		if !bytes.Equal(got, want) || pg.RspCons != prod || kicks != reads {
			t.Fatalf("read %d bytes (want %d, equal %v), rsp_cons=%#x kicks=%d reads=%d",
				len(got), len(want), bytes.Equal(got, want), pg.RspCons, kicks, reads)
		}
	})
}

// FuzzFramer feeds an arbitrary byte stream to a Framer in pieces whose
// sizes come from sizes, and, when start is odd, a second Framer through a
// ring whose indices start at start (so messages straddle the end of rsp[]
// and the 2^32 wrap), with the server producing pieces of the same sizes.
// Both must yield exactly what a simple reference decoder finds: the same
// messages, then a *LengthError for an oversize header or a partial message
// left over.
func FuzzFramer(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, which is slow for
	// big ones. TestFramerAnySplit covers a maximal message.
	f.Add(append(append(simMsg(XS_READ, 1, 0, []byte("value")), simMsg(XS_WATCH_EVENT, 0, 0, []byte("/a\x00t\x00"))...),
		simMsg(XS_MKDIR, 2, 9, nil)...), []byte{1, 2, 3}, uint32(0xFFFFFFF1))
	f.Add(append(simMsg(XS_READ, 1, 0, []byte("ok")), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0),
		[]byte{15}, uint32(0xFFFFFC01))
	f.Add(simMsg(XS_ERROR, 4, 0, []byte("ENOENT\x00"))[:20], []byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, stream, sizes []byte, start uint32) { framerProperty(t, stream, sizes, start) })
}

func framerProperty(t *testing.T, stream, sizes []byte, start uint32) {
	{
		want, rest, bad := refDecode(stream)
		piece := func(i int) int {
			if len(sizes) == 0 {
				return len(stream) + 1
			}
			return int(sizes[i%len(sizes)]) + 1
		}
		check := func(how string, got []refMessage, err error, buffered int) {
			if !sameMessages(got, want) {
				t.Fatalf("%s: %d messages, want %d (or different)", how, len(got), len(want))
			}
			if bad != nil {
				var le *LengthError
				if !errors.As(err, &le) || le.Header != *bad {
					t.Fatalf("%s: err %v, want a LengthError for %+v", how, err, *bad)
				}
				return
			}
			if err != nil || buffered != rest {
				t.Fatalf("%s: err %v, Buffered %d; want nil, %d", how, err, buffered, rest)
			}
		}

		// Direct.
		var fr Framer
		var got []refMessage
		var err error
		p := stream
		for i := 0; len(p) > 0 && err == nil; i++ {
			q := p[:min(len(p), piece(i))]
			p = p[len(q):]
			for len(q) > 0 {
				n, ok, ferr := fr.Feed(q)
				if n < 0 || n > len(q) {
					t.Fatalf("Feed consumed %d of %d", n, len(q))
				}
				q = q[n:]
				if ferr != nil {
					err = ferr
					break
				}
				if ok {
					h, pl := fr.Message()
					got = append(got, refMessage{h, append([]byte(nil), pl...)})
				} else if n == 0 {
					t.Fatal("Feed made no progress")
				}
			}
		}
		check("Feed", got, err, fr.Buffered())

		if start%2 == 0 {
			return
		}
		// Through a ring.
		var pg Interface
		pg.RspProd, pg.RspCons = start, start
		r := Ring{Page: &pg}
		var fr2 Framer
		got, err = nil, nil
		p = stream
		for i := 0; err == nil; i++ {
			if i > 4*len(stream)+100 {
				t.Fatal("no progress through the ring")
			}
			if k := min(len(p), piece(i), XENSTORE_RING_SIZE-int(pg.RspProd-pg.RspCons)); k > 0 {
				putRsp(&pg, p[:k])
				p = p[k:]
			}
			ok, ferr := fr2.FeedRing(&r)
			if ferr != nil {
				err = ferr
				break
			}
			if ok {
				h, pl := fr2.Message()
				got = append(got, refMessage{h, append([]byte(nil), pl...)})
				continue
			}
			if len(p) == 0 && pg.RspCons == pg.RspProd {
				break
			}
		}
		check("FeedRing", got, err, fr2.Buffered())
	}
}

// FuzzClientStream sets up a Client with a watch (token goxen-1, request
// 1) and three outstanding XS_READ requests (ids 2, 3, 4), then feeds it an
// arbitrary server stream, over a scripted byte stream or, with viaRing,
// through a ring page whose indices start at start and a server producing
// chunk-sized pieces. Whatever the stream holds (replies split anywhere,
// oversize lengths, unknown types, replies to no request, duplicate
// replies, malformed events), nothing panics or hangs, each request ends
// as a reference decoding of the stream says it must, and every
// unattributable message is counted as a protocol error.
func FuzzClientStream(f *testing.F) {
	f.Add(append(append(simMsg(XS_READ, 2, 0, []byte("two")), simMsg(XS_ERROR, 3, 0, []byte("ENOENT\x00"))...),
		simMsg(XS_READ, 4, 0, nil)...), uint32(0xFFFFFFF0), uint8(1), true)
	f.Add(append(simMsg(XS_WATCH_EVENT, 0, 0, []byte("/w/x\x00goxen-1\x00")), simMsg(99, 3, 0, []byte("?"))...),
		uint32(0), uint8(7), false)
	f.Add(append(simMsg(XS_READ, 9, 0, []byte("stray")), 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x13, 0, 0),
		uint32(0x3F0), uint8(3), true)
	f.Fuzz(clientStreamProperty)
}

func clientStreamProperty(t *testing.T, stream []byte, start uint32, chunk uint8, viaRing bool) {
	{
		// 1.5 ring's worth: enough to wrap the ring and hold an oversize
		// header; longer inputs only make each run (and the fuzzer's
		// minimising of new inputs) slower. Maximal messages are covered
		// by TestClientOperations.
		if len(stream) > 1536 {
			stream = stream[:1536]
		}
		size := int(chunk)%64 + 1
		watchOK := simMsg(XS_WATCH, 1, 0, []byte("OK\x00"))

		var tr io.ReadWriteCloser
		var wrote <-chan struct{}
		var serve func() // delivers the stream once all requests are out
		if viaRing {
			rt, w, s := fuzzRingServer(start, size, watchOK, stream)
			tr, wrote, serve = rt, w, s
		} else {
			sc := newScriptConn()
			tr, wrote = sc, sc.wrote
			go func() {
				<-sc.wrote // the watch
				sc.reads <- watchOK
			}()
			serve = func() {
				for p := stream; len(p) > 0; {
					k := min(len(p), size)
					select {
					case sc.reads <- p[:k]:
					case <-sc.closed: // the client gave up on the stream
						return
					}
					p = p[k:]
				}
				close(sc.reads)
			}
		}
		c := New(tr)
		c.SetTimeout(0)
		defer c.Close()
		w, err := c.Watch(context.Background(), "/w")
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		type res struct {
			v   []byte
			err error
		}
		results := make([]chan res, 3)
		for i := range results {
			results[i] = make(chan res, 1)
			go func() {
				v, err := c.Read(context.Background(), "/r")
				results[i] <- res{v, err}
			}()
			<-wrote // one at a time, so request i has id i+2
		}
		go serve()
		go func() {
			for range w.Events() {
			}
		}()

		// The reference: which message answers each request, and how
		// many belong to nobody.
		msgs, _, _ := refDecode(stream)
		answer := map[uint32]*refMessage{}
		strays := uint64(0)
		for i := range msgs {
			m := &msgs[i]
			if m.h.Type == XS_WATCH_EVENT {
				fields, ok := simFields(m.payload)
				if !ok || len(fields) < 2 || fields[1] != "goxen-1" {
					strays++
				}
				continue
			}
			if id := m.h.ReqID; id >= 2 && id <= 4 && answer[id] == nil {
				answer[id] = m
			} else {
				strays++
			}
		}
		for i, ch := range results {
			var r res
			select {
			case r = <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("request %d never ended", i+2)
			}
			var pe *fs.PathError
			if r.err != nil && (!errors.As(r.err, &pe) || pe.Op != "xenstore read" || pe.Path != "/r") {
				t.Fatalf("request %d: error %v is not a *fs.PathError for the read", i+2, r.err)
			}
			m := answer[uint32(i+2)]
			var ce *ConnError
			var pr *ProtocolError
			switch {
			case m == nil:
				if !errors.As(r.err, &ce) {
					t.Fatalf("request %d unanswered: %q, %v; want a *ConnError", i+2, r.v, r.err)
				}
			case m.h.Type == XS_READ:
				if r.err != nil || !bytes.Equal(r.v, m.payload) {
					t.Fatalf("request %d: %q, %v; want %q", i+2, r.v, r.err, m.payload)
				}
			case m.h.Type == XS_ERROR:
				if want := ParseError(m.payload); !errors.Is(r.err, want) {
					t.Fatalf("request %d: %v; want %v", i+2, r.err, want)
				}
			default:
				if !errors.As(r.err, &pr) || pr.Header != m.h {
					t.Fatalf("request %d: %v; want a *ProtocolError for %+v", i+2, r.err, m.h)
				}
			}
		}
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the connection did not end with the stream")
		}
		var ce *ConnError
		if !errors.As(c.Err(), &ce) {
			t.Fatalf("Err = %v, want a *ConnError", c.Err())
		}
		if n, last := c.ProtocolErrors(); n != strays {
			t.Fatalf("%d protocol errors (last %v), want %d", n, last, strays)
		}
	}
}

// fuzzRingServer is the server end of a ring for FuzzClientStream: it
// answers the first request with watchOK and signals wrote for each later
// one; once the returned func is called (after the fourth request), it
// produces stream in pieces of size bytes, then closes the transport when
// the client has consumed everything (or ends when the client closed it).
func fuzzRingServer(start uint32, size int, watchOK, stream []byte) (*RingTransport, <-chan struct{}, func()) {
	pg := new(Interface)
	pg.ReqCons, pg.ReqProd, pg.RspCons, pg.RspProd = start, start, start, start
	kicks := make(chan struct{}, 1)
	wrote := make(chan struct{}, 10)
	startStream := make(chan struct{})
	tr := NewRingTransport(pg, func() {
		select {
		case kicks <- struct{}{}:
		default:
		}
	})
	go func() {
		var r simReader
		var out []byte
		seen := 0
		streamed := false
		goSignal := (<-chan struct{})(startStream) // nil once taken
		for {
			progress := false
			cons, prod := atomic.LoadUint32(&pg.ReqCons), atomic.LoadUint32(&pg.ReqProd)
			if n := prod - cons; n > 0 {
				b := make([]byte, n)
				for i := range b {
					b[i] = pg.Req[(cons+uint32(i))%1024]
				}
				atomic.StoreUint32(&pg.ReqCons, prod)
				for range r.add(b) {
					seen++
					if seen == 1 {
						out = append(out, watchOK...)
					} else {
						wrote <- struct{}{}
					}
				}
				progress = true
			}
			if !streamed && seen >= 4 {
				select {
				case <-startStream:
					out = append(out, stream...)
					streamed = true
					goSignal = nil
				default:
				}
			}
			cons, prod = atomic.LoadUint32(&pg.RspCons), atomic.LoadUint32(&pg.RspProd)
			if k := min(len(out), size, XENSTORE_RING_SIZE-int(prod-cons)); k > 0 {
				for i := 0; i < k; i++ {
					pg.Rsp[(prod+uint32(i))%1024] = out[i]
				}
				atomic.StoreUint32(&pg.RspProd, prod+uint32(k))
				out = out[k:]
				progress = true
				tr.Notify()
			}
			if streamed && len(out) == 0 && atomic.LoadUint32(&pg.RspCons) == atomic.LoadUint32(&pg.RspProd) {
				tr.Close()
				return
			}
			if progress {
				continue
			}
			select {
			case <-kicks:
			case <-goSignal:
			case <-tr.closed:
				return
			}
		}
	}()
	return tr, wrote, func() { close(startStream) }
}
