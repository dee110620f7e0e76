package vchan

import (
	"bytes"
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/goxen/goxen/internal/evtchntest"
	"github.com/goxen/goxen/internal/ring/ringtest"
	"github.com/goxen/goxen/internal/ring/stream/streamtest"
	"github.com/goxen/goxen/internal/xenstoretest"
	"github.com/goxen/goxen/xenstore"
)

// The client below is written from xen/include/public/io/libxenvchan.h
// alone, with its own offsets and index arithmetic (modulo, not the
// package's masks), so that a mistake in the server's layout or ring code
// shows as a disagreement rather than cancelling out:
//
//	struct ring_shared { uint32_t cons, prod; };
//	struct vchan_interface {
//		struct ring_shared left, right;      // left: client writes; right: server writes
//		uint16_t left_order, right_order;    // 10: ring at 1024 in the page, 11: at 2048
//		uint8_t cli_live, srv_live;          // 0 gone, 1 connected, 2 (cli) not yet
//		uint8_t cli_notify, srv_notify;      // cli_notify: the client's actions the server wants to hear of
//		uint32_t grants[];
//	};
type client struct {
	page []byte
	port *evtchntest.Port
}

// Byte offsets, counted off the header by hand.
const (
	cLeftCons, cLeftProd   = 0, 4
	cRightCons, cRightProd = 8, 12
	cLeftOrder, cRightOrd  = 16, 18
	cLiveWord              = 20 // cli_live, srv_live, cli_notify, srv_notify: bytes 20..23
)

func (k *client) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&k.page[off])) }

// field reads byte i (0 cli_live, 1 srv_live, 2 cli_notify, 3 srv_notify)
// of the word at 20 (little endian).
func (k *client) field(i int) uint8 { return uint8(atomic.LoadUint32(k.word(cLiveWord)) >> (8 * i)) }

func (k *client) setField(i int, v uint8) {
	for {
		old := atomic.LoadUint32(k.word(cLiveWord))
		nw := old&^(0xff<<(8*i)) | uint32(v)<<(8*i)
		if atomic.CompareAndSwapUint32(k.word(cLiveWord), old, nw) {
			return
		}
	}
}

// ring returns the bytes of the ring of the given order field.
func (k *client) ring(orderOff int) []byte {
	order := *(*uint16)(unsafe.Pointer(&k.page[orderOff]))
	switch order {
	case 10:
		return k.page[1024:2048]
	case 11:
		return k.page[2048:4096]
	}
	panic("the test client only knows in-page rings")
}

// signal is what libxenvchan's send_notify does on the client: clear the
// bit in cli_notify and send an event only if the server had set it.
func (k *client) signal(bit uint8) {
	if n := k.field(2); n&bit != 0 {
		k.setField(2, n&^bit)
		k.port.Wake() // the server's port gets an event
	}
}

// write puts what fits of p into left and returns how much.
func (k *client) write(p []byte) int { return k.move(cLeftOrder, cLeftCons, cLeftProd, p, true) }

// read takes up to len(p) bytes out of right.
func (k *client) read(p []byte) int { return k.move(cRightOrd, cRightCons, cRightProd, p, false) }

// move is one step on a ring: a producer's (copy p in, publish prod,
// signal VCHAN_NOTIFY_WRITE) or a consumer's (copy out into p, publish
// cons, signal VCHAN_NOTIFY_READ).
func (k *client) move(orderOff, consOff, prodOff int, p []byte, produce bool) int {
	buf := k.ring(orderOff)
	size := uint32(len(buf))
	cons := atomic.LoadUint32(k.word(consOff))
	prod := atomic.LoadUint32(k.word(prodOff))
	n := 0
	for ; n < len(p); n++ {
		if produce && prod-cons < size {
			buf[prod%size] = p[n]
			prod++
		} else if !produce && cons != prod {
			p[n] = buf[cons%size]
			cons++
		} else {
			break
		}
	}
	if produce {
		atomic.StoreUint32(k.word(prodOff), prod)
	} else {
		atomic.StoreUint32(k.word(consOff), cons)
	}
	if n > 0 && produce {
		k.signal(1) // VCHAN_NOTIFY_WRITE
	} else if n > 0 {
		k.signal(2) // VCHAN_NOTIFY_READ
	}
	return n
}

