package xenstore

import (
	"sync/atomic"

	"github.com/goxen/goxen/internal/ring"
)

// The copies and index checks of req[] and rsp[] are package
// internal/ring's Queue, the one driver of Xen's byte rings (console,
// xenstore, vchan). Every other access to the page's integer fields below
// goes through sync/atomic too, as that package's doc explains.

// Ring drives the guest end of a xenstore page: it writes request bytes into
// req[] and reads reply and event bytes out of rsp[]. It knows nothing about
// messages; Framer cuts the rsp[] byte stream into messages, and the caller
// writes whole requests (header and payload).
//
// The zero value is not usable: set Page, and normally Kick and Wait.
// Write (with Pending, WaitConnected and Reconnect) and Read (with
// Available) touch disjoint halves of the page and separate error slots, so
// one goroutine or thread may write while another reads; calls on the same
// side must be serialised by the caller. Kick and Wait must then be safe to
// call from both.
//
// None of the methods allocate or store a Go pointer, on any path: the
// kernel calls them from system-call handlers, where the Go heap and write
// barriers are unusable. Errors are built in slots inside the Ring, from
// integers only, and returned by pointer.
type Ring struct {
	// Page is the shared page (see doc.go for how a guest finds it).
	Page *Interface

	// Kick notifies the server that the ring changed; the kernel passes a
	// function doing EVTCHNOP_send on the xenstore event channel. Write
	// calls it once per batch (after publishing, before waiting and before
	// returning), Read once after consuming, Reconnect once after setting
	// the connection field. Nil means no notification: the server must
	// poll.
	Kick func()

	// Wait is called when Write finds req[] full (after kicking the
	// batch), and by WaitConnected and Reconnect while a reconnect is in
	// progress. It must return when the server may have made progress (an
	// event arrived, a timer fired, or simply after a pause); returning
	// early is harmless, Ring re-reads the page. With a nil Wait nothing is
	// waited for: the methods return ErrNoWait instead of spinning.
	Wait func()

	// errs[RingReq] holds errors built by the writing side, errs[RingRsp]
	// those built by the reading side. The next error from the same side
	// overwrites its slot: a returned error is valid until then.
	errs [2]ringErrs
}

type ringErrs struct {
	index  IndexError
	conn   ConnectionError
	server ServerError
}

// Write copies p into req[], publishing req_prod after the data and kicking
// the server once per batch. When req[] is full it kicks, calls Wait and
// continues: no byte is ever dropped. It returns len(p) and nil unless:
//
//   - the page's state forbids use (checked before every batch): n bytes of
//     p were delivered, the error is a *ConnectionError (a reconnect is in
//     progress) or a *ServerError (the server stopped serving the ring);
//   - the indices are hostile: n bytes delivered, an *IndexError;
//   - req[] is full and Wait is nil: n bytes delivered, ErrNoWait;
//   - Page is nil: 0, ErrNoPage.
//
// Errors are valid until the next error from the writing side. An empty p
// returns 0, nil without looking at the page.
//
// Write does not know about messages: the caller writes whole requests and
// checks them first (ValidateRequest), since a header promising more than
// XENSTORE_PAYLOAD_MAX makes xenstored drop the connection.
func (r *Ring) Write(p []byte) (n int, err error) {
	if r.Page == nil {
		return 0, ErrNoPage
	}
	pr := ring.Producer{
		State:   func() error { return r.state(RingReq) },
		Hostile: func(prod, cons uint32) error { return r.hostile(RingReq, prod, cons) },
		Kick:    r.Kick,
		Wait:    r.Wait,
	}
	n, err = r.queue(RingReq).Write(p, &pr)
	if err == nil && n < len(p) {
		err = ErrNoWait
	}
	return n, err
}

// queue is req[] or rsp[].
func (r *Ring) queue(side RingID) ring.Queue {
	pg := r.Page
	if side == RingReq {
		return ring.Queue{Data: pg.Req[:], Prod: &pg.ReqProd, Cons: &pg.ReqCons}
	}
	return ring.Queue{Data: pg.Rsp[:], Prod: &pg.RspProd, Cons: &pg.RspCons}
}

