package xenstore

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxen/goxen/internal/ring/ringtest"
)

// Ring's copies, index checks and batch/wait loop are package
// internal/ring's Queue, which console.Ring shares: its wrap, batching,
// spurious-wakeup and hostile-mid-write tests are console's
// (console/ring_test.go) and internal/ring's. These tests cover what
// xenstore adds: where req[] and rsp[] are, its errors, and the page's
// connection and error fields.

// The server is package ringtest's Peer: it works req[] and rsp[] with
// its own arithmetic (% on the index), not with package ring's masks, so
// a wrong mask would show.

func reqPeer(pg *Interface) ringtest.Peer {
	return ringtest.Peer{Data: pg.Req[:], Prod: &pg.ReqProd, Cons: &pg.ReqCons}
}

// drainReq plays the server: it consumes up to max bytes of req[] (all of
// them if max < 0) and returns them.
func drainReq(pg *Interface, max int) []byte { return reqPeer(pg).Take(max) }

// putRsp plays the server producing replies: it appends data to rsp[].
func putRsp(pg *Interface, data []byte) {
	ringtest.Peer{Data: pg.Rsp[:], Prod: &pg.RspProd, Cons: &pg.RspCons}.Give(data)
}

// rsim is a ring with a synchronous server: each Wait consumes Chunk bytes
// of req[] (everything if Chunk < 0) into Got.
type rsim struct {
	pg Interface
	r  Ring
	*ringtest.Sim
}

func newRsim(start uint32, chunk int) *rsim {
	s := &rsim{}
	s.pg.ReqCons, s.pg.ReqProd = start, start
	s.pg.RspCons, s.pg.RspProd = start, start
	s.Sim = &ringtest.Sim{Peer: reqPeer(&s.pg), Chunk: chunk}
	s.r = Ring{Page: &s.pg, Kick: s.Kick, Wait: s.Wait}
	return s
}

var pseudoRandom = ringtest.PseudoRandom

func TestRingWriteSmall(t *testing.T) {
	s := newRsim(0, -1)
	n, err := s.r.Write([]byte("hello"))
	if n != 5 || err != nil {
		t.Fatalf("Write = %d, %v; want 5, nil", n, err)
	}
	if got := string(s.pg.Req[:5]); got != "hello" {
		t.Errorf("req[0:5] = %q", got)
	}
	if s.pg.ReqProd != 5 || s.pg.ReqCons != 0 || s.Kicks != 1 || s.Waits != 0 {
		t.Errorf("req_prod=%d req_cons=%d kicks=%d waits=%d, want 5 0 1 0",
			s.pg.ReqProd, s.pg.ReqCons, s.Kicks, s.Waits)
	}
	if p, err := s.r.Pending(); p != 5 || err != nil {
		t.Errorf("Pending = %d, %v; want 5, nil", p, err)
	}
	if n, err := s.r.Write(nil); n != 0 || err != nil || s.Kicks != 1 {
		t.Errorf("Write(nil) = %d, %v, kicks=%d; want 0, nil, no new kick", n, err, s.Kicks)
	}
}

func TestRingRead(t *testing.T) {
	s := newRsim(0, -1)
	buf := make([]byte, 10)
	if n, err := s.r.Read(buf); n != 0 || err != nil || s.Kicks != 0 {
		t.Fatalf("empty Read = %d, %v, kicks=%d; want 0, nil, 0", n, err, s.Kicks)
	}
	putRsp(&s.pg, []byte("abc"))
	if a, err := s.r.Available(); a != 3 || err != nil {
		t.Errorf("Available = %d, %v; want 3, nil", a, err)
	}
	n, err := s.r.Read(buf)
	if n != 3 || err != nil || string(buf[:n]) != "abc" {
		t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
	}
	if s.pg.RspCons != 3 || s.Kicks != 1 {
		t.Errorf("rsp_cons=%d kicks=%d, want 3, 1", s.pg.RspCons, s.Kicks)
	}
	putRsp(&s.pg, []byte("defgh"))
	if n, _ := s.r.Read(buf[:2]); string(buf[:n]) != "de" {
		t.Errorf("short Read got %q", buf[:n])
	}
	if n, _ := s.r.Read(buf); string(buf[:n]) != "fgh" {
		t.Errorf("second Read got %q", buf[:n])
	}
	putRsp(&s.pg, []byte("i"))
	k := s.Kicks
	if n, err := s.r.Read(nil); n != 0 || err != nil || s.Kicks != k || s.pg.RspCons != 8 {
		t.Errorf("Read(nil) = %d, %v kicks+%d rsp_cons=%d", n, err, s.Kicks-k, s.pg.RspCons)
	}
}

