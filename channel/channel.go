package channel

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

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/internal/ring/stream"
	"github.com/goxen/goxen/xenstore"
)

// Info describes a channel the toolstack gave the domain.
type Info struct {
	Name      string // the name= of the xl.cfg line
	Dev       int    // console device number (1 and up)
	Dir       string // the frontend's xenstore directory, relative to the domain's home
	Backend   string // the backend's xenstore directory
	BackendID uint16 // the backend's domain (QEMU's: dom0 in a plain set-up)
}

// List returns the channels the toolstack gave this domain, by device
// number. Consoles without a name (device 0, the main console) are not
// channels and are left out.
func List(ctx context.Context, xs *xenstore.Client) ([]Info, error) {
	devs, err := xs.Directory(ctx, "device/console")
	if errors.Is(err, xenstore.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("channel: listing device/console: %w", err)
	}
	var out []Info
	for _, d := range devs {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			continue
		}
		info, err := readInfo(ctx, xs, n)
		if err != nil {
			return nil, err
		}
		if info.Name != "" {
			out = append(out, info)
		}
	}
	sortInfos(out)
	return out, nil
}

func readInfo(ctx context.Context, xs *xenstore.Client, n int) (Info, error) {
	dir := "device/console/" + strconv.Itoa(n)
	name, err := xs.Read(ctx, dir+"/name")
	if errors.Is(err, xenstore.ENOENT) {
		return Info{Dev: n, Dir: dir}, nil
	}
	if err != nil {
		return Info{}, fmt.Errorf("channel: %s/name: %w", dir, err)
	}
	be, err := xs.Read(ctx, dir+"/backend")
	if err != nil {
		return Info{}, fmt.Errorf("channel %q: %s/backend: %w", name, dir, err)
	}
	bid, err := xs.Read(ctx, dir+"/backend-id")
	if err != nil {
		return Info{}, fmt.Errorf("channel %q: %s/backend-id: %w", name, dir, err)
	}
	id, err := strconv.ParseUint(string(bid), 10, 16)
	if err != nil || id >= 0x7ff0 {
		return Info{}, fmt.Errorf("channel %q: %s/backend-id is %q, not a domain id", name, dir, bid)
	}
	return Info{Name: string(name), Dev: n, Dir: dir, Backend: string(be), BackendID: uint16(id)}, nil
}

func sortInfos(s []Info) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Dev < s[j-1].Dev; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Lookup finds a channel by name.
func Lookup(ctx context.Context, xs *xenstore.Client, name string) (Info, error) {
	all, err := List(ctx, xs)
	if err != nil {
		return Info{}, err
	}
	for _, c := range all {
		if c.Name == name {
			return c, nil
		}
	}
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = c.Name
	}
	return Info{}, fmt.Errorf("channel %q: not given to this domain (it has %q): %w", name, names, ErrNoChannel)
}

// ErrNoChannel: the toolstack gave the domain no channel of that name.
var ErrNoChannel = errors.New("no such channel")

// Channel is an open channel: an io.ReadWriteCloser. Reads and writes may
// run at the same time, from different goroutines.
type Channel struct {
	Info
	xs      *xenstore.Client
	mem     io.Closer // the shared ring page
	port    events
	portNum uint32

	rmu, wmu sync.Mutex
	rd, wr   console.Ring // one Ring per direction: each is used by one side only
	ends     stream.Ends

	mu     sync.Mutex
	eof    bool // the backend went away
	closed bool
	done   chan struct{} // closed by Close
}

// events is what a Channel needs of its event channel: an *evtchn.Port,
// or a test's fake.
type events interface {
	Changed() <-chan struct{}
	Wake()
	Notify() error
	Close() error
}

// Open connects to the channel called name, walking the xenbus state
// machine to Connected. It waits for the backend (QEMU) as long as ctx
// allows.
func Open(ctx context.Context, xs *xenstore.Client, name string) (*Channel, error) {
	info, err := Lookup(ctx, xs, name)
	if err != nil {
		return nil, err
	}
	return OpenInfo(ctx, xs, info)
}

