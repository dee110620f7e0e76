package xenstore

import (
	"context"
	"io"
	"strconv"
	"sync"
	"time"
)

// DefaultTimeout bounds each request of a new Client whose context has no
// deadline of its own (see SetTimeout). It is a safety net against a server
// that stops answering without closing the connection.
const DefaultTimeout = 30 * time.Second

// How much the Client remembers for a server that does not answer: the
// requests abandoned while their reply was awaited (whose reply is then
// dropped quietly), and the tokens of ended watches (whose late events
// are dropped quietly). Beyond these, the oldest are forgotten.
const (
	maxAbandoned = 256
	maxRetired   = 256
)

// ConnError is the error of every request once the connection is dead: the
// transport failed or ended, or the byte stream lost its framing. Err says
// why (io.EOF, a *LengthError, the transport's error).
type ConnError struct {
	Err error
}

func (e *ConnError) Error() string { return "xenstore: connection lost: " + e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }

// ProtocolError is a message from the server that breaks the protocol
// without breaking the framing of the stream: a reply whose req_id matches
// no outstanding request, a reply of the wrong type, a malformed payload, a
// watch event for a token nobody registered. The connection stays usable.
// A reply of the wrong type, or malformed, is the error of the request it
// answers; the others are counted and handed to the error handler (see
// Client.SetErrorHandler and Client.ProtocolErrors).
type ProtocolError struct {
	Header Header // the message at fault
	Reason string
}

func (e *ProtocolError) Error() string {
	return "xenstore: protocol error: " + e.Reason + " (message type " +
		strconv.FormatUint(uint64(e.Header.Type), 10) + " " + TypeName(e.Header.Type) +
		", req_id " + strconv.FormatUint(uint64(e.Header.ReqID), 10) +
		", tx_id " + strconv.FormatUint(uint64(e.Header.TxID), 10) +
		", len " + strconv.FormatUint(uint64(e.Header.Len), 10) + ")"
}

// Client talks to xenstore over a byte-stream transport that carries the
// wire format unchanged in both directions: whole request messages are
// written, and replies and watch events are read as a stream. That is what
// Linux's /dev/xen/xenbus and xenstored's Unix socket provide (and what the
// goxen kernel provides as /dev/xen/xenbus), so the same Client works in a
// goxen guest and in a Linux domain, dom0 included. Over a ring page use
// RingTransport.
//
// The Client picks request ids itself; a reader goroutine matches replies to
// requests by req_id, so requests from many goroutines may be outstanding at
// once, and hands XS_WATCH_EVENT messages to the Watch with their token. A
// writer goroutine sends one whole message per Write call.
//
// Every request ends: with its reply, with its context (or the Client's
// timeout, see SetTimeout), or with a *ConnError when the connection dies.
// The connection dies when the transport's Read fails or ends, when a
// message header announces more than XENSTORE_PAYLOAD_MAX bytes (the
// stream's framing is then lost), or when a Write fails after writing part
// of a message. A Write that fails having written nothing fails only its
// request (Linux's device refuses a message longer than 4096 bytes in
// total, header included, that way, and stays usable).
//
// A server that leaves requests unanswered costs bounded memory: the
// Client remembers at most maxAbandoned requests whose callers gave up,
// and maxRetired tokens of ended watches, forgetting the oldest first.
//
// Methods are safe for concurrent use.
type Client struct {
	rwc   io.ReadWriteCloser
	sendq chan *call
	done  chan struct{} // closed when the connection ends

	mu        sync.Mutex
	err       error // why the connection ended: ErrClosed or a *ConnError
	nextID    uint32
	calls     map[uint32]*call
	abandoned int // how many of calls are abandoned
	seq       uint64
	watches   map[string]*Watch
	retired   map[string]uint64 // tokens of ended watches, with seq: late events are dropped quietly
	nextToken uint64
	timeout   time.Duration
	onError   func(error)
	nproto    uint64
	lastProto error

	closeOnce sync.Once
}

