package kernel

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/internal/ring"
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/startinfo"
	"github.com/goxen/goxen/xenstore"
)

// Xenstore (package xenstore teaches it). A domain has one connection to
// xenstored: the ring page and event channel named by HVM_PARAM_STORE_PFN
// and HVM_PARAM_STORE_EVTCHN. The kernel owns it and shares it:
//
//   - the kernel's own requests: the domain's name and id at boot, the
//     feature-poweroff/-reboot keys, and the watch on control/shutdown
//     through which `xl shutdown` and `xl reboot` arrive (xenstoreControl);
//   - the program's, through the character device /dev/xen/xenbus, which
//     speaks the wire format of Linux's device of that name: a program
//     writes whole xsd_sockmsg requests and reads replies and watch events.
//     So one client (package xenstore) works in a goxen guest and in a
//     Linux domain, dom0 included.
//
// Messages from the ring are routed by request id: the kernel gives each
// request of a program an id of its own (the program's is put back in the
// reply), and its own requests have the top bit set. Watch tokens are
// routed the same way: a program's token travels as "f<slot>.<gen>/token"
// and comes back without the prefix. Everything lives in fixed arrays:
// this runs in system calls and in the event handler.
//
// The connection itself, shared by all, is xsconn.go. This file is the
// device, which follows Linux's drivers/xen/xenbus/xenbus_dev_frontend.c:
//
//   - a file's transactions and watches are its own: a request naming a
//     tx_id the file did not start is answered XS_ERROR "ENOENT", and
//     closing the file ends its transactions (aborted) and its watches
//     (xenbus_file_release, now xenbus_worker);
//   - an XS_WATCH or XS_UNWATCH without a NUL-terminated path and token,
//     and an XS_TRANSACTION_END whose payload is not "T" or "F", are
//     answered XS_ERROR "EINVAL", a header announcing more than
//     XENSTORE_PAYLOAD_MAX fails the write E2BIG (xenbus_file_write);
//   - after a reconnect, a transaction the server forgot ends as Linux ends
//     one of an older xb_dev_generation_id: a commit is answered EAGAIN, an
//     abort "OK"; other requests in it get EAGAIN.
//
// A write takes whole messages, any number, in pieces of any size. One
// that cannot go yet (its reply's room, a pending entry or storeOut is
// full) is held; the write returns what it took before, or, if nothing,
// waits. A failure after earlier messages of the same write went out
// returns their count: a retry does not send them twice.
//
// Each request in flight reserves room for its largest reply in the
// file's queue, so that a reply always fits and rsp[] never waits for a
// program. Watch events take what room is left; a program that stops
// reading loses them (counted and reported), and nothing else waits.
// (So a program that writes more than seven requests before it reads a
// reply waits in write; package xenstore reads in a goroutine of its own.)
// The tables of transactions and watches (xenbustables.go) are fixed: a
// start or a watch past their size is answered XS_ERROR "ENOSPC".

const (
	maxXenbus   = 4     // /dev/xen/xenbus opened at once
	xenbusQueue = 32768 // bytes of replies and events a program has not read; a power of two
	maxXbTx     = 32    // transactions of all files
	maxXbWatch  = 64    // watches of all files
	xbWatchPool = 32768 // bytes of their paths and tokens
)

// xenbus is one open /dev/xen/xenbus.
type xenbus struct {
	used     bool
	gen      uint32
	q        [xenbusQueue]byte // replies and events for the program, a byte ring
	qr, qw   uint32            // read and write positions, free-running
	reserved uint32            // bytes of q promised to replies in flight
	out      xenstore.Framer   // the program's request being written
	held     bool              // out holds a whole request that could not go yet
}

var xenbuses [maxXenbus]xenbus

// xbMsg is a program's request as it goes to xenstored.
var xbMsg [xenstore.MaxMessage]byte

func waitXenbus(slot int) uintptr     { return 9 + 2*uintptr(slot) }   // odd: never a futex word
func waitXenbusRoom(slot int) uintptr { return 201 + 2*uintptr(slot) } // a held request went