func TestRingHostileReqIndices(t *testing.T) {
	for _, c := range []struct {
		name       string
		prod, cons uint32
		msg        string
	}{
		{"cons ahead of prod", 0x10, 0x20,
			"xenstore: hostile req ring indices: prod=0x10 cons=0x20 (0xfffffff0 > 1024 in flight)"},
		{"cons too far behind", 0x401, 0x0,
			"xenstore: hostile req ring indices: prod=0x401 cons=0x0 (0x401 > 1024 in flight)"},
		{"across the wrap", 0x200, 0xFFFFFDFF,
			"xenstore: hostile req ring indices: prod=0x200 cons=0xfffffdff (0x401 > 1024 in flight)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newRsim(0, -1)
			s.pg.ReqProd, s.pg.ReqCons = c.prod, c.cons
			before := s.pg.Req
			n, err := s.r.Write([]byte("data"))
			var ie *IndexError
			if n != 0 || !errors.As(err, &ie) {
				t.Fatalf("Write = %d, %v; want 0, *IndexError", n, err)
			}
			if ie.Ring != RingReq || ie.Prod != c.prod || ie.Cons != c.cons {
				t.Errorf("IndexError = %+v", *ie)
			}
			if err.Error() != c.msg {
				t.Errorf("message:\n got %q\nwant %q", err.Error(), c.msg)
			}
			if s.pg.Req != before || s.pg.ReqProd != c.prod || s.Kicks != 0 || s.Waits != 0 {
				t.Errorf("ring touched: req_prod=%#x kicks=%d waits=%d", s.pg.ReqProd, s.Kicks, s.Waits)
			}
			if _, err := s.r.Pending(); err == nil || err.Error() != c.msg {
				t.Errorf("Pending err = %v", err)
			}
			// The rsp side is independent and still works.
			putRsp(&s.pg, []byte("ok"))
			buf := make([]byte, 4)
			if n, err := s.r.Read(buf); n != 2 || err != nil {
				t.Errorf("Read on the healthy rsp side = %d, %v", n, err)
			}
		})
	}
}

func TestRingHostileRspIndices(t *testing.T) {
	s := newRsim(0, -1)
	s.pg.RspProd, s.pg.RspCons = 0x401, 0
	buf := make([]byte, 16)
	n, err := s.r.Read(buf)
	const msg = "xenstore: hostile rsp ring indices: prod=0x401 cons=0x0 (0x401 > 1024 in flight)"
	var ie *IndexError
	if n != 0 || !errors.As(err, &ie) || ie.Ring != RingRsp || err.Error() != msg {
		t.Fatalf("Read = %d, %v; want 0, %q", n, err, msg)
	}
	if _, err := s.r.Available(); err == nil || err.Error() != msg {
		t.Errorf("Available err = %v", err)
	}
	s.pg.RspProd, s.pg.RspCons = 5, 6
	_, err = s.r.Read(buf)
	const msg2 = "xenstore: hostile rsp ring indices: prod=0x5 cons=0x6 (0xffffffff > 1024 in flight)"
	if err == nil || err.Error() != msg2 {
		t.Fatalf("err = %v, want %q", err, msg2)
	}
	if s.pg.RspCons != 6 || s.Kicks != 0 {
		t.Errorf("rsp_cons=%d kicks=%d: ring touched", s.pg.RspCons, s.Kicks)
	}
}