// Read takes up to len(p) bytes that the server put in rsp[] and kicks the
// server once if it took any, so it knows there is room again. It never
// blocks: with nothing to read it returns 0, nil (wait for the xenstore
// event and call again). A reconnect in progress gives a *ConnectionError,
// a stopped server a *ServerError, hostile indices an *IndexError, all with
// 0 bytes and rsp_cons untouched; a nil Page gives ErrNoPage. An empty p
// returns 0, nil without looking at the page.
func (r *Ring) Read(p []byte) (int, error) {
	if r.Page == nil {
		return 0, ErrNoPage
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := r.state(RingRsp); err != nil {
		return 0, err
	}
	return r.queue(RingRsp).Read(p, func(prod, cons uint32) error { return r.hostile(RingRsp, prod, cons) }, r.Kick)
}

// Pending returns the number of bytes in req[] the server has not consumed
// yet, or the errors of Write.
func (r *Ring) Pending() (int, error) { return r.inFlight(RingReq) }

// Available returns the number of bytes waiting in rsp[] (what a Read could
// take now), or the errors of Read. A kernel uses it to answer poll().
func (r *Ring) Available() (int, error) { return r.inFlight(RingRsp) }

// inFlight is Pending and Available: the page's state, then the bytes
// between the side's indices.
func (r *Ring) inFlight(side RingID) (int, error) {
	if r.Page == nil {
		return 0, ErrNoPage
	}
	if err := r.state(side); err != nil {
		return 0, err
	}
	return r.queue(side).Used(func(prod, cons uint32) error { return r.hostile(side, prod, cons) })
}

// ServerFeatures returns the page's server_features bitmap
// (XENSTORE_SERVER_FEATURE_*), or 0 with a nil Page.
func (r *Ring) ServerFeatures() uint32 {
	if r.Page == nil {
		return 0
	}
	return atomic.LoadUint32(&r.Page.ServerFeatures)
}

// Connected reports whether the page's connection field is
// XENSTORE_CONNECTED (false with a nil Page).
func (r *Ring) Connected() bool {
	return r.Page != nil && atomic.LoadUint32(&r.Page.Connection) == XENSTORE_CONNECTED
}

// Err returns the state errors that Read and Write check before touching the
// indices: a *ConnectionError while the connection field is not
// XENSTORE_CONNECTED, a *ServerError when the server advertises
// XENSTORE_SERVER_FEATURE_ERROR and has set the error field, else nil. It
// uses the writing side's error slot.
func (r *Ring) Err() error {
	if r.Page == nil {
		return ErrNoPage
	}
	return r.state(RingReq)
}

// WaitConnected returns nil once the connection field reads
// XENSTORE_CONNECTED, calling Wait between looks at most maxWaits times.
// This is how a guest waits out a reconnect, including one it finds already
// in progress when it first maps the page (dom0less domains start that
// way). If the field is still not XENSTORE_CONNECTED after maxWaits waits it
// returns a *ConnectionError carrying the value and the count; it never
// hangs as long as Wait returns. A nil Wait gives ErrNoWait when a wait is
// needed. Once connected it also reports the error field, like Err.
//
// After a reconnect the server has emptied both queues and forgotten every
// request, watch and transaction: the caller must also Reset its Framer and
// fail or resend what was outstanding.
func (r *Ring) WaitConnected(maxWaits int) error {
	pg := r.Page
	if pg == nil {
		return ErrNoPage
	}
	for waits := 0; ; waits++ {
		c := atomic.LoadUint32(&pg.Connection)
		if c == XENSTORE_CONNECTED {
			return r.state(RingReq)
		}
		if waits >= maxWaits {
			e := &r.errs[RingReq].conn
			e.Connection = c
			e.Waits = uint32(waits)
			return e
		}
		if r.Wait == nil {
			return ErrNoWait
		}
		r.Wait()
	}
}

// Reconnect asks the server to reset the ring (xenstore-ring.txt, "The ring
// reconnection feature"): it sets the connection field to
// XENSTORE_RECONNECT, kicks, and waits like WaitConnected(maxWaits). The
// server then drops partial messages, empties both queues, forgets the
// connection's requests, watches and transactions, and sets the field back
// to XENSTORE_CONNECTED. It returns ErrNoReconnect, leaving the page alone,
// if the server does not advertise XENSTORE_SERVER_FEATURE_RECONNECTION.
// No other Ring method may run on either side during the reconnect.
func (r *Ring) Reconnect(maxWaits int) error {
	pg := r.Page
	if pg == nil {
		return ErrNoPage
	}
	if atomic.LoadUint32(&pg.ServerFeatures)&XENSTORE_SERVER_FEATURE_RECONNECTION == 0 {
		return ErrNoReconnect
	}
	atomic.StoreUint32(&pg.Connection, XENSTORE_RECONNECT)
	r.kick()
	return r.WaitConnected(maxWaits)
}

// state checks the fields that say whether the ring may be used at all. The
// connection field is checked whether or not the server advertises
// reconnection: a page whose reconnect was started by someone else (the
// dom0less case) may not advertise it yet, and on servers without the
// feature the field is zero. The error field is only meaningful with
// XENSTORE_SERVER_FEATURE_ERROR (xenstore-ring.txt).
func (r *Ring) state(side RingID) error {
	pg := r.Page
	if c := atomic.LoadUint32(&pg.Connection); c != XENSTORE_CONNECTED {
		e := &r.errs[side&1].conn
		e.Connection = c
		e.Waits = 0
		return e
	}
	if atomic.LoadUint32(&pg.ServerFeatures)&XENSTORE_SERVER_FEATURE_ERROR != 0 {
		if code := atomic.LoadUint32(&pg.Error); code != XENSTORE_ERROR_NONE {
			e := &r.errs[side&1].server
			e.Code = code
			return e
		}
	}
	return nil
}

func (r *Ring) kick() {
	if r.Kick != nil {
		r.Kick()
	}
}

func (r *Ring) hostile(side RingID, prod, cons uint32) error {
	e := &r.errs[side&1].index
	e.Ring = side
	e.Prod = prod
	e.Cons = cons
	return e
}