// initXenstore connects to xenstore: a domU finds the ring in HVM params.
// A PVH dom0 started by Xen has none (its toolstack, which would start
// xenstored, runs inside it), so it says so and runs on without.
func initXenstore() {
	if si.Flags&startinfo.SIF_INITDOMAIN != 0 {
		klog().s("no xenstore: dom0 starts before any toolstack; running without one").print()
		return
	}
	pfn, rc1 := hypercall.HVMGetParam(hypercall.HVM_PARAM_STORE_PFN)
	port, rc2 := hypercall.HVMGetParam(hypercall.HVM_PARAM_STORE_EVTCHN)
	page, inMap := pvh.IdentityPage(pfn)
	if pvMode {
		pfn, port, page, inMap = pvStorePage()
		rc1, rc2 = 0, 0
	}
	if rc1 != 0 || rc2 != 0 || !inMap {
		klog().s("no xenstore (HVM_PARAM_STORE_PFN rc=").dec(int64(rc1)).s(" pfn=").hex(pfn).s("): running without one").print()
		return
	}
	frames.Reserve(mm.PAddr(page), mm.PAddr(page+4096))
	store.Page = (*xenstore.Interface)(at(page))
	storePort = uint32(port)
	store.Kick = kickStore
	for i := 0; !store.Connected() && i < storeWaitLimit; i++ {
		waitStore() // a dom0less domain may find a reconnect in progress
	}
	if err := store.Err(); err != nil || !store.Connected() {
		storeFailed("connecting", err)
		storeReport()
		return
	}
	haveStore = true
	addIdlePort(storePort)
	evtchn.Unmask(storePort)

	var domidBuf, nameBuf [64]byte
	domid, ok1 := xsReadKey("domid", domidBuf[:])
	name, ok2 := xsReadKey("name", nameBuf[:])
	l := klog().s("xenstore: ")
	if ok2 {
		l.s("domain \"").bytes(name).s("\"")
	}
	if ok1 {
		l.s(", domid ").bytes(domid)
	}
	l.s(", ring at ").hex(uint64(page)).s(", event channel ").dec(int64(storePort)).print()
	xenstoreControl()
}

func kickStore() { hypercall.EvtchnSend(storePort) }

// waitStore waits for xenstored to move (an event on the store port) or a
// millisecond. It handles nothing itself; the event it takes may also
// have announced replies, so it leaves storeKicked set for the next
// handleEvents to pump them.
func waitStore() {
	if shared != nil {
		evtchn.ClearPending(shared, storePort)
	}
	storeKicked = true
	var ports [1]uint32
	ports[0] = storePort
	hypercall.SchedPoll(ports[:], uint64(nanotime()+1e6))
}

// xsCall sends a request and waits (at boot, before the runtime) for its
// reply, pumping meanwhile. It reports false on an error reply, a dead
// connection, a reconnect that lost the request, or after about five
// seconds.
func xsCall(typ uint32, a, b string, rawB bool) bool {
	id := kernelID(kreqCall)
	kernelReplyID, kernelReplyLen, kernelCallLost = id, -1, false
	if storeDead || !storeOutPut(buildRequest(typ, id, a, b, rawB)) {
		return false
	}
	deadline := nanotime() + 5e9
	for kernelReplyLen < 0 && !kernelCallLost && !storeDead && nanotime() < deadline {
		xsPump()
		if kernelReplyLen < 0 {
			waitStore()
		}
	}
	kernelReplyID = 0
	if kernelReplyLen < 0 {
		if !storeDead && !kernelCallLost {
			klog().s("xenstore: no reply to a request of type ").dec(int64(typ)).s(" within 5 s").print()
		}
		return false
	}
	return kernelReplyType != xenstore.XS_ERROR
}

// xsReadKey reads a key (relative paths are under the domain's home,
// /local/domain/<domid>) into dst, and returns the part of dst it filled.
func xsReadKey(key string, dst []byte) ([]byte, bool) {
	if !xsCall(xenstore.XS_READ, key, "", false) {
		return nil, false
	}
	return dst[:copy(dst, kernelReply[:min(uint(kernelReplyLen), uint(len(kernelReply)))])], true
}

