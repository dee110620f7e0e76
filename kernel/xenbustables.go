package kernel

import "github.com/goxen/goxen/xenstore"

// The transactions and watches of the /dev/xen/xenbus files, which the
// kernel must know to end them when a file is closed and to register the
// watches again after a reconnect (xenbus.go, xsconn.go). Fixed tables;
// a watch's "path\0token\0[depth\0]" payload, as the program wrote it,
// lives in one byte pool, kept packed.

type txState uint8

const (
	txFree     txState = iota
	txStarting         // XS_TRANSACTION_START sent, its id not known yet
	txOpen
	txStale // a reconnect made xenstored forget it
	txAbort // its file was closed: the pump sends XS_TRANSACTION_END "F"
)

type xbTxEntry struct {
	owner int8 // slot+1, or -1 once the file was closed
	state txState
	id    uint32
}

var xbTx [maxXbTx]xbTxEntry

type watchState uint8

const (
	wFree    watchState = iota
	wActive             // asked for (and not refused)
	wUnwatch            // its file was closed: the pump sends XS_UNWATCH
	wRewatch            // a reconnect made xenstored forget it: the pump sends XS_WATCH again
)

type xbWatch struct {
	state  watchState
	slot   int8
	gen    uint32 // of the file, which is in the token's prefix
	off, n uint32 // its payload in xbWatchBytes
}

var (
	xbWatches    [maxXbWatch]xbWatch
	xbWatchBytes [xbWatchPool]byte
	xbWatchUsed  uint32
)

// txStart takes an entry for a transaction being started, or -1.
func txStart(slot int) int8 {
	for i := range xbTx {
		if xbTx[i].state == txFree {
			xbTx[i] = xbTxEntry{owner: int8(slot + 1), state: txStarting}
			return int8(i)
		}
	}
	return -1
}

// txStarted takes XS_TRANSACTION_START's reply: the id in decimal. A
// transaction whose file was closed meanwhile is aborted.
func txStarted(i int, failed bool, payload []byte) {
	// kernel:nopanic i is the request's ref, which txStart set to an index of xbTx (the request was not sent when it had none)
	t := &xbTx[i]
	id, ok := uint32(0), len(payload) > 0
	for _, c := range trim0(payload) {
		if c < '0' || c > '9' || id > 1e8 {
			ok = false
			break
		}
		id = id*10 + uint32(c-'0')
	}
	switch {
	case failed || !ok || id == 0:
		*t = xbTxEntry{}
	case t.owner < 0:
		t.id, t.state = id, txAbort
	default:
		t.id, t.state = id, txOpen
	}
}

// txFind finds the slot's open (or lost) transaction id, or -1.
func txFind(slot int, id uint32) int8 {
	for i := range xbTx {
		t := &xbTx[i]
		if t.owner == int8(slot+1) && t.id == id && (t.state == txOpen || t.state == txStale) {
			return int8(i)
		}
	}
	return -1
}

// addWatch records a watch being asked for, or returns -1 if the table
// or the pool is full.
func addWatch(slot int, payload []byte) int8 {
	if uint32(len(payload)) > xbWatchPool-xbWatchUsed {
		return -1
	}
	for i := range xbWatches {
		w := &xbWatches[i]
		if w.state == wFree {
			*w = xbWatch{state: wActive, slot: int8(slot), gen: xenbuses[slot].gen, off: xbWatchUsed, n: uint32(len(payload))}
			// kernel:nopanic xbWatchUsed <= xbWatchPool: it grows only by what fits (checked above)
			xbWatchUsed += uint32(copy(xbWatchBytes[xbWatchUsed:], payload))
			return int8(i)
		}
	}
	return -1
}

// findWatch finds the slot's watch with the path and token of an
// XS_UNWATCH payload (Linux compares both), or -1.
func findWatch(slot int, payload []byte) int {
	key := watchKey(payload)
	for i := range xbWatches {
		w := &xbWatches[i]
		// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
		if w.state == wActive && w.slot == int8(slot) && w.gen == xenbuses[slot].gen &&
			string(watchKey(watchBytes(w))) == string(key) {
			return i
		}
	}
	return -1
}