// OpenInfo is Open for a channel found with List.
func OpenInfo(ctx context.Context, xs *xenstore.Client, info Info) (c *Channel, err error) {
	c = &Channel{Info: info, xs: xs, done: make(chan struct{})}
	fail := func(doing string, err error) (*Channel, error) {
		c.release()
		return nil, fmt.Errorf("channel %q: %s: %w", info.Name, doing, err)
	}
	ga, err := gnttab.OpenAlloc()
	if err != nil {
		return fail("sharing the ring page", err)
	}
	mem, err := ga.Share(info.BackendID, 1, false)
	ga.Close() // the share lives on until released
	if err != nil {
		return fail("sharing the ring page", err)
	}
	c.mem = mem
	port, err := evtchn.BindUnboundPort(info.BackendID)
	if err != nil {
		return fail("event channel", err)
	}
	c.port, c.portNum = port, port.Number
	if err := c.connect(ctx, mem.Mem, mem.Refs[0]); err != nil {
		c.release()
		return nil, err
	}
	return c, nil
}

// connect sets up the rings on page (granted as ref), publishes the
// ring and the port and walks the state machine to Connected.
func (c *Channel) connect(ctx context.Context, page []byte, ref gnttab.Ref) error {
	fail := func(doing string, err error) error {
		return fmt.Errorf("channel %q: %s: %w", c.Name, doing, err)
	}
	intf := (*console.Interface)(unsafe.Pointer(&page[0]))
	c.rd = console.Ring{Page: intf, Kick: c.kick}
	c.wr = console.Ring{Page: intf, Kick: c.kick}
	c.ends = stream.Ends{
		Changed: c.port.Changed,
		Closed: func() error {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.closed {
				return ErrClosed
			}
			return nil
		},
		Gone: func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.eof
		},
	}

	back, err := c.backendState(ctx)
	if err != nil {
		return fail("reading the backend's state", err)
	}
	// A backend that served an earlier Open is Closed; it starts again
	// when the frontend says Initialising (QEMU's xen_be_try_reset).
	first, ph := StateInitialised, connecting
	if back == StateClosed || back == StateClosing {
		first, ph = StateInitialising, reconnecting
	}
	err = c.xs.Transact(ctx, func(tx *xenstore.Tx) error {
		for _, kv := range [][2]string{
			{"ring-ref", strconv.FormatUint(uint64(ref), 10)},
			{"port", strconv.FormatUint(uint64(c.portNum), 10)},
			{"state", strconv.Itoa(int(first))},
		} {
			if err := tx.Write(ctx, c.Dir+"/"+kv[0], []byte(kv[1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail("publishing ring-ref and port", err)
	}
	if err := c.waitBackend(ctx, ph); err != nil {
		return fail("connecting", err)
	}
	if err := c.setState(ctx, StateConnected); err != nil {
		return fail("connecting", err)
	}
	go c.watchBackend()
	return nil
}

func (c *Channel) kick() { c.port.Notify() }

func (c *Channel) backendState(ctx context.Context) (State, error) {
	v, err := c.xs.Read(ctx, c.Backend+"/state")
	if errors.Is(err, xenstore.ENOENT) {
		return StateUnknown, nil
	}
	if err != nil {
		return 0, err
	}
	return ParseState(v)
}

func (c *Channel) setState(ctx context.Context, s State) error {
	return c.xs.Write(ctx, c.Dir+"/state", []byte(strconv.Itoa(int(s))))
}

// waitBackend follows the backend's state until frontendStep says what to
// do: connected (nil) or not.
func (c *Channel) waitBackend(ctx context.Context, ph phase) error {
	return c.followBackend(ctx, func(back State) (bool, error) {
		switch frontendStep(ph, back) {
		case stepConnect:
			return true, nil
		case stepEOF:
			return true, fmt.Errorf("the backend is %v", back)
		case stepFail:
			return true, fmt.Errorf("the backend is in state %v", back)
		}
		return false, nil
	})
}

// followBackend calls done with the backend's state, now and at each
// change, until it says so.
func (c *Channel) followBackend(ctx context.Context, done func(State) (bool, error)) error {
	w, err := c.xs.Watch(ctx, c.Backend+"/state")
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		back, err := c.backendState(ctx)
		if err != nil {
			return err
		}
		if ok, err := done(back); ok {
			return err
		}
		select {
		case <-w.Events():
		case <-ctx.Done():
			return fmt.Errorf("waiting for the backend (%v): %w", back, ctx.Err())
		}
	}
}

// watchBackend marks the stream ended when the backend leaves Connected.
func (c *Channel) watchBackend() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-c.done
		cancel()
	}()
	if c.waitBackend(ctx, connected) != nil && ctx.Err() == nil {
		c.mu.Lock()
		c.eof = true
		c.mu.Unlock()
		c.port.Wake()
	}
}

// Read reads what the other side sent, blocking until there is some.
// It returns io.EOF once the backend has gone away and in[] is empty.
func (c *Channel) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.ends.Read(p, func(p []byte) (int, error) {
		n, err := c.rd.Read(p)
		return n, ringError(err)
	})
}