// ---- /dev/xen/xenbus ---------------------------------------------------------

// xenbusOpen opens the device: ENOENT without a xenstore connection, as
// on a Linux system without xenbus.
func xenbusOpen() int64 {
	if !haveStore {
		return -eNOENT
	}
	for i := range xenbuses {
		x := &xenbuses[i]
		if x.used {
			continue
		}
		fd := allocFD(fdXenbus)
		if fd < 0 {
			return fd
		}
		// kernel:nopanic allocFD returns a descriptor in [3, maxFDs) or a negative errno
		fds[fd].slot = int8(i)
		x.used = true
		x.gen++
		x.qr, x.qw, x.reserved, x.held = 0, 0, 0, false
		x.out.Reset()
		storeNews.lostEvents[i], storeNews.lostSaid[i] = 0, 0
		return fd
	}
	return -eMFILE
}

// xenbusClose ends the file's transactions and watches, as Linux's
// xenbus_file_release does: the pump sends the aborts and unwatches.
// Replies still in flight are dropped when they come.
func xenbusClose(slot int) {
	for i := range storePend {
		if storePend[i].owner == int8(slot+1) {
			storePend[i].owner = -1
		}
	}
	for i := range xbTx {
		if t := &xbTx[i]; t.owner == int8(slot+1) {
			t.owner = -1
			if t.state == txStale {
				t.state = txFree
			} else if t.state == txOpen {
				t.state = txAbort
			}
		}
	}
	for i := range xbWatches {
		// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
		if w := &xbWatches[i]; w.state != wFree && w.slot == int8(slot) && w.gen == xenbuses[slot].gen {
			if w.state == wRewatch {
				dropWatch(i) // the server has forgotten it already
			} else {
				w.state = wUnwatch
			}
		}
	}
	// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
	x := &xenbuses[slot]
	x.used, x.held = false, false
	x.out.Reset()
	wake(waitXenbusRoom(slot), maxThreads)
	wake(waitXenbus(slot), maxThreads) // its readers end: xenbusGone
	xsPumpSoon()
}

// xenbusGone says whether the file a thread began reading or writing
// (slot, generation gen) has been closed since, maybe with the slot
// reused by another open. Linux keeps a file alive until a read blocked
// on it returns; the kernel's files are fixed slots, so a thread woken on
// a closed file gets EBADF rather than another file's replies.
func xenbusGone(slot int, gen uint32) bool {
	x := &xenbuses[slot]
	return !x.used || x.gen != gen
}

// xenbusRead returns what is queued for the program, blocking until there
// is something: replies and watch events, as a byte stream of messages.
func xenbusRead(slot int, p []byte) int64 {
	// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
	x := &xenbuses[slot]
	gen := x.gen
	for x.qr == x.qw {
		if storeDead {
			return -eIO
		}
		deadline := int64(0)
		if storeReconnecting {
			deadline = nanotime() + 1e7 // look again: the reconnect may time out
		}
		if block(waitXenbus(slot), deadline) == wokeSignal {
			return -eINTR
		}
		if xenbusGone(slot, gen) {
			return -eBADF
		}
		if storeReconnecting {
			xsPumpSoon()
		}
	}
	n := ring.Get(x.q[:], x.qr, x.qw-x.qr, p)
	x.qr += uint32(n)
	if x.held {
		xsPumpSoon() // room again for a request that waited
	}
	return int64(n)
}

