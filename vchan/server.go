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
	"github.com/goxen/goxen/xenstore"
)

// Conn is the server end of a vchan: an io.ReadWriteCloser. Reads and
// writes may run at the same time, from different goroutines.
type Conn struct {
	Path string // the xenstore directory holding ring-ref and event-channel
	Peer uint16 // the client's domain

	xs     *xenstore.Client
	shared *gnttab.Shared   // the vchan_interface page
	rings  []*gnttab.Shared // ring pages, left's then right's
	port   *evtchn.Port
	page   []byte

	rd, wr   byteRing // left (the client writes), right (we write)
	rmu, wmu sync.Mutex

	mu     sync.Mutex
	closed bool
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
	if c.shared, err = ga.Share(peer, 1, false); err != nil {
		return fail("sharing the interface page", err)
	}
	c.page = c.shared.Mem
	var refs []gnttab.Ref
	ringData := func(order, inPage int) ([]byte, error) {
		if order < pageOrder {
			return c.page[inPage : inPage+1<<order], nil
		}
		s, err := ga.Share(peer, pages(order), false)
		if err != nil {
			return nil, err
		}
		c.rings = append(c.rings, s)
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
	if offGrants+4*len(refs) > len(c.page) || (lo < pageOrder || ro < pageOrder) && offGrants+4*len(refs) > 1024 {
		return fail("laying out", errors.New("too many ring pages for the interface page"))
	}
	for i, r := range refs {
		*(*uint32)(unsafe.Pointer(&c.page[offGrants+4*i])) = uint32(r)
	}
	c.rd = newRing(c.page, offLeft, left, "read")
	c.wr = newRing(c.page, offRight, right, "write")
	*(*uint16)(unsafe.Pointer(&c.page[offLeftOrder])) = uint16(lo)
	*(*uint16)(unsafe.Pointer(&c.page[offRightOrd])) = uint16(ro)
	c.page[offCliNotify] = notifyWrite // the client tells us when it writes
	c.page[offSrvNotify] = 0
	c.page[offCliLive] = liveWaiting
	atomic.StoreUint32(c.liveWord(), atomic.LoadUint32(c.liveWord())&^0xff00|liveOn<<8) // srv_live = 1, last

	if c.port, err = evtchn.BindUnboundPort(peer); err != nil {
		return fail("event channel", err)
	}
	// If this program ends without Close, the kernel's release of the
	// page tells the client: srv_live cleared and an event.
	c.shared.NotifyOnRelease(gnttab.NotifyClearByte|gnttab.NotifySendEvent, offSrvLive, c.port.Number)

	// The keys, readable by the peer only (libxenvchan's permissions).
	self, err := xs.Read(ctx, "domid")
	if err != nil {
		return fail("reading domid", err)
	}
	me, err := strconv.ParseUint(string(self), 10, 16)
	if err != nil {
		return fail("reading domid", fmt.Errorf("domid is %q", self))
	}
	perms := []xenstore.Perm{{Domain: uint16(me), Access: xenstore.AccessNone}, {Domain: peer, Access: xenstore.AccessRead}}
	for _, kv := range [][2]string{
		{"ring-ref", strconv.FormatUint(uint64(c.shared.Refs[0]), 10)},
		{"event-channel", strconv.FormatUint(uint64(c.port.Number), 10)},
	} {
		if err := xs.Write(ctx, path+"/"+kv[0], []byte(kv[1])); err != nil {
			return fail("publishing "+kv[0], err)
		}
		if err := xs.SetPerms(ctx, path+"/"+kv[0], perms); err != nil {
			return fail("setting the permissions of "+kv[0], err)
		}
	}
	return c, nil
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
func (c *Conn) Port() uint32 { return c.port.Number }

// RingSizes returns the sizes of the read and the write ring.
func (c *Conn) RingSizes() (read, write int) { return len(c.rd.data), len(c.wr.data) }

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
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		ev := c.port.Changed()
		n, err := c.rd.get(p)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			c.notify(notifyRead)
			return n, nil
		}
		if c.isClosed() {
			return 0, ErrClosed
		}
		// Ask for an event on the next write, then look again: data
		// that came between the two is not waited for.
		c.orByte(offCliNotify, notifyWrite)
		if n, err = c.rd.get(p); err != nil || n > 0 {
			if n > 0 {
				c.notify(notifyRead)
			}
			return n, err
		}
		if c.byteAt(offCliLive) != liveOn {
			return 0, io.EOF
		}
		<-ev
	}
}

// Write writes all of p, blocking while the ring is full. It fails with
// io.ErrClosedPipe once the client has gone.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	done := 0
	for done < len(p) {
		ev := c.port.Changed()
		if c.isClosed() {
			return done, ErrClosed
		}
		if c.byteAt(offCliLive) != liveOn {
			return done, io.ErrClosedPipe
		}
		n, err := c.wr.put(p[done:])
		if err != nil {
			return done, err
		}
		if n > 0 {
			done += n
			c.notify(notifyWrite)
			continue
		}
		c.orByte(offCliNotify, notifyRead)
		if n, err = c.wr.put(p[done:]); err != nil {
			return done, err
		} else if n > 0 {
			done += n
			c.notify(notifyWrite)
			continue
		}
		<-ev
	}
	return done, nil
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
	for _, r := range c.rings {
		r.Close()
	}
	if c.shared != nil {
		c.shared.Close()
	}
}