// watchKey is "path\0token\0", the start of a watch's payload.
func watchKey(p []byte) []byte {
	path, rest := cut0(p)
	token, _ := cut0(rest)
	return p[:min(uint(len(p)), uint(len(path)+1+len(token)+1))]
}

// watchBytes is the payload of a watch in use, in the pool.
func watchBytes(w *xbWatch) []byte {
	// kernel:nopanic w.off+w.n <= xbWatchUsed <= xbWatchPool: addWatch puts a payload at xbWatchUsed when it fits, dropWatch moves the later ones down by what it frees
	return xbWatchBytes[w.off : w.off+w.n]
}

// dropWatch frees an entry and closes the gap in the pool. An XS_WATCH
// still in flight for it no longer names it: the entry may be reused
// before that reply comes.
func dropWatch(i int) {
	for j := range storePend {
		if p := &storePend[j]; p.owner != 0 && p.typ == xenstore.XS_WATCH && int(p.ref) == i {
			p.ref = -1
		}
	}
	// kernel:nopanic i is a watch's index: findWatch's, a loop's over xbWatches, or a request's ref >= 0 from addWatch
	w := xbWatches[i]
	// kernel:nopanic w.off+w.n <= xbWatchUsed <= xbWatchPool (see watchBytes)
	copy(xbWatchBytes[w.off:], xbWatchBytes[w.off+w.n:xbWatchUsed])
	xbWatchUsed -= w.n
	for j := range xbWatches {
		if xbWatches[j].state != wFree && xbWatches[j].off > w.off {
			xbWatches[j].off -= w.n
		}
	}
	xbWatches[i] = xbWatch{}
}

// xenbusCleanup puts the closed files' aborts and unwatches, and the
// watches a reconnect lost, in storeOut as far as it has room.
func xenbusCleanup() {
	for i := range xbTx {
		t := &xbTx[i]
		if t.state != txAbort {
			continue
		}
		m := buildRequest(xenstore.XS_TRANSACTION_END, kernelID(kreqCleanup), "F", "", false)
		// kernel:nopanic buildRequest returns HeaderSize (16) bytes or more
		put32le(m[8:12], t.id)
		if !storeOutPut(m) {
			return
		}
		*t = xbTxEntry{}
	}
	for i := range xbWatches {
		w := &xbWatches[i]
		if w.state != wUnwatch && w.state != wRewatch {
			continue
		}
		p := watchBytes(w)
		typ := uint32(xenstore.XS_WATCH)
		if w.state == wUnwatch {
			typ, p = xenstore.XS_UNWATCH, watchKey(p)
		}
		n, _ := watchPayload(kmsg[xenstore.HeaderSize:], int(w.slot), w.gen, p) // it fit when the program asked
		h := xenstore.Header{Type: typ, ReqID: kernelID(kreqCleanup), Len: uint32(n)}
		h.Encode(kmsg[:])
		// kernel:nopanic watchPayload returns 0 or what it wrote into kmsg[HeaderSize:]
		if !storeOutPut(kmsg[:xenstore.HeaderSize+n]) {
			return
		}
		if w.state == wUnwatch {
			dropWatch(i)
		} else {
			w.state = wActive
		}
	}
}

// xenbusReconnected marks what xenstored forgot in a reconnect; the
// requests in flight have been failed already.
func xenbusReconnected() {
	for i := range xbTx {
		switch t := &xbTx[i]; t.state {
		case txOpen:
			t.state = txStale
		case txAbort, txStarting:
			*t = xbTxEntry{}
		}
	}
	for i := range xbWatches {
		switch xbWatches[i].state {
		case wActive:
			xbWatches[i].state = wRewatch
		case wUnwatch:
			dropWatch(i)
		}
	}
	xenbusWakeAll()
}