// xenbusWrite takes the program's requests, in pieces of any size, and
// sends each as soon as it is whole (see the top of the file).
func xenbusWrite(slot int, p []byte) int64 {
	// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
	x := &xenbuses[slot]
	if storeDead {
		return -eIO
	}
	gen := x.gen
	took := 0     // bytes of p taken
	boundary := 0 // took at the end of the last whole message; -1: inside one begun by an earlier write
	if x.out.Buffered() > 0 {
		boundary = -1
	}
	for {
		for x.held {
			if took > 0 {
				return int64(took) // it goes later, with the pump
			}
			if block(waitXenbusRoom(slot), 0) == wokeSignal {
				return -eINTR
			}
			if xenbusGone(slot, gen) {
				return -eBADF
			}
			if storeDead {
				return -eIO
			}
		}
		if took == len(p) {
			return int64(took)
		}
		// kernel:nopanic 0 <= took <= len(p): it grows by what Feed took of p[took:], and the loop returns at took == len(p)
		n, ok, err := x.out.Feed(p[took:])
		took += n
		if err != nil {
			x.out.Reset() // Linux drops the buffered message too
			if boundary > 0 {
				return int64(boundary)
			}
			return -eE2BIG // longer than XENSTORE_PAYLOAD_MAX
		}
		if !ok {
			continue
		}
		start := boundary // where this message began in p
		boundary = took
		x.held = true
		if errno := xenbusHandle(slot); errno != 0 {
			x.held = false
			if start > 0 {
				return int64(start)
			}
			return -errno
		}
		xsPumpSoon()
	}
}

// xenbusRetryHeld sends the requests held for want of room, for the
// pump, and wakes the writers it unblocked.
func xenbusRetryHeld() {
	for i := range xenbuses {
		if x := &xenbuses[i]; x.used && x.held {
			if xenbusHandle(i) != 0 || !x.held {
				x.held = false
				wake(waitXenbusRoom(i), maxThreads)
			}
		}
	}
}

// xenbusHandle acts on the whole request in the slot's framer: answers it
// itself or puts it in storeOut, clearing held; or leaves it held for want
// of room. The only error is EIO, from a dead connection.
func xenbusHandle(slot int) int64 {
	// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
	x := &xenbuses[slot]
	if storeDead {
		return eIO
	}
	h, payload := x.out.Message()
	if refusal := xenbusRefusal(slot, h, payload); refusal != "" {
		return xenbusAnswer(slot, h, refusal)
	}
	m, ok := xenbusOutgoing(slot, h, payload)
	if !ok {
		return xenbusAnswer(slot, h, "E2BIG") // the token's prefix made it too long
	}
	pend := -1
	for i := range storePend {
		if storePend[i].owner == 0 {
			pend = i
			break
		}
	}
	if pend < 0 || xenbusRoom(x) < xenstore.MaxMessage || len(m) > storeOutFree() {
		return 0 // held: a reply, storeOut or req[] must make room first
	}
	ref := int8(-1)
	switch h.Type {
	case xenstore.XS_TRANSACTION_START:
		ref = txStart(slot)
		if ref < 0 {
			return xenbusAnswer(slot, h, "ENOSPC")
		}
	case xenstore.XS_TRANSACTION_END:
		ref = txFind(slot, h.TxID)
	case xenstore.XS_WATCH:
		ref = addWatch(slot, payload)
		if ref < 0 {
			return xenbusAnswer(slot, h, "ENOSPC")
		}
	case xenstore.XS_UNWATCH:
		if w := findWatch(slot, payload); w >= 0 {
			dropWatch(w) // at once, as Linux unregisters before it replies
		}
	}
	id := nextStoreID &^ kernelReqBit
	if id == 0 {
		id = 1
	}
	nextStoreID = id + 1
	// kernel:nopanic xenbusOutgoing returns HeaderSize (16) bytes or more
	put32le(m[4:8], id)
	// kernel:nopanic pend is an index of storePend: the loop above set it, and pend < 0 returned
	storePend[pend] = pendReq{id: id, orig: h.ReqID, owner: int8(slot + 1), ref: ref, typ: h.Type}
	x.reserved += xenstore.MaxMessage
	storeOutPut(m)
	x.held = false
	return 0
}

