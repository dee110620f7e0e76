package ring

import "sync/atomic"

// Queue is one byte queue of a shared page, as its driver sees it: the
// data (a power-of-two length) and the addresses of its two free-running
// indices in the page. Callers build one on the stack for each call (the
// console's out[], xenstore's req[], a vchan ring), so holding the
// pointers needs no write barrier.
//
// Every step is the same: snapshot both indices (consumer's first),
// check that no more is in flight than the queue holds, copy, publish the
// moved index after the data, kick. The indices are untrusted: a
// snapshot that claims more than the queue holds is reported through the
// caller's Hostile and nothing is copied, and every offset is masked, so
// no index can make a copy leave the queue.
type Queue struct {
	Data       []byte
	Prod, Cons *uint32
}

// snapshot loads the consumer's index, then the producer's, and checks
// them (InFlight).
func (q Queue) snapshot() (prod, cons, n uint32, ok bool) {
	cons = atomic.LoadUint32(q.Cons)
	prod = atomic.LoadUint32(q.Prod)
	n, ok = InFlight(prod, cons, uint32(len(q.Data)))
	return prod, cons, n, ok
}

// Hostile builds the caller's error for a snapshot no honest peer makes
// (each package has its own error type and message).
type Hostile func(prod, cons uint32) error

// Used returns the bytes in flight (what a consumer could take, what a
// producer has not seen consumed), or hostile's error.
func (q Queue) Used(hostile Hostile) (int, error) {
	prod, cons, n, ok := q.snapshot()
	if !ok {
		return 0, hostile(prod, cons)
	}
	return int(n), nil
}

// Read is a consumer's step: it copies up to len(p) bytes out of the
// queue, publishes the consumer index after the data loads and kicks
// (nil: no kick) if it took any. It never waits: an empty queue gives
// 0, nil.
func (q Queue) Read(p []byte, hostile Hostile, kick func()) (int, error) {
	prod, cons, avail, ok := q.snapshot()
	if !ok {
		return 0, hostile(prod, cons)
	}
	k := Get(q.Data, cons, avail, p)
	if k == 0 {
		return 0, nil
	}
	// The data loads in Get are ordered before this store, so the peer
	// cannot overwrite bytes not read yet.
	atomic.StoreUint32(q.Cons, cons+uint32(k))
	if kick != nil {
		kick()
	}
	return k, nil
}

// Producer is what a producer's loop (Queue.Write) needs besides the
// queue. Only Hostile is required. It holds no buffer: a function called
// through a pointer would make the compiler move every caller's buffer to
// the heap, which the kernel cannot afford.
type Producer struct {
	// CRLF makes Write translate every "\n" into "\r\n" (what a
	// terminal attached by xenconsoled expects). The pair is never
	// split: "\r" is only written when "\n" fits too.
	CRLF bool

	// State, if not nil, is checked before each step; its error stops
	// the loop (xenstore's connection and error fields).
	State func() error

	Hostile Hostile

	// Kick notifies the peer, once per batch of published data (before
	// waiting and at the end); nil: the peer polls. Wait returns when the
	// peer may have made room (returning early is harmless); nil: a full
	// queue ends the loop.
	Kick, Wait func()
}

// Write copies all of p into the queue, publishing the producer index
// after the data and kicking once per batch; on a full queue it kicks
// and waits. It returns the bytes of p delivered and the error that
// stopped it (State's or Hostile's); fewer than len(p) with a nil error
// means the queue was full and Wait nil. An empty p returns 0, nil
// without looking at the page.
func (q Queue) Write(p []byte, pr *Producer) (n int, err error) {
	var batch Batch
	size := uint32(len(q.Data))
	for n < len(p) {
		if pr.State != nil {
			if err = pr.State(); err != nil {
				break
			}
		}
		// Snapshot once for this step; the peer may move its index (or,
		// if hostile, anything) meanwhile.
		prod, cons, used, ok := q.snapshot()
		if !ok {
			err = pr.Hostile(prod, cons)
			break
		}
		var took int
		var wrote uint32
		// kernel:nopanic 0 <= n < len(p): n starts at 0 and grows by what Put took, and the loop runs while n < len(p)
		rest := p[n:]
		if pr.CRLF {
			took, wrote = putCRLF(q.Data, prod, size-used, rest)
		} else {
			took = Put(q.Data, prod, size-used, rest)
			wrote = uint32(took)
		}
		if wrote > 0 {
			// Release: the data stores above are ordered before this.
			atomic.StoreUint32(q.Prod, prod+wrote)
			n += took
			batch.Published()
			continue // re-snapshot: the peer may have made more room
		}
		if !batch.Full(pr.Kick, pr.Wait) {
			break
		}
	}
	batch.End(pr.Kick)
	return n, err
}

// putCRLF is Put with "\n" -> "\r\n". It returns the bytes of p taken and
// the bytes placed in q.
func putCRLF(q []byte, prod, free uint32, p []byte) (took int, wrote uint32) {
	mask := len(q) - 1 // MASK_XENCONS_IDX
	if mask < 0 {
		return 0, 0 // never, for a ring; it lets the compiler drop the bounds checks
	}
	for _, c := range p {
		need := uint32(1)
		if c == '\n' {
			need = 2
		}
		if free-wrote < need {
			break
		}
		if c == '\n' {
			q[int(prod+wrote)&mask] = '\r'
			wrote++
		}
		q[int(prod+wrote)&mask] = c
		wrote++
		took++
	}
	return took, wrote
}