func TestRingNilWaitPageKick(t *testing.T) {
	s := newRsim(0, -1)
	s.r.Wait = nil
	data := pseudoRandom(11, 1500)
	n, err := s.r.Write(data)
	if n != XENSTORE_RING_SIZE || err != ErrNoWait || s.Kicks != 1 {
		t.Fatalf("Write = %d, %v, kicks=%d; want %d, ErrNoWait, 1", n, err, s.Kicks, XENSTORE_RING_SIZE)
	}
	s.Finish()
	if n2, err := s.r.Write(data[n:]); n2 != len(data)-n || err != nil {
		t.Fatalf("retry Write = %d, %v", n2, err)
	}
	if !bytes.Equal(s.Finish(), data) {
		t.Error("data corrupted")
	}

	var r Ring
	for name, err := range map[string]error{
		"Write":         second(r.Write([]byte("x"))),
		"Read":          second(r.Read(make([]byte, 1))),
		"Pending":       second(r.Pending()),
		"Available":     second(r.Available()),
		"WaitConnected": r.WaitConnected(3),
		"Reconnect":     r.Reconnect(3),
		"Err":           r.Err(),
	} {
		if err != ErrNoPage {
			t.Errorf("%s with nil Page = %v, want ErrNoPage", name, err)
		}
	}
	if r.Connected() || r.ServerFeatures() != 0 {
		t.Error("nil Page reads as connected or with features")
	}

	var pg Interface
	r = Ring{Page: &pg} // nil Kick: the server polls
	if n, err := r.Write([]byte("ok")); n != 2 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	putRsp(&pg, []byte("in"))
	buf := make([]byte, 4)
	if n, err := r.Read(buf); n != 2 || err != nil || string(buf[:2]) != "in" {
		t.Fatalf("Read = %d, %v %q", n, err, buf[:n])
	}
}

func second(_ int, err error) error { return err }

// While connection != XENSTORE_CONNECTED nothing but that field may be
// used: Write and Read return a *ConnectionError and touch nothing.
func TestRingReconnectInProgress(t *testing.T) {
	s := newRsim(0, -1)
	putRsp(&s.pg, []byte("stale"))
	s.pg.Connection = XENSTORE_RECONNECT
	n, err := s.r.Write([]byte("req"))
	var ce *ConnectionError
	if n != 0 || !errors.As(err, &ce) || ce.Connection != XENSTORE_RECONNECT || ce.Waits != 0 {
		t.Fatalf("Write = %d, %v; want 0, *ConnectionError{1, 0}", n, err)
	}
	const msg = "xenstore: ring not connected: connection=1 (XENSTORE_RECONNECT, a reconnect is in progress)"
	if err.Error() != msg {
		t.Errorf("message %q, want %q", err.Error(), msg)
	}
	buf := make([]byte, 8)
	if n, err := s.r.Read(buf); n != 0 || !errors.As(err, &ce) {
		t.Errorf("Read = %d, %v", n, err)
	}
	if s.pg.ReqProd != 0 || s.pg.RspCons != 0 || s.Kicks != 0 {
		t.Errorf("page touched: req_prod=%d rsp_cons=%d kicks=%d", s.pg.ReqProd, s.pg.RspCons, s.Kicks)
	}
	if s.r.Connected() {
		t.Error("Connected() = true")
	}
	s.pg.Connection = 7
	if err := s.r.Err(); err == nil ||
		err.Error() != "xenstore: ring not connected: connection=7 (not a defined value)" {
		t.Errorf("Err with connection=7: %v", err)
	}
}

func TestRingServerErrorField(t *testing.T) {
	s := newRsim(0, -1)
	s.pg.Error = XENSTORE_ERROR_RINGIDX
	// Without XENSTORE_SERVER_FEATURE_ERROR the field is not defined: ignored.
	if n, err := s.r.Write([]byte("a")); n != 1 || err != nil {
		t.Fatalf("Write without the feature = %d, %v", n, err)
	}
	s.pg.ServerFeatures = XENSTORE_SERVER_FEATURE_ERROR
	for code, text := range map[uint32]string{
		XENSTORE_ERROR_COMM:    "error=1 (XENSTORE_ERROR_COMM, communication problem)",
		XENSTORE_ERROR_RINGIDX: "error=2 (XENSTORE_ERROR_RINGIDX, invalid ring index)",
		XENSTORE_ERROR_PROTO:   "error=3 (XENSTORE_ERROR_PROTO, protocol violation)",
		9:                      "error=9 (unknown code)",
	} {
		s.pg.Error = code
		n, err := s.r.Write([]byte("b"))
		var se *ServerError
		if n != 0 || !errors.As(err, &se) || se.Code != code {
			t.Errorf("code %d: Write = %d, %v", code, n, err)
			continue
		}
		if want := "xenstore: server stopped serving the ring: " + text; err.Error() != want {
			t.Errorf("message %q, want %q", err.Error(), want)
		}
		if _, err := s.r.Read(make([]byte, 1)); !errors.As(err, &se) || se.Code != code {
			t.Errorf("code %d: Read err = %v", code, err)
		}
	}
	if s.pg.ReqProd != 1 {
		t.Errorf("req_prod = %d: bytes written despite the error", s.pg.ReqProd)
	}
}