// xenbusRefusal is the XS_ERROR a request is answered with by the kernel
// itself (Linux's xenbus_command_reply), or "".
func xenbusRefusal(slot int, h xenstore.Header, payload []byte) string {
	switch h.Type {
	case xenstore.XS_WATCH, xenstore.XS_UNWATCH:
		if !twoFields(payload) {
			return "EINVAL"
		}
	case xenstore.XS_TRANSACTION_START:
		return ""
	case xenstore.XS_TRANSACTION_END:
		if len(payload) != 2 || payload[1] != 0 || (payload[0] != 'T' && payload[0] != 'F') {
			return "EINVAL"
		}
	}
	if h.TxID == 0 {
		return ""
	}
	t := txFind(slot, h.TxID)
	if t < 0 {
		return "ENOENT"
	}
	// kernel:nopanic t is txFind's index of xbTx; t < 0 returned
	if xbTx[t].state == txStale {
		// kernel:nopanic an XS_TRANSACTION_END's payload is 2 bytes here: the switch above refused any other
		if h.Type == xenstore.XS_TRANSACTION_END && payload[0] == 'F' {
			return "OK" // an abort of a lost transaction: nothing to undo
		}
		return "EAGAIN" // the reconnect lost it; a commit must be retried
	}
	return ""
}

// twoFields reports whether a watch's payload starts with a
// NUL-terminated path and a NUL-terminated token.
func twoFields(p []byte) bool {
	_, rest := cut0(p)
	if rest == nil {
		return false
	}
	for _, c := range rest {
		if c == 0 {
			return true
		}
	}
	return false
}

// xenbusAnswer queues the kernel's own answer to a request: XS_ERROR with
// an errno name, or "OK" to an abort (of the request's type), and frees a
// lost transaction it ended. It waits (held) for room in the queue.
func xenbusAnswer(slot int, h xenstore.Header, what string) int64 {
	// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
	x := &xenbuses[slot]
	r := xenstore.Header{Type: xenstore.XS_ERROR, ReqID: h.ReqID, TxID: h.TxID, Len: uint32(len(what) + 1)}
	if what == "OK" {
		r.Type = h.Type
	}
	if xenbusRoom(x) < int(xenstore.HeaderSize+r.Len) {
		return 0
	}
	if h.Type == xenstore.XS_TRANSACTION_END && h.TxID != 0 {
		// kernel:nopanic t >= 0 is txFind's index of xbTx
		if t := txFind(slot, h.TxID); t >= 0 && xbTx[t].state == txStale {
			xbTx[t] = xbTxEntry{}
		}
	}
	var body [16]byte
	n := copy(body[:], what)
	// kernel:nopanic what is an errno name or "OK" (xenbusHandle's answers), under 16 bytes, so n+1 <= len(body)
	enqueue(slot, r, body[:n+1])
	x.held = false
	return 0
}

// xenbusOutgoing lays out the request as it goes to xenstored, in xbMsg:
// a watch's token gets the file's prefix "f<slot>.<gen>/", whatever
// follows the token (XS_WATCH's depth) is kept. It reports false if that
// makes the payload longer than XENSTORE_PAYLOAD_MAX.
func xenbusOutgoing(slot int, h xenstore.Header, payload []byte) ([]byte, bool) {
	n := xenstore.HeaderSize
	if h.Type == xenstore.XS_WATCH || h.Type == xenstore.XS_UNWATCH {
		// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
		k, ok := watchPayload(xbMsg[n:], slot, xenbuses[slot].gen, payload)
		if !ok {
			return nil, false
		}
		n += k
	} else {
		n += copy(xbMsg[n:], payload)
	}
	h.Len = uint32(n - xenstore.HeaderSize)
	h.Encode(xbMsg[:])
	// kernel:nopanic n is HeaderSize plus what was written into xbMsg[HeaderSize:]
	return xbMsg[:n], true
}

// watchPayload writes "path\0f<slot>.<gen>/token\0rest" for a payload
// "path\0token\0rest" checked by twoFields.
func watchPayload(dst []byte, slot int, gen uint32, payload []byte) (int, bool) {
	var pre line
	pre.s("f").dec(int64(slot)).s(".").dec(int64(gen)).s("/")
	path, _ := cut0(payload)
	if len(payload)+pre.n > xenstore.XENSTORE_PAYLOAD_MAX || len(dst) < len(payload)+pre.n {
		return 0, false
	}
	// kernel:nopanic payload passed twoFields (xenbusRefusal; the pool keeps such payloads and watchKey their start), so its path ends in a NUL inside it
	n := copy(dst, payload[:len(path)+1])
	// kernel:nopanic n <= len(payload)+pre.n <= len(dst), checked above
	n += copy(dst[n:], pre.b[:pre.n])
	// kernel:nopanic as above: len(path) < len(payload), and n <= len(dst)
	n += copy(dst[n:], payload[len(path)+1:])
	return n, true
}