type call struct {
	typ       uint32
	id        uint32
	msg       []byte      // header and payload
	ch        chan result // buffered: the one result is sent under Client.mu
	abandoned bool        // the caller gave up waiting (under Client.mu)
	seq       uint64      // when it was abandoned (Client.seq)
}

type result struct {
	h       Header // the reply's header, when there was a reply
	payload []byte
	err     error
}

// New starts a Client on rwc: a reader and a writer goroutine, which end
// when the connection does. Close the Client to close rwc; rwc's Close
// must end a Read in progress, or the reader goroutine (and whatever the
// Read holds) outlives the Client.
func New(rwc io.ReadWriteCloser) *Client {
	c := &Client{
		rwc:     rwc,
		sendq:   make(chan *call, 16),
		done:    make(chan struct{}),
		calls:   map[uint32]*call{},
		watches: map[string]*Watch{},
		retired: map[string]uint64{},
		timeout: DefaultTimeout,
	}
	go c.reader()
	go c.writer()
	return c
}

// SetTimeout sets the time a request may take when its context has no
// deadline; 0 means no limit. The default is DefaultTimeout.
func (c *Client) SetTimeout(d time.Duration) {
	c.mu.Lock()
	c.timeout = d
	c.mu.Unlock()
}

// SetErrorHandler sets a function called with every *ProtocolError that
// belongs to no request (a reply to no outstanding request, a watch event
// for an unknown token or a malformed one). It runs on the reader goroutine:
// it must return promptly and must not call the Client. Nil removes it.
func (c *Client) SetErrorHandler(f func(error)) {
	c.mu.Lock()
	c.onError = f
	c.mu.Unlock()
}

// ProtocolErrors returns how many protocol errors belonged to no request,
// and the latest of them.
func (c *Client) ProtocolErrors() (n uint64, last error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nproto, c.lastProto
}

// Err returns nil while the connection is usable, then why it ended:
// ErrClosed after Close, else a *ConnError.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done returns a channel closed when the connection ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// Close ends the connection: outstanding requests fail with ErrClosed,
// watch channels close, and the transport is closed. It returns the
// transport's Close error the first time, nil after.
func (c *Client) Close() error {
	c.shutdown(ErrClosed)
	return c.closeRWC()
}

// closeRWC closes the transport once; it returns Close's error to the first
// caller only.
func (c *Client) closeRWC() error {
	var err error
	c.closeOnce.Do(func() { err = c.rwc.Close() })
	return err
}

// shutdown ends the connection with err, once.
func (c *Client) shutdown(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	close(c.done)
	for id, cl := range c.calls {
		c.remove(id, cl)
		if !cl.abandoned {
			cl.ch <- result{err: err}
		}
	}
	watches := c.watches
	c.watches = map[string]*Watch{}
	c.retired = map[string]uint64{} // every event is dropped quietly from now on
	c.mu.Unlock()
	for _, w := range watches {
		w.end(err)
	}
}

// die ends the connection because of the transport or the stream.
func (c *Client) die(err error) {
	c.shutdown(&ConnError{Err: err})
	c.closeRWC()
}

// request sends one message and waits for its reply. An XS_ERROR reply is
// returned as an Errno (or UnknownError).
func (c *Client) request(ctx context.Context, typ, tx uint32, payload []byte) (result, error) {
	h := Header{Type: typ, TxID: tx, Len: uint32(len(payload))}
	if err := ValidateRequest(h, payload); err != nil {
		return result{}, err
	}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return result{}, err
	}
	timeout := c.timeout
	cl := &call{typ: typ, ch: make(chan result, 1)}
	for {
		c.nextID++
		if _, busy := c.calls[c.nextID]; c.nextID != 0 && !busy {
			break
		}
	}
	cl.id = c.nextID
	c.calls[cl.id] = cl
	c.mu.Unlock()

	h.ReqID = cl.id
	cl.msg = make([]byte, HeaderSize+len(payload))
	h.Encode(cl.msg)
	copy(cl.msg[HeaderSize:], payload)

	if _, ok := ctx.Deadline(); !ok && timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	select {
	case c.sendq <- cl:
	case r := <-cl.ch: // the connection died first
		return r, r.err
	case <-ctx.Done():
		return c.abandon(cl, false, ctx.Err())
	}
	select {
	case r := <-cl.ch:
		return r, r.err
	case <-ctx.Done():
		return c.abandon(cl, true, ctx.Err())
	}
}

