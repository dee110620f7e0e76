package console

import (
	"sync/atomic"

	"github.com/goxen/goxen/internal/ring"
)

// Memory ordering: every index access below goes through sync/atomic, as
// package internal/ring's doc explains once for all of Xen's byte rings
// (console, xenstore, vchan).

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
	var batch ring.Batch // data published since the last kick
	for n < len(p) {
		// Snapshot both indices once for this step; the backend may move
		// out_cons (or, if hostile, anything) while we work.
		cons := atomic.LoadUint32(&pg.OutCons)
		prod := atomic.LoadUint32(&pg.OutProd)
		used, ok := ring.InFlight(prod, cons, OutSize)
		if !ok {
			err = r.hostile(OutBuffer, prod, cons)
			break
		}
		var took int
		var wrote uint32
		if r.CRLF {
			took, wrote = fillCRLF(&pg.Out, prod, OutSize-used, p[n:])
		} else {
			took = ring.Put(pg.Out[:], prod, OutSize-used, p[n:])
			wrote = uint32(took)
		}
		if wrote > 0 {
			// Release: the data stores above are ordered before this.
			atomic.StoreUint32(&pg.OutProd, prod+wrote)
			n += took
			batch.Published()
			continue // re-snapshot: the backend may have freed more room
		}
		// Full (or, with CRLF, one byte short of a "\r\n"): hand the batch
		// to the backend and wait for it to make room.
		if !batch.Full(r.Kick, r.Wait) {
			err = ErrNoWait
			break
		}
	}
	batch.End(r.Kick)
	return n, err
}

// fillCRLF is ring.Put into out[] with "\n" -> "\r\n". It returns the bytes
// of p taken and the bytes placed in out[].
func fillCRLF(out *[OutSize]byte, prod, free uint32, p []byte) (took int, wrote uint32) {
	for _, c := range p {
		need := uint32(1)
		if c == '\n' {
			need = 2
		}
		if free-wrote < need {
			break
		}
		if c == '\n' {
			out[maskOut(prod+wrote)] = '\r'
			wrote++
		}
		out[maskOut(prod+wrote)] = c
		wrote++
		took++
	}
	return took, wrote
}

// Read takes up to len(p) bytes that the backend put in in[] and kicks the
// backend once if it took any, so it knows there is room again. It never
// blocks: with nothing to read it returns 0, nil (note that io.Reader users
// expect blocking; poll or wait for the console event yourself). Hostile
// indices give 0 and an *IndexError; nil Page gives ErrNoPage.
func (r *Ring) Read(p []byte) (int, error) {
	pg := r.Page
	if pg == nil {
		return 0, ErrNoPage
	}
	cons := atomic.LoadUint32(&pg.InCons)
	prod := atomic.LoadUint32(&pg.InProd)
	avail, ok := ring.InFlight(prod, cons, InSize)
	if !ok {
		return 0, r.hostile(InBuffer, prod, cons)
	}
	k := ring.Get(pg.In[:], cons, avail, p)
	if k == 0 {
		return 0, nil
	}
	// The data loads above are ordered before this store, so the backend
	// cannot overwrite bytes we have not read yet.
	atomic.StoreUint32(&pg.InCons, cons+uint32(k))
	r.kick()
	return k, nil
}

// Pending returns the number of bytes in out[] the backend has not consumed
// yet, or an *IndexError for hostile indices.
func (r *Ring) Pending() (int, error) {
	pg := r.Page
	if pg == nil {
		return 0, ErrNoPage
	}
	cons := atomic.LoadUint32(&pg.OutCons)
	prod := atomic.LoadUint32(&pg.OutProd)
	used, ok := ring.InFlight(prod, cons, OutSize)
	if !ok {
		return 0, r.hostile(OutBuffer, prod, cons)
	}
	return int(used), nil
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

func (r *Ring) kick() {
	if r.Kick != nil {
		r.Kick()
	}
}

func (r *Ring) hostile(ring Buffer, prod, cons uint32) error {
	r.err = IndexError{Ring: ring, Prod: prod, Cons: cons}
	return &r.err
}
