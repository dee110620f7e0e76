package vchan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/internal/ring/stream"
	"github.com/goxen/goxen/xenstore"
)

// Conn is the server end of a vchan: an io.ReadWriteCloser. Reads and
// writes may run at the same time, from different goroutines.
type Conn struct {
	Path string // the xenstore directory holding ring-ref and event-channel
	Peer uint16 // the client's domain

	xs      *xenstore.Client
	shares  []io.Closer // the vchan_interface page, then the ring pages
	port    events
	portNum uint32
	page    []byte

	rd, wr   byteRing // left (the client writes), right (we write)
	rmu, wmu sync.Mutex
	ends     stream.Ends

	mu     sync.Mutex
	closed bool
}

// events is what a Conn needs of its event channel: an *evtchn.Port, or
// a test's fake.
type events interface {
	Changed() <-chan struct{}
	Wake()
	Notify() error
	Close() error
}

// Listen makes this domain the server of a vchan at path (absolute, or
// relative to the domain's home; it must be writable by the domain, e.g.
// under data/) for the client domain peer, with rings of at least readMin
// and writeMin bytes, and returns once the client has connected (or ctx
// ends). The client is typically vchan-socket-proxy in dom0.
func Listen(ctx context.Context, xs *xenstore.Client, path string, peer uint16, readMin, writeMin int) (*Conn, error) {
	c, err := Serve(ctx, xs, path, peer, readMin, writeMin)
	if err != nil {
		return nil, err
	}
	if err := c.WaitClient(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Serve publishes the vchan without waiting for the client; see
// WaitClient.
func Serve(ctx context.Context, xs *xenstore.Client, path string, peer uint16, readMin, writeMin int) (c *Conn, err error) {
	lo, ro, err := layout(readMin, writeMin)
	if err != nil {
		return nil, err
	}
	c = &Conn{Path: path, Peer: peer, xs: xs}
	fail := func(doing string, err error) (*Conn, error) {
		c.release()
		return nil, fmt.Errorf("vchan %s: %s: %w", path, doing, err)
	}
	ga, err := gnttab.OpenAlloc()
	if err != nil {
		return fail("sharing pages", err)
	}
	defer ga.Close()
	shared, err := ga.Share(peer, 1, false)
	if err != nil {
		return fail("sharing the interface page", err)
	}
	c.shares = append(c.shares, shared)
	var refs []gnttab.Ref
	ringData := func(order, inPage int) ([]byte, error) {
		if order < pageOrder {
			return shared.Mem[inPage : inPage+1<<order], nil
		}
		s, err := ga.Share(peer, pages(order), false)
		if err != nil {
			return nil, err
		}
		c.shares = append(c.shares, s)
		refs = append(refs, s.Refs...)
		return s.Mem, nil
	}
	left, err := ringData(lo, 1024)
	if err != nil {
		return fail("sharing the read ring", err)
	}
	right, err := ringData(ro, 2048)
	if err != nil {
		return fail("sharing the write ring", err)
	}
	port, err := evtchn.BindUnboundPort(peer)
	if err != nil {
		return fail("event channel", err)
	}
	c.port, c.portNum = port, port.Number
	if err := c.setUp(shared.Mem, left, right, lo, ro, refs); err != nil {
		return fail("laying out", err)
	}
	// If this program ends without Close, the kernel's release of the
	// page tells the client: srv_live cleared and an event.
	shared.NotifyOnRelease(gnttab.NotifyClearByte|gnttab.NotifySendEvent, offSrvLive, port.Number)
	if err := publish(ctx, xs, path, peer, shared.Refs[0], port.Number); err != nil {
		return fail("publishing", err)
	}
	return c, nil
}

// setUp fills in the interface page: the ring pages' grants, the orders,
// cli_live 2 (no client yet), a request for the client's writes, and
// srv_live 1 last.
func (c *Conn) setUp(page, left, right []byte, lo, ro int, refs []gnttab.Ref) error {
	if offGrants+4*len(refs) > len(page) || (lo < pageOrder || ro < pageOrder) && offGrants+4*len(refs) > 1024 {
		return errors.New("too many ring pages for the interface page")
	}
	c.page = page
	for i, r := range refs {
		*(*uint32)(unsafe.Pointer(&page[offGrants+4*i])) = uint32(r)
	}
	c.rd = newRing(page, offLeft, left, "read")
	c.wr = newRing(page, offRight, right, "write")
	*(*uint16)(unsafe.Pointer(&page[offLeftOrder])) = uint16(lo)
	*(*uint16)(unsafe.Pointer(&page[offRightOrd])) = uint16(ro)
	page[offCliNotify] = notifyWrite // the client tells us when it writes
	page[offSrvNotify] = 0
	page[offCliLive] = liveWaiting
	atomic.StoreUint32(c.liveWord(), atomic.LoadUint32(c.liveWord())&^0xff00|liveOn<<8) // srv_live = 1, last
	c.ends = stream.Ends{
		Changed: c.port.Changed,
		Closed: func() error {
			if c.isClosed() {
				return ErrClosed
			}
			return nil
		},
		Arm: func(reader bool) {
			if reader {
				c.orByte(offCliNotify, notifyWrite)
			} else {
				c.orByte(offCliNotify, notifyRead)
			}
		},
		// libxenvchan_is_open: a server's peer is open while cli_live is
		// not 0, so a client that has not connected yet (2) is waited for.
		Gone: func() bool { return c.byteAt(offCliLive) == liveGone },
	}
	return nil
}

// publish puts the page's grant reference and the event channel in
// xenstore, readable by the peer only, in one transaction (libxenvchan's
// init_xs_srv): a client never sees one key without the other.
func publish(ctx context.Context, xs *xenstore.Client, path string, peer uint16, ref gnttab.Ref, port uint32) error {
	self, err := xs.Read(ctx, "domid")
	if err != nil {
		return fmt.Errorf("reading domid: %w", err)
	}
	me, err := strconv.ParseUint(string(self), 10, 16)
	if err != nil {
		return fmt.Errorf("domid is %q", self)
	}
	perms := []xenstore.Perm{{Domain: uint16(me), Access: xenstore.AccessNone}, {Domain: peer, Access: xenstore.AccessRead}}
	return xs.Transact(ctx, func(tx *xenstore.Tx) error {
		for _, kv := range [][2]string{
			{"ring-ref", strconv.FormatUint(uint64(ref), 10)},
			{"event-channel", strconv.FormatUint(uint64(port), 10)},
		} {
			if err := tx.Write(ctx, path+"/"+kv[0], []byte(kv[1])); err != nil {
				return err
			}
			if err := tx.SetPerms(ctx, path+"/"+kv[0], perms); err != nil {
				return err
			}
		}
		return nil
	})
}

// liveWord is the aligned 32-bit word holding the orders' neighbours
// cli_live, srv_live, cli_notify, srv_notify (offsets 20-23).
func (c *Conn) liveWord() *uint32 { return (*uint32)(unsafe.Pointer(&c.page[offCliLive])) }

func (c *Conn) byteAt(off int) uint8 {
	return uint8(atomic.LoadUint32(c.liveWord()) >> (8 * (off - offCliLive)))
}

// orByte and andByte update one of the four bytes atomically, as the
// peer's __sync_fetch_and_or/and do.
func (c *Conn) orByte(off int, bits uint8) {
	atomic.OrUint32(c.liveWord(), uint32(bits)<<(8*(off-offCliLive)))
}

func (c *Conn) andNotByte(off int, bits uint8) (old uint8) {
	w := atomic.AndUint32(c.liveWord(), ^(uint32(bits) << (8 * (off - offCliLive))))
	return uint8(w >> (8 * (off - offCliLive)))
}

// WaitClient waits until the client has connected (cli_live 1).
func (c *Conn) WaitClient(ctx context.Context) error {
	for {
		ev := c.port.Changed()
		switch c.byteAt(offCliLive) {
		case liveOn:
			return nil
		case liveGone:
			return fmt.Errorf("vchan %s: the client closed before it connected", c.Path)
		}
		select {
		case <-ev:
		case <-ctx.Done():
			return fmt.Errorf("vchan %s: waiting for the client of domain %d: %w", c.Path, c.Peer, ctx.Err())
		}
	}
}

// Port is the event channel's local port (for diagnostics).
func (c *Conn) Port() uint32 { return c.portNum }

// RingSizes returns the sizes of the read and the write ring.
func (c *Conn) RingSizes() (read, write int) { return len(c.rd.q.Data), len(c.wr.q.Data) }

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// notify sends an event if the client asked for this one (its request is
// a bit in srv_notify), clearing the request.
func (c *Conn) notify(bit uint8) {
	if c.andNotByte(offSrvNotify, bit)&bit != 0 {
		c.port.Notify()
	}
}

// Read reads what the client wrote, blocking until there is some. It
// returns io.EOF once the client has closed and the ring is empty.
func (c *Conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.ends.Read(p, func(p []byte) (int, error) {
		n, err := c.rd.get(p)
		if n > 0 {
			c.notify(notifyRead)
		}
		return n, err
	})
}

// Write writes all of p, blocking while the ring is full. It fails with
// io.ErrClosedPipe once the client has gone.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ends.Write(p, func(p []byte) (int, error) {
		n, err := c.wr.put(p)
		if n > 0 {
			c.notify(notifyWrite)
		}
		return n, err
	})
}

// ErrClosed is returned by Read and Write after Close.
var ErrClosed = errors.New("vchan: closed")

// Close marks the server gone (srv_live 0), tells the client, removes the
// xenstore keys and releases the pages and the port. The path can be
// served again.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	c.port.Wake()
	c.rmu.Lock()
	c.wmu.Lock()
	defer c.rmu.Unlock()
	defer c.wmu.Unlock()
	c.andNotByte(offSrvLive, 0xff)
	c.port.Notify()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	c.xs.Rm(ctx, c.Path+"/ring-ref")
	c.xs.Rm(ctx, c.Path+"/event-channel")
	c.release()
	return nil
}

// closeTimeout bounds Close's removal of the xenstore keys.
const closeTimeout = 5 * time.Second

func (c *Conn) release() {
	if c.port != nil {
		c.port.Close()
	}
	for i := len(c.shares) - 1; i >= 0; i-- { // the ring pages, then the interface page
		c.shares[i].Close()
	}
}