func TestRingWaitConnected(t *testing.T) {
	s := newRsim(0, -1)
	s.pg.Connection = XENSTORE_RECONNECT
	waits := 0
	s.r.Wait = func() {
		waits++
		if waits == 3 {
			s.pg.Connection = XENSTORE_CONNECTED
		}
	}
	if err := s.r.WaitConnected(10); err != nil || waits != 3 {
		t.Fatalf("WaitConnected = %v after %d waits; want nil after 3", err, waits)
	}
	if err := s.r.WaitConnected(0); err != nil || waits != 3 {
		t.Errorf("WaitConnected(0) when connected = %v, waits=%d", err, waits)
	}

	// Never ends: a typed error after exactly maxWaits waits, no hang.
	s.pg.Connection = XENSTORE_RECONNECT
	waits = 0
	s.r.Wait = func() { waits++ }
	err := s.r.WaitConnected(5)
	var ce *ConnectionError
	if !errors.As(err, &ce) || ce.Connection != XENSTORE_RECONNECT || ce.Waits != 5 || waits != 5 {
		t.Fatalf("WaitConnected(5) = %v after %d waits", err, waits)
	}
	const msg = "xenstore: ring not connected after 5 waits: connection=1 (XENSTORE_RECONNECT, a reconnect is in progress)"
	if err.Error() != msg {
		t.Errorf("message %q", err.Error())
	}
	s.r.Wait = nil
	if err := s.r.WaitConnected(5); err != ErrNoWait {
		t.Errorf("WaitConnected with nil Wait = %v, want ErrNoWait", err)
	}

	// Connected, but the server has given up on the ring.
	s.pg.Connection = XENSTORE_CONNECTED
	s.pg.ServerFeatures = XENSTORE_SERVER_FEATURE_ERROR
	s.pg.Error = XENSTORE_ERROR_COMM
	var se *ServerError
	if err := s.r.WaitConnected(5); !errors.As(err, &se) || se.Code != XENSTORE_ERROR_COMM {
		t.Errorf("WaitConnected with error=1: %v", err)
	}
}

func TestRingReconnect(t *testing.T) {
	s := newRsim(0x40, -1)
	if err := s.r.Reconnect(5); err != ErrNoReconnect {
		t.Fatalf("Reconnect without the feature = %v, want ErrNoReconnect", err)
	}
	if s.pg.Connection != XENSTORE_CONNECTED || s.Kicks != 0 {
		t.Fatalf("page touched without the feature: connection=%d kicks=%d", s.pg.Connection, s.Kicks)
	}
	s.pg.ServerFeatures = XENSTORE_SERVER_FEATURE_RECONNECTION
	putRsp(&s.pg, []byte("half a message"))
	sawReconnect := false
	s.r.Wait = func() {
		// The server: sees the request, resets the queues, reconnects.
		if atomic.LoadUint32(&s.pg.Connection) == XENSTORE_RECONNECT {
			sawReconnect = true
			s.pg.ReqCons, s.pg.ReqProd, s.pg.RspCons, s.pg.RspProd = 0, 0, 0, 0
			atomic.StoreUint32(&s.pg.Connection, XENSTORE_CONNECTED)
		}
	}
	if err := s.r.Reconnect(5); err != nil || !sawReconnect || s.Kicks != 1 {
		t.Fatalf("Reconnect = %v, server saw it: %v, kicks=%d", err, sawReconnect, s.Kicks)
	}
	if a, err := s.r.Available(); a != 0 || err != nil {
		t.Errorf("after the reconnect Available = %d, %v", a, err)
	}
	// A server that never completes it: bounded.
	s.r.Wait = func() {}
	var ce *ConnectionError
	if err := s.r.Reconnect(2); !errors.As(err, &ce) || ce.Waits != 2 {
		t.Errorf("unanswered Reconnect = %v", err)
	}
}