type closer struct{ closed *atomic.Int32 }

func (c closer) Close() error { c.closed.Add(1); return nil }

// newTestConn is a Conn over an ordinary page with in-page rings (left
// order 10, right order 11), before any client, and its client.
func newTestConn(t *testing.T, xs *xenstore.Client) (*Conn, *client, *atomic.Int32) {
	t.Helper()
	page := make([]byte, 4096)
	port := evtchntest.New()
	released := new(atomic.Int32)
	c := &Conn{Path: "data/vchan", Peer: 0, xs: xs, port: port, portNum: 7, shares: []io.Closer{closer{released}}}
	if err := c.setUp(page, page[1024:2048], page[2048:4096], 10, 11, nil); err != nil {
		t.Fatal(err)
	}
	return c, &client{page: page, port: port}, released
}

func (k *client) connect() {
	k.setField(0, 1) // cli_live
	k.port.Wake()
}

var pseudoRandom = ringtest.PseudoRandom

// Both directions at once, many times round the rings and across the
// 2^32 wrap of the indices, against the client above.
func TestConnStreamsBothWays(t *testing.T) {
	c, k, _ := newTestConn(t, nil)
	for _, off := range []int{cLeftCons, cLeftProd, cRightCons, cRightProd} {
		*k.word(off) = 0xffffff00
	}
	k.connect()
	up, down := pseudoRandom(1, 50000), pseudoRandom(2, 50000)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the client writes up, waiting for room by polling
		defer wg.Done()
		for p := up; len(p) > 0; {
			n := k.write(p[:min(len(p), 777)])
			p = p[n:]
			if n == 0 {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	var got []byte
	go func() { // the client reads down, waiting on the server's events
		defer wg.Done()
		buf := make([]byte, 300)
		for len(got) < len(down) {
			ev := k.port.PeerEvents()
			k.setField(3, k.field(3)|1) // srv_notify |= VCHAN_NOTIFY_WRITE: tell me when you write
			if n := k.read(buf); n > 0 {
				got = append(got, buf[:n]...)
				continue
			}
			select {
			case <-ev:
			case <-time.After(time.Millisecond):
			}
		}
	}()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(down)
		errc <- err
	}()
	var read []byte
	buf := make([]byte, 1000)
	for len(read) < len(up) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(read), err)
		}
		read = append(read, buf[:n]...)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Write: %v", err)
	}
	wg.Wait()
	if !bytes.Equal(read, up) {
		t.Error("the server read other bytes than the client wrote")
	}
	if !bytes.Equal(got, down) {
		t.Error("the client read other bytes than the server wrote")
	}
}

// Issue 23, item 14: cli_live 2 is a client that has not connected yet;
// libxenvchan_is_open counts it as open. Read and Write wait for it
// rather than ending the stream.
func TestConnWaitsForAClientNotYetConnected(t *testing.T) {
	c, k, _ := newTestConn(t, nil)
	type result struct {
		n   int
		err error
	}
	rc, wc := make(chan result, 1), make(chan result, 1)
	buf := make([]byte, 8)
	go func() { n, err := c.Read(buf); rc <- result{n, err} }()
	go func() { n, err := c.Write([]byte("hello")); wc <- result{n, err} }()
	select {
	case r := <-rc:
		t.Fatalf("Read before the client connected = %d, %v; want it to wait", r.n, r.err)
	case r := <-wc:
		if r.err != nil {
			t.Fatalf("Write before the client connected = %d, %v", r.n, r.err)
		}
	case <-time.After(50 * time.Millisecond):
	}
	k.connect()
	k.write([]byte("hi"))
	if r := <-rc; r.err != nil || string(buf[:r.n]) != "hi" {
		t.Fatalf("Read = %q, %v", buf[:r.n], r.err)
	}
	out := make([]byte, 8)
	if n := k.read(out); string(out[:n]) != "hello" {
		t.Fatalf("the client read %q", out[:n])
	}
}