// abandon gives up on cl because of err (the context's). If the result came
// in meanwhile it is returned after all. Otherwise a request never queued is
// forgotten, and the reply to one that was is dropped when it comes (with
// whatever undoing it needs, see dropped).
func (c *Client) abandon(cl *call, queued bool, err error) (result, error) {
	c.mu.Lock()
	if _, pending := c.calls[cl.id]; pending {
		if queued {
			c.markAbandoned(cl)
		} else {
			c.remove(cl.id, cl)
		}
		c.mu.Unlock()
		return result{}, err
	}
	c.mu.Unlock()
	// Not pending: the result was sent (under c.mu) before we looked.
	r := <-cl.ch
	return r, r.err
}

// markAbandoned remembers that cl's reply is to be dropped when it comes,
// and forgets the longest-abandoned request beyond maxAbandoned: a server
// that never answers must not make the Client grow. A reply to a
// forgotten request is then a ProtocolError, and a transaction it started
// stays open on the server until the connection ends. (Its id is not
// reused before 2^32 more requests.) c.mu is held.
func (c *Client) markAbandoned(cl *call) {
	c.seq++
	cl.abandoned = true
	cl.seq = c.seq
	c.abandoned++
	if c.abandoned <= maxAbandoned {
		return
	}
	var oldest *call
	for _, o := range c.calls {
		if o.abandoned && (oldest == nil || o.seq < oldest.seq) {
			oldest = o
		}
	}
	c.remove(oldest.id, oldest)
}

// remove takes request id, cl, off the outstanding ones. c.mu is held.
func (c *Client) remove(id uint32, cl *call) {
	delete(c.calls, id)
	if cl.abandoned {
		c.abandoned--
	}
}

// dropped handles the reply to an abandoned request. A transaction started
// for a caller that gave up would stay open on the server: end it.
func (c *Client) dropped(cl *call, r result) {
	if cl.typ != XS_TRANSACTION_START || r.err != nil {
		return
	}
	if id, err := parseTxID(r.payload); err == nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), c.currentTimeout())
			defer cancel()
			c.request(ctx, XS_TRANSACTION_END, id, []byte("F\x00"))
		}()
	}
}

func (c *Client) currentTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timeout > 0 {
		return c.timeout
	}
	return DefaultTimeout
}

// writer sends queued requests, one whole message per Write.
func (c *Client) writer() {
	for {
		var cl *call
		select {
		case cl = <-c.sendq:
		case <-c.done:
			return
		}
		n, err := c.rwc.Write(cl.msg)
		if err == nil && n < len(cl.msg) {
			err = io.ErrShortWrite
		}
		if err == nil {
			continue
		}
		if n > 0 {
			// Part of a message is out: the server's framing is broken.
			c.die(&writeError{typ: cl.typ, n: n, total: len(cl.msg), err: err})
			return
		}
		c.complete(cl.id, result{err: &writeError{typ: cl.typ, err: err}})
	}
}

// writeError is a failed Write of a request: of nothing (n == 0, the
// request's error) or of part of it (the connection's).
type writeError struct {
	typ      uint32
	n, total int
	err      error
}

func (e *writeError) Error() string {
	if e.n == 0 {
		return "xenstore: sending " + TypeName(e.typ) + ": " + e.err.Error()
	}
	return "writing " + TypeName(e.typ) + " failed after " + strconv.Itoa(e.n) + " of " +
		strconv.Itoa(e.total) + " bytes: " + e.err.Error()
}
func (e *writeError) Unwrap() error { return e.err }