// A concurrent server echoes req[] into rsp[]; one goroutine writes 2 MB in
// random pieces while another reads: Write and Read run at the same time on
// one Ring, as documented, with indices starting just below 2^32.
func TestRingConcurrentEcho(t *testing.T) {
	const total = 2 << 20
	const start = 0xFFFFF000
	data := pseudoRandom(4, total)
	var pg Interface
	pg.ReqCons, pg.ReqProd, pg.RspCons, pg.RspProd = start, start, start, start
	toServer := make(chan struct{}, 1)
	toGuestW := make(chan struct{}, 1)
	toGuestR := make(chan struct{}, 1)
	stop := make(chan struct{})
	signal := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	go func() { // the server
		rng := rand.New(rand.NewPCG(5, 6))
		for {
			rc, rp := atomic.LoadUint32(&pg.ReqCons), atomic.LoadUint32(&pg.ReqProd)
			sc, sp := atomic.LoadUint32(&pg.RspCons), atomic.LoadUint32(&pg.RspProd)
			n := min(int(rp-rc), XENSTORE_RING_SIZE-int(sp-sc), 1+rng.IntN(300))
			if n == 0 {
				select {
				case <-toServer:
					continue
				case <-stop:
					return
				}
			}
			for i := 0; i < n; i++ {
				pg.Rsp[(sp+uint32(i))%1024] = pg.Req[(rc+uint32(i))%1024]
			}
			atomic.StoreUint32(&pg.RspProd, sp+uint32(n))
			atomic.StoreUint32(&pg.ReqCons, rc+uint32(n))
			signal(toGuestW)
			signal(toGuestR)
			if rng.IntN(4) == 0 {
				runtime.Gosched()
			}
		}
	}()
	defer close(stop)
	watchdog := time.AfterFunc(20*time.Second, func() { panic("echo test deadlocked") })
	defer watchdog.Stop()

	r := Ring{Page: &pg, Kick: func() { signal(toServer) }, Wait: func() { <-toGuestW }}
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(7, 8))
		for off := 0; off < total; {
			k := min(total-off, 1+rng.IntN(5000))
			if n, err := r.Write(data[off : off+k]); n != k || err != nil {
				werr = err
				return
			}
			off += k
		}
	}()
	got := make([]byte, 0, total)
	buf := make([]byte, 700)
	for len(got) < total {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n == 0 {
			<-toGuestR
			continue
		}
		got = append(got, buf[:n]...)
	}
	wg.Wait()
	if werr != nil {
		t.Fatalf("Write: %v", werr)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo differs from the data (%d bytes)", len(got))
	}
	want := uint32(start)
	want += total
	if pg.ReqProd != want || pg.RspCons != want {
		t.Errorf("req_prod=%#x rsp_cons=%#x, want both %#x (wrapped)", pg.ReqProd, pg.RspCons, want)
	}
}

func TestAppendErrorFormats(t *testing.T) {
	for _, c := range []struct {
		e interface {
			Error() string
			AppendError([]byte) []byte
		}
		want string
	}{
		{&IndexError{RingReq, 0, 0xFFFFFFFF}, "xenstore: hostile req ring indices: prod=0x0 cons=0xffffffff (0x1 > 1024 in flight)"},
		{&IndexError{RingRsp, 0xABCDEF01, 0x10000000}, "xenstore: hostile rsp ring indices: prod=0xabcdef01 cons=0x10000000 (0x9bcdef01 > 1024 in flight)"},
		{&ConnectionError{XENSTORE_RECONNECT, 4294967295}, "xenstore: ring not connected after 4294967295 waits: connection=1 (XENSTORE_RECONNECT, a reconnect is in progress)"},
		{&ServerError{0}, "xenstore: server stopped serving the ring: error=0 (unknown code)"},
		{&LengthError{Header{XS_READ, 7, 0, 5000}}, "xenstore: message header announces a 5000-byte payload, more than XENSTORE_PAYLOAD_MAX (4096) (type 2 XS_READ, req_id 7, tx_id 0); the stream has lost its framing and is unusable"},
		{&LengthError{Header{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}}, "xenstore: message header announces a 4294967295-byte payload, more than XENSTORE_PAYLOAD_MAX (4096) (type 4294967295 unknown, req_id 4294967295, tx_id 4294967295); the stream has lost its framing and is unusable"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if got := string(c.e.AppendError([]byte("> "))); got != "> "+c.want {
			t.Errorf("AppendError = %q", got)
		}
	}
	if RingReq.String() != "req" || RingRsp.String() != "rsp" {
		t.Errorf("RingID strings %q %q", RingReq, RingRsp)
	}
}