// A client that writes and leaves: its bytes are read, then EOF; a write
// to it fails with io.ErrClosedPipe.
func TestConnClientLeaves(t *testing.T) {
	c, k, _ := newTestConn(t, nil)
	k.connect()
	k.write([]byte("bye"))
	k.setField(0, 0)
	k.port.Wake()
	streamtest.PeerLeft(t, c, "bye")
}

// Close wakes a blocked reader, marks the server gone, tells the client,
// removes the keys and gives back the port and the pages.
func TestConnClose(t *testing.T) {
	srv := xenstoretest.New()
	xs := srv.Client(3)
	defer xs.Close()
	srv.Set("/local/domain/3/data/vchan/ring-ref", "8")
	srv.Set("/local/domain/3/data/vchan/event-channel", "7")
	c, k, released := newTestConn(t, xs)
	k.connect()
	errc := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 4)); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != ErrClosed {
		t.Errorf("blocked Read ended with %v, want ErrClosed", err)
	}
	if k.field(1) != 0 {
		t.Error("srv_live still set")
	}
	if c.port.(*evtchntest.Port).Sent() == 0 {
		t.Error("the client was not told")
	}
	for _, key := range []string{"ring-ref", "event-channel"} {
		if _, ok := srv.Get("/local/domain/3/data/vchan/" + key); ok {
			t.Errorf("%s is still in xenstore", key)
		}
	}
	if !c.port.(*evtchntest.Port).Closed() || released.Load() != 1 {
		t.Error("port or pages not released")
	}
	if _, err := c.Write([]byte("x")); err != ErrClosed {
		t.Errorf("Write after Close: %v", err)
	}
	if c.Close() != ErrClosed {
		t.Error("second Close")
	}
}

// Issue 23, item 15: ring-ref, event-channel and their permissions go in
// one transaction (libxenvchan's init_xs_srv), retried when it conflicts.
func TestPublishIsOneTransaction(t *testing.T) {
	srv := xenstoretest.New()
	srv.FailCommits = 1 // the first commit loses a race
	xs := srv.Client(3)
	defer xs.Close()
	if err := publish(context.Background(), xs, "data/vchan", 0, 8, 7); err != nil {
		t.Fatal(err)
	}
	dir := "/local/domain/3/data/vchan/"
	if v, _ := srv.Get(dir + "ring-ref"); v != "8" {
		t.Errorf("ring-ref = %q", v)
	}
	if v, _ := srv.Get(dir + "event-channel"); v != "7" {
		t.Errorf("event-channel = %q", v)
	}
	want := []xenstore.Perm{{Domain: 3, Access: xenstore.AccessNone}, {Domain: 0, Access: xenstore.AccessRead}}
	for _, key := range []string{"ring-ref", "event-channel"} {
		if got := srv.Perms(dir + key); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: perms %v, want %v", key, got, want)
		}
	}
	// Every change was inside a transaction, and each attempt wrote
	// both keys and both permissions.
	var starts, ends int
	changes := map[uint32]int{}
	for _, op := range srv.Ops() {
		switch op.Type {
		case xenstore.XS_TRANSACTION_START:
			starts++
		case xenstore.XS_TRANSACTION_END:
			ends++
		case xenstore.XS_WRITE, xenstore.XS_SET_PERMS:
			if op.Tx == 0 {
				t.Errorf("%s of %s outside a transaction", xenstore.TypeName(op.Type), op.Path)
			}
			changes[op.Tx]++
		}
	}
	if starts != 2 || ends != 2 {
		t.Errorf("%d transactions started, %d ended; want 2 and 2 (one retry)", starts, ends)
	}
	for tx, n := range changes {
		if n != 4 {
			t.Errorf("transaction %d made %d changes, want 4", tx, n)
		}
	}
}