// Write writes all of p, blocking while the ring is full.
func (c *Channel) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ends.Write(p, func(p []byte) (int, error) {
		n, err := c.wr.Write(p) // no Wait: a full out[] gives ErrNoWait, and ends waits
		if err == console.ErrNoWait {
			err = nil
		}
		return n, ringError(err)
	})
}

// ErrClosed is returned by Read and Write after Close.
var ErrClosed = errors.New("channel: closed")

// ringError copies a ring's error, which the Ring reuses.
func ringError(err error) error {
	if err == nil {
		return nil
	}
	var ie *console.IndexError
	if errors.As(err, &ie) {
		e := *ie
		return &e
	}
	return err
}

// Close waits until the backend has read everything written (drain),
// walks the state machine down (Closing, then Closed, once the backend
// has let go of the ring) and releases the page and the port. Bytes the
// backend never read make it return an error saying how many. The
// channel can be opened again.
func (c *Channel) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	close(c.done)
	c.mu.Unlock()
	c.port.Wake()
	// Let the reader and the writer see closed before the ring goes.
	c.rmu.Lock()
	c.wmu.Lock()
	defer c.rmu.Unlock()
	defer c.wmu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	// What was written reaches the other side before the ring goes: the
	// backend stops reading out[] once it sees Closing.
	err := drain(ctx, c.wr.Pending, c.port.Changed, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.eof
	})
	if err2 := c.setState(ctx, StateClosing); err == nil {
		err = err2
	}
	if err == nil {
		err = c.waitClosed(ctx)
	}
	if err2 := c.setState(ctx, StateClosed); err == nil {
		err = err2
	}
	c.release()
	if err != nil {
		return fmt.Errorf("channel %q: closing: %w", c.Name, err)
	}
	return nil
}

// drainPoll is how often drain looks at out[] when no event comes: a
// backend need not signal after it consumed output.
const drainPoll = 5 * time.Millisecond

// drain waits until the backend has consumed everything in out[]
// (pending reports 0), waking on the port's events (changed) and every
// drainPoll. Bytes that can no longer reach the other side are an error
// that says how many: the backend left Connected (ended), ctx ran out, or
// the ring's indices went bad.
func drain(ctx context.Context, pending func() (int, error), changed func() <-chan struct{}, ended func() bool) error {
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		ev := changed()
		n, err := pending()
		if err != nil {
			return ringError(err)
		}
		if n == 0 {
			return nil
		}
		if ended() {
			return fmt.Errorf("%d bytes written were not read: the backend left", n)
		}
		select {
		case <-ev:
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("%d bytes written were not read by the backend: %w", n, ctx.Err())
		}
	}
}

// waitClosed waits for the backend to leave Connected (it unmaps the ring
// on the way).
func (c *Channel) waitClosed(ctx context.Context) error {
	return c.followBackend(ctx, func(back State) (bool, error) {
		return back == StateClosing || back == StateClosed || back == StateUnknown, nil
	})
}

// release gives back the port and the page.
func (c *Channel) release() {
	if c.port != nil {
		c.port.Close()
	}
	if c.mem != nil {
		c.mem.Close()
	}
}

// Indices returns the ring's four indices as they are now (the console
// page's in_prod, in_cons, out_prod, out_cons), for diagnostics.
func (c *Channel) Indices() (inProd, inCons, outProd, outCons uint32) {
	p := c.rd.Page
	return atomic.LoadUint32(&p.InProd), atomic.LoadUint32(&p.InCons), atomic.LoadUint32(&p.OutProd), atomic.LoadUint32(&p.OutCons)
}
