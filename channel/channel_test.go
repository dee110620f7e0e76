package channel

import (
	"bytes"
	"context"
	"io"
	"strconv"
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

// backend plays QEMU's end of a channel (docs/man/xen-pv-channel.7.pod):
// it follows the frontend's xenbus state in xenstore, and it moves bytes
// on the ring page with its own offsets and index arithmetic, written
// from xen/include/public/io/console.h alone:
//
//	struct xencons_interface {
//		char in[1024];    // backend -> frontend, at 0
//		char out[2048];   // frontend -> backend, at 1024
//		XENCONS_RING_IDX in_cons, in_prod, out_cons, out_prod; // at 3072, 3076, 3080, 3084
//	};
type backend struct {
	t    *testing.T
	srv  *xenstoretest.Server
	xs   *xenstore.Client
	page []byte
	port *evtchntest.Port
	dir  string // the backend's xenstore directory
	fe   string // the frontend's
}

const (
	bInCons, bInProd, bOutCons, bOutProd = 3072, 3076, 3080, 3084
	bIn, bInSize, bOut, bOutSize         = 0, 1024, 1024, 2048
)

func (b *backend) idx(off int) *uint32 { return (*uint32)(unsafe.Pointer(&b.page[off])) }

// put appends what fits of p to in[] and signals.
func (b *backend) put(p []byte) int {
	cons, prod := atomic.LoadUint32(b.idx(bInCons)), atomic.LoadUint32(b.idx(bInProd))
	n := 0
	for ; n < len(p) && prod-cons < bInSize; n++ {
		b.page[bIn+int(prod%bInSize)] = p[n]
		prod++
	}
	atomic.StoreUint32(b.idx(bInProd), prod)
	b.port.Wake()
	return n
}

// take empties out[] into the returned bytes and signals if it took any.
func (b *backend) take() []byte {
	cons, prod := atomic.LoadUint32(b.idx(bOutCons)), atomic.LoadUint32(b.idx(bOutProd))
	var got []byte
	for ; cons != prod; cons++ {
		got = append(got, b.page[bOut+int(cons%bOutSize)])
	}
	atomic.StoreUint32(b.idx(bOutCons), cons)
	if len(got) > 0 {
		b.port.Wake()
	}
	return got
}

func (b *backend) setState(s State) { b.srv.Set(b.dir+"/state", strconv.Itoa(int(s))) }

// follow answers the frontend's state changes as QEMU does: Connected
// once the frontend is Initialised (after checking its ring-ref and
// port), Closing then Closed when it closes, InitWait when it starts
// again.
func (b *backend) follow(ctx context.Context) {
	w, err := b.xs.Watch(ctx, b.fe+"/state")
	if err != nil {
		b.t.Error(err)
		return
	}
	defer w.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.Events():
		}
		v, _ := b.srv.Get(b.fe + "/state")
		st, _ := ParseState([]byte(v))
		switch st {
		case StateInitialised:
			if _, ok := b.srv.Get(b.fe + "/ring-ref"); !ok {
				b.t.Error("Initialised without a ring-ref")
			}
			if _, ok := b.srv.Get(b.fe + "/port"); !ok {
				b.t.Error("Initialised without a port")
			}
			b.setState(StateConnected)
		case StateClosing:
			b.setState(StateClosing)
			b.setState(StateClosed)
		case StateInitialising:
			b.setState(StateInitWait)
		}
	}
}

// openTest is Open with the page and the port in memory, against a
// backend in domain 0 that follows the protocol.
func openTest(t *testing.T) (*Channel, *backend) {
	t.Helper()
	srv := xenstoretest.New()
	guest := srv.Client(3)
	t.Cleanup(func() { guest.Close() })
	fe := "/local/domain/3/device/console/1"
	b := &backend{t: t, srv: srv, xs: srv.Client(0), page: make([]byte, 4096), port: evtchntest.New(),
		dir: "/local/domain/0/backend/console/3/1", fe: fe}
	t.Cleanup(func() { b.xs.Close() })
	srv.Set(fe+"/name", "org.test.a")
	srv.Set(fe+"/backend", b.dir)
	srv.Set(fe+"/backend-id", "0")
	b.setState(StateInitWait)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	go b.follow(ctx)
	time.Sleep(10 * time.Millisecond) // the backend's watch is set

	info, err := Lookup(ctx, guest, "org.test.a")
	if err != nil {
		t.Fatal(err)
	}
	c := &Channel{Info: info, xs: guest, done: make(chan struct{}), port: b.port, portNum: 9, mem: io.NopCloser(nil)}
	if err := c.connect(ctx, b.page, 77); err != nil {
		t.Fatal(err)
	}
	if v, _ := srv.Get(fe + "/ring-ref"); v != "77" {
		t.Errorf("ring-ref = %q", v)
	}
	if v, _ := srv.Get(fe + "/port"); v != "9" {
		t.Errorf("port = %q", v)
	}
	return c, b
}

// Open, Read, Write (much more than out[] holds) and Close against the
// backend above; Close waits until the backend has taken every byte.
func TestChannelOpenReadWriteClose(t *testing.T) {
	c, b := openTest(t)
	b.put([]byte("ping"))
	buf := make([]byte, 16)
	if n, err := c.Read(buf); string(buf[:n]) != "ping" || err != nil {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	out := ringtest.PseudoRandom(7, 20000)
	got := make(chan []byte)
	stop := make(chan struct{})
	go func() { // the backend reads out[] as the frontend's events come
		var all []byte
		for {
			ev := b.port.PeerEvents()
			all = append(all, b.take()...)
			select {
			case <-ev:
			case <-time.After(time.Millisecond):
			case <-stop:
				got <- append(all, b.take()...)
				return
			}
		}
	}()
	if n, err := c.Write(out); n != len(out) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	close(stop)
	if all := <-got; !bytes.Equal(all, out) {
		t.Fatalf("the backend got %d bytes, not the %d written", len(all), len(out))
	}
	if v, _ := b.srv.Get(b.fe + "/state"); v != strconv.Itoa(int(StateClosed)) {
		t.Errorf("frontend state %q after Close, want Closed", v)
	}
	if !b.port.Closed() {
		t.Error("port not released")
	}
	if _, err := c.Read(buf); err != ErrClosed {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := c.Write(buf); err != ErrClosed {
		t.Errorf("Write after Close: %v", err)
	}
}

// A backend that writes its last bytes and leaves: they are read, then
// EOF, and writing fails with io.ErrClosedPipe.
func TestChannelBackendLeaves(t *testing.T) {
	c, b := openTest(t)
	b.put([]byte("last"))
	b.setState(StateClosing)
	deadline := time.Now().Add(5 * time.Second)
	for { // until the channel has seen the backend go
		c.mu.Lock()
		eof := c.eof
		c.mu.Unlock()
		if eof || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	streamtest.PeerLeft(t, c, "last")
}