// truncatedError is a stream that ended inside a message.
type truncatedError struct{ n int }

func (e *truncatedError) Error() string {
	return "stream ended inside a message (" + strconv.Itoa(e.n) + " bytes of it received): " +
		io.ErrUnexpectedEOF.Error()
}
func (e *truncatedError) Unwrap() error { return io.ErrUnexpectedEOF }

// reader cuts the stream into messages and dispatches them.
func (c *Client) reader() {
	buf := make([]byte, MaxMessage)
	f := new(Framer)
	for {
		n, err := c.rwc.Read(buf)
		p := buf[:n]
		for len(p) > 0 {
			k, ok, ferr := f.Feed(p)
			p = p[k:]
			if ferr != nil {
				le := *ferr.(*LengthError) // a copy: the Framer's is reused
				c.die(&le)
				return
			}
			if ok {
				c.dispatch(f.Message())
			}
		}
		if err != nil {
			if err == io.EOF && f.Buffered() > 0 {
				err = &truncatedError{f.Buffered()}
			}
			c.die(err)
			return
		}
		select {
		case <-c.done:
			return
		default:
		}
	}
}

// dispatch handles one complete message from the server. payload aliases
// the reader's Framer.
func (c *Client) dispatch(h Header, payload []byte) {
	if h.Type == XS_WATCH_EVENT {
		// req_id and tx_id are 0 from xenstored, but Linux's device leaves
		// them uninitialised: only the token counts.
		c.event(h, payload)
		return
	}
	c.mu.Lock()
	cl := c.calls[h.ReqID]
	if cl == nil {
		dead := c.err != nil // after Close every reply is unexpected
		c.mu.Unlock()
		if !dead {
			c.protocolError(&ProtocolError{Header: h, Reason: "reply to no outstanding request"})
		}
		return
	}
	c.remove(h.ReqID, cl)
	r := result{h: h}
	switch h.Type {
	case XS_ERROR:
		r.err = ParseError(payload)
	case cl.typ:
		r.payload = append([]byte{}, payload...)
	default:
		r.err = &ProtocolError{Header: h, Reason: "reply of type " + TypeName(h.Type) +
			" to an " + TypeName(cl.typ) + " request"}
	}
	abandoned := cl.abandoned
	if !abandoned {
		cl.ch <- r // buffered, never blocks; sent under c.mu for abandon
	}
	c.mu.Unlock()
	if abandoned {
		c.dropped(cl, r)
	}
}

// complete ends request id with r, if it is still outstanding.
func (c *Client) complete(id uint32, r result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl := c.calls[id]; cl != nil {
		c.remove(id, cl)
		if !cl.abandoned {
			cl.ch <- r
		}
	}
}

// event hands an XS_WATCH_EVENT (<path>|<token>|, possibly followed by more
// fields from old servers) to its Watch.
func (c *Client) event(h Header, payload []byte) {
	fields, ok := splitFields(payload)
	if !ok || len(fields) < 2 {
		c.protocolError(&ProtocolError{Header: h, Reason: "malformed XS_WATCH_EVENT payload " +
			strconv.Quote(string(payload))})
		return
	}
	path, token := fields[XS_WATCH_PATH], fields[XS_WATCH_TOKEN]
	c.mu.Lock()
	w := c.watches[token]
	_, retired := c.retired[token]
	retired = retired || c.err != nil // after Close every event is late
	c.mu.Unlock()
	if w != nil {
		w.push(path)
	} else if !retired {
		c.protocolError(&ProtocolError{Header: h, Reason: "XS_WATCH_EVENT for unknown token " +
			strconv.Quote(token) + " (path " + strconv.Quote(path) + ")"})
	}
}

func (c *Client) protocolError(err *ProtocolError) {
	c.mu.Lock()
	c.nproto++
	c.lastProto = err
	f := c.onError
	c.mu.Unlock()
	if f != nil {
		f(err)
	}
}
