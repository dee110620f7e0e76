package console

import "github.com/goxen/goxen/internal/ring"

// The copies, the index checks and the memory ordering are package
// internal/ring's Queue, the one driver of Xen's byte rings (console,
// xenstore, vchan); Ring says where the queues are and builds its errors.

// Ring drives the guest end of a console page. The zero value is not usable:
// set Page, and normally Kick and Wait. A Ring is not safe for concurrent use;
// the caller serialises Write, Read and Flush.
//
// None of the methods allocate, on any path (they run inside the kernel's
// syscall handler where the Go heap is unusable).
type Ring struct {
	// Page is the shared console page (see doc.go for how a guest finds it).
	Page *Interface

	// Kick notifies the backend that the ring changed; the kernel passes a
	// function doing EVTCHNOP_send on the console event channel. Write calls
	// it once per batch (after publishing, before waiting and before
	// returning), Read once after consuming. Nil means no notification: the
	// backend must poll.
	Kick func()

	// Wait is called when out[] is full, after the batch was kicked. It must
	// return when the backend may have made progress (an event arrived, a
	// timer fired, or simply after a pause); returning early is harmless,
	// Ring re-reads the indices. With a nil Wait a full ring is not waited
	// for: Write and Flush return ErrNoWait instead of spinning silently.
	Wait func()

	// CRLF makes Write translate every "\n" into "\r\n", which is what a
	// terminal attached by xenconsoled expects. The pair is never split:
	// "\r" is only written when "\n" fits too.
	CRLF bool

	// err is where a hostile-index error is built, so reporting it needs
	// no allocation. The next error from the same Ring overwrites it.
	err IndexError
}

// Write copies p into out[], publishing out_prod after the data and kicking
// the backend once per batch. When the ring is full it kicks, calls Wait and
// continues: no byte is ever dropped. It returns len(p) and nil unless:
//
//   - the indices are hostile: n bytes of p were delivered, the error is an
//     *IndexError (valid until the Ring's next error);
//   - the ring is full and Wait is nil: n bytes were delivered, ErrNoWait;
//   - Page is nil: 0, ErrNoPage.
//
// With CRLF set, n counts bytes of p, not bytes placed in the ring. An empty
// p returns 0, nil without looking at the page.
func (r *Ring) Write(p []byte) (n int, err error) {
	pg := r.Page
	if pg == nil {
		return 0, ErrNoPage
	}
	pr := ring.Producer{
		CRLF:    r.CRLF,
		Hostile: func(prod, cons uint32) error { return r.hostile(OutBuffer, prod, cons) },
		Kick:    r.Kick,
		Wait:    r.Wait,
	}
	n, err = r.out().Write(p, &pr)
	if err == nil && n < len(p) {
		err = ErrNoWait
	}
	return n, err
}

// out and in are the page's two queues.
func (r *Ring) out() ring.Queue {
	return ring.Queue{Data: r.Page.Out[:], Prod: &r.Page.OutProd, Cons: &r.Page.OutCons}
}

func (r *Ring) in() ring.Queue {
	return ring.Queue{Data: r.Page.In[:], Prod: &r.Page.InProd, Cons: &r.Page.InCons}
}

// Read takes up to len(p) bytes that the backend put in in[] and kicks the
// backend once if it took any, so it knows there is room again. It never
// blocks: with nothing to read it returns 0, nil (note that io.Reader users
// expect blocking; poll or wait for the console event yourself). Hostile
// indices give 0 and an *IndexError; nil Page gives ErrNoPage.
func (r *Ring) Read(p []byte) (int, error) {
	if r.Page == nil {
		return 0, ErrNoPage
	}
	return r.in().Read(p, func(prod, cons uint32) error { return r.hostile(InBuffer, prod, cons) }, r.Kick)
}

// Pending returns the number of bytes in out[] the backend has not consumed
// yet, or an *IndexError for hostile indices.
func (r *Ring) Pending() (int, error) {
	if r.Page == nil {
		return 0, ErrNoPage
	}
	return r.out().Used(func(prod, cons uint32) error { return r.hostile(OutBuffer, prod, cons) })
}

// Flush calls Wait until the backend has consumed everything in out[]
// (out_cons == out_prod). It does not kick: Write already kicked every batch
// it published. With nothing pending it returns at once, even with a nil
// Wait; with data pending and a nil Wait it returns ErrNoWait.
func (r *Ring) Flush() error {
	for {
		used, err := r.Pending()
		if err != nil || used == 0 {
			return err
		}
		if r.Wait == nil {
			return ErrNoWait
		}
		r.Wait()
	}
}

func (r *Ring) hostile(ring Buffer, prod, cons uint32) error {
	r.err = IndexError{Ring: ring, Prod: prod, Cons: cons}
	return &r.err
}