// replyArrived settles a program's request with its reply (or the
// failure storeRecover made up): the file's tables, then the reply, into
// the room reserved for it, under the program's own request id.
func replyArrived(i int, h xenstore.Header, payload []byte) {
	// kernel:nopanic i is an index of storePend: route's and storeRecover's loops over it
	p := &storePend[i]
	failed := h.Type == xenstore.XS_ERROR
	switch p.typ {
	case xenstore.XS_TRANSACTION_START:
		if p.ref >= 0 {
			txStarted(int(p.ref), failed, payload)
		}
	case xenstore.XS_TRANSACTION_END:
		if p.ref >= 0 {
			// kernel:nopanic p.ref >= 0 is txFind's index of xbTx
			xbTx[p.ref] = xbTxEntry{}
		}
	case xenstore.XS_WATCH:
		if failed && p.ref >= 0 {
			dropWatch(int(p.ref))
		}
	}
	if p.owner > 0 {
		slot := int(p.owner - 1)
		// kernel:nopanic p.owner > 0 is slot+1 of the file that sent the request, an index of xenbuses plus one
		x := &xenbuses[slot]
		x.reserved -= xenstore.MaxMessage
		h.ReqID = p.orig
		enqueue(slot, h, payload)
		wake(waitXenbusRoom(slot), maxThreads)
	}
	*p = pendReq{}
}

// xenbusRoom is what the slot's queue can take beyond its reservations.
func xenbusRoom(x *xenbus) int {
	return xenbusQueue - int(x.qw-x.qr) - int(x.reserved)
}

// enqueue appends a message to slot's queue, whole or not at all: the
// header, whose Len says how much payload follows, then the payload
// pieces (their lengths add up to Len). A reply's room was reserved by
// its request and released by the caller.
func enqueue(slot int, h xenstore.Header, payload ...[]byte) bool {
	// kernel:nopanic slot is a file's: xenbusOpen set it to an index of xenbuses
	x := &xenbuses[slot]
	if int(xenstore.HeaderSize+h.Len) > xenbusRoom(x) {
		return false
	}
	var hb [xenstore.HeaderSize]byte
	h.Encode(hb[:])
	x.put(hb[:])
	for _, p := range payload {
		x.put(p)
	}
	wake(waitXenbus(slot), maxThreads)
	return true
}

func (x *xenbus) put(p []byte) {
	x.qw += uint32(ring.Put(x.q[:], x.qw, uint32(xenbusQueue)-(x.qw-x.qr), p))
}

// xenbusWakeAll wakes every reader and writer: the connection died.
func xenbusWakeAll() {
	for i := range xenbuses {
		if xenbuses[i].used {
			wake(waitXenbus(i), maxThreads)
			wake(waitXenbusRoom(i), maxThreads)
		}
	}
}

func put32le(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// parseToken takes a program's token apart: "f<slot>.<gen>/<user token>".
func parseToken(t []byte) (slot int, gen uint32, user []byte, ok bool) {
	if len(t) < 5 || t[0] != 'f' {
		return 0, 0, nil, false
	}
	i := 1
	for ; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		slot = slot*10 + int(t[i]-'0')
		if slot > 1000 {
			return 0, 0, nil, false
		}
	}
	// kernel:nopanic i counts up from 1, and i < len(t) when t[i] is read
	if i == 1 || i >= len(t) || t[i] != '.' {
		return 0, 0, nil, false
	}
	j := i + 1
	for ; j < len(t) && t[j] >= '0' && t[j] <= '9'; j++ {
		gen = gen*10 + uint32(t[j]-'0')
	}
	// kernel:nopanic j counts up from i+1 >= 2, and j < len(t) when t[j] is read, so j+1 <= len(t)
	if j == i+1 || j >= len(t) || t[j] != '/' {
		return 0, 0, nil, false
	}
	return slot, gen, t[j+1:], true
}
