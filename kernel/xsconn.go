package kernel

import (
	"github.com/goxen/goxen/internal/ring"
	"github.com/goxen/goxen/xenstore"
)

// The kernel's connection to xenstored, as a state machine over fixed
// arrays that never waits: storePump moves whatever can move, both ways,
// and returns. It runs from handleEvents when xenstored signals, after a
// program's read or write of /dev/xen/xenbus, and in xsCall's loop at
// boot. Host tests drive it against a simulated xenstored.
//
// Three rules keep one slow party from stopping the others:
//
//   - rsp[] is always drained. xenstored stops reading req[] from a domain
//     while it holds 20 replies it could not write (domain_can_read and
//     quota-outstanding in tools/xenstore/xenstored_domain.c), so a guest
//     that waits for req[] room without reading rsp[] deadlocks. Every
//     message is routed at once: a reply into room reserved for it when its
//     request was sent (xenbus.go), a program's watch event into its queue
//     or, if that is full, counted as lost.
//   - Requests wait in storeOut, whole, until req[] has room; nothing
//     blocks on req[]. The kernel's own requests are flags (shutdown
//     watch, read, acknowledgement; cleanup of closed files) turned into
//     messages when storeOut has room.
//   - A reconnect (docs/misc/xenstore-ring.txt, "The ring reconnection
//     feature") makes xenstored drop partial packets and forget the
//     connection's requests, watches and transactions. So storeRecover drops
//     storeOut (a request is never sent in part), fails every request in
//     flight with XS_ERROR "EIO", marks the programs' transactions lost,
//     and registers the control/shutdown watch and the programs' watches
//     again.
//
// What the pump has to say (a reconnect, lost events, a shutdown request)
// it records in storeNews; storeReport prints it and sends SIGTERM, in the
// kernel only, so the pump itself neither prints nor signals.

const (
	storeOutSize   = 16384   // bytes of requests waiting for req[]; a power of two
	maxStorePend   = 64      // program requests awaiting their reply
	kernelReqBit   = 1 << 31 // request ids of the kernel's own requests
	storeWaitLimit = 5000    // 1 ms waits for the connection at boot
	reconnectLimit = 5e9     // ns a reconnect may take before xenstore is declared dead
	shutdownToken  = "goxen-kernel/control/shutdown"
)

var (
	store     xenstore.Ring // Wait is nil: Write stops at a full req[] (ErrNoWait)
	storePort uint32
	haveStore bool
	storeDead bool // the connection failed; every use fails EIO

	storeIn xenstore.Framer // messages coming off rsp[]

	storeOut             [storeOutSize]byte // whole requests, not yet on req[]
	storeOutR, storeOutW uint32             // free-running

	storeReconnecting bool  // the connection field said XENSTORE_RECONNECT
	storeReconnectAt  int64 // when that was first seen

	storePend   [maxStorePend]pendReq
	nextStoreID uint32 = 1

	kmsg [xenstore.MaxMessage]byte // a request being built

	// What the kernel asked in xsCall and waits for.
	kernelReply     [xenstore.MaxMessage]byte
	kernelReplyLen  int // -1 until the reply came
	kernelReplyType uint32
	kernelReplyID   uint32 // the id waited for by xsCall; 0: none
	kernelCallLost  bool   // a reconnect lost xsCall's request

	// The kernel's requests still to be put in storeOut.
	shutdownWatchNeeded bool // (re-)register the control/shutdown watch
	shutdownWatchSet    bool // it was asked for once: a reconnect registers it again
	shutdownReadNeeded  bool // read control/shutdown (its watch fired)
	shutdownAckNeeded   bool // write "" to control/shutdown
	shutdownAckSent     bool // the acknowledgement is in flight

	storeNews news
)

// pendReq is a program's request in flight.
type pendReq struct {
	id, orig uint32
	owner    int8 // 0: free; slot+1 of the xenbus that sent it; -1: its file was closed
	ref      int8 // the transaction or watch entry its reply settles, or -1
	typ      uint32
}

// news is what storeReport has to say.
type news struct {
	dead, reconnecting, reconnected bool
	deadWhy                         [320]byte // the longest storeFailed writes is 251 (TestStoreFailedReasonFits)
	deadLen                         int
	orphans, orphansSaid            uint64
	lostEvents, lostSaid            [maxXenbus]uint64
	watchFailed, ackFailed          bool
	shutdown, suspend, unknown      bool
	asked                           [32]byte // the value read from control/shutdown
	askedLen                        int
}

// Kernel request kinds, in bits 24-30 of its request ids.
const (
	kreqCall     = 1 // xsCall, at boot
	kreqShutdown = 2 // reading control/shutdown after its watch fired
	kreqAck      = 3 // writing "" to control/shutdown
	kreqWatch    = 4 // registering the control/shutdown watch
	kreqCleanup  = 5 // a closed file's unwatch or abort, a program's watch again after a reconnect: replies ignored
)

// kernelID is a fresh request id for one of the kernel's requests.
func kernelID(kind uint32) uint32 {
	nextStoreID++
	return kernelReqBit | kind<<24 | nextStoreID&0xffffff
}

// storePump moves messages both ways until nothing more moves.
func storePump() {
	if !haveStore || storeDead || !storeConnected() {
		return
	}
	for {
		took := storeDrain()
		if storeDead || storeReconnecting {
			return
		}
		kernelRequests()
		xenbusRetryHeld()
		sent := storeFlush()
		if storeDead || storeReconnecting {
			return
		}
		if !took && !sent {
			return
		}
	}
}

// storeConnected reports whether the ring may be used now, noting the
// start and the end of a reconnect. (A reconnect begun and ended between
// two looks cannot be seen: the page then looks as before. The guest
// starts reconnects itself; one seen here was begun by another party.)
func storeConnected() bool {
	if store.Connected() {
		if storeReconnecting {
			storeRecover()
		}
		return true
	}
	if !storeReconnecting {
		storeReconnectBegun()
	} else if nanotime()-storeReconnectAt > reconnectLimit {
		storeFailed("waiting for a reconnect to end", store.Err())
	}
	return false
}

func storeReconnectBegun() {
	storeReconnecting, storeReconnectAt = true, nanotime()
	storeNews.reconnecting = true
}

// storeRingError takes an error of the ring: a reconnect in progress is
// waited out (the next pump's storeConnected), anything else ends the
// connection.
func storeRingError(doing string, err error) {
	if _, ok := err.(*xenstore.ConnectionError); ok {
		if !storeReconnecting {
			storeReconnectBegun()
		}
		return
	}
	storeFailed(doing, err)
}

// storeDrain routes every complete message in rsp[]; it reports whether
// it took any.
func storeDrain() bool {
	took := false
	for {
		ok, err := storeIn.FeedRing(&store)
		if err != nil {
			storeRingError("reading replies", err)
			return took
		}
		if !ok {
			return took
		}
		h, payload := storeIn.Message()
		route(h, payload)
		took = true
	}
}

// storeFlush moves storeOut into req[] as far as it has room; it reports
// whether it moved anything.
func storeFlush() bool {
	moved := false
	for storeOutW != storeOutR {
		out := storeOut[storeOutR&(storeOutSize-1):]
		n, err := store.Write(out[:min(uint(len(out)), uint(storeOutW-storeOutR))])
		storeOutR += uint32(n)
		moved = moved || n > 0
		if err == xenstore.ErrNoWait {
			break // req[] is full; xenstored's event brings us back
		}
		if err != nil {
			storeRingError("sending requests", err)
			break
		}
	}
	return moved // the pump's next round sends what was held for room
}

// storeOutFree is the room in storeOut.
func storeOutFree() int { return storeOutSize - int(storeOutW-storeOutR) }

// storeOutPut appends one whole message to storeOut, or nothing if it
// does not fit.
func storeOutPut(m []byte) bool {
	if len(m) > storeOutFree() {
		return false
	}
	storeOutW += uint32(ring.Put(storeOut[:], storeOutW, uint32(storeOutFree()), m))
	return true
}

// storeRecover runs when a reconnect has ended: see the top of the file.
func storeRecover() {
	storeReconnecting = false
	storeNews.reconnected = true
	storeIn.Reset()
	storeOutR = storeOutW
	for i := range storePend {
		if storePend[i].owner != 0 {
			failPending(i)
		}
	}
	if kernelReplyID != 0 {
		kernelCallLost = true
	}
	shutdownWatchNeeded = shutdownWatchSet
	shutdownReadNeeded = false // the watch fires again once registered
	if shutdownAckSent {
		shutdownAckNeeded, shutdownAckSent = true, false
	}
	xenbusReconnected()
}

// failPending answers a request lost to a reconnect with XS_ERROR "EIO".
func failPending(i int) {
	// kernel:nopanic i is an index of storePend: storeRecover ranges over it
	p := &storePend[i]
	h := xenstore.Header{Type: xenstore.XS_ERROR, ReqID: p.id, Len: 4}
	replyArrived(i, h, []byte("EIO\x00"))
}

// storeFailed ends the connection: reads and writes on /dev/xen/xenbus
// fail EIO from then on, and the kernel runs on. storeReport says why.
func storeFailed(doing string, err error) {
	if storeDead {
		return
	}
	storeDead = true
	n := &storeNews
	n.dead = true
	b := append(n.deadWhy[:0], doing...)
	b = append(b, ": "...)
	switch e := err.(type) {
	case *xenstore.IndexError:
		b = e.AppendError(b)
	case *xenstore.ConnectionError:
		b = e.AppendError(b)
	case *xenstore.ServerError:
		b = e.AppendError(b)
	case *xenstore.LengthError:
		b = e.AppendError(b)
	case xenstore.Error:
		b = append(b, string(e)...)
	}
	n.deadLen = len(b)
	xenbusWakeAll()
}

// buildRequest lays out a request in kmsg: the header, then a and b,
// each followed by a NUL ("" leaves b out). XS_WRITE's value, which has
// no NUL, is b with rawB. a and b are the kernel's own keys and values,
// constants under 40 bytes, so kmsg's MaxMessage bytes hold them.
func buildRequest(typ, id uint32, a, b string, rawB bool) []byte {
	n := xenstore.HeaderSize
	n += copy(kmsg[n:], a)
	// kernel:nopanic a and b are short constants (see above)
	kmsg[n] = 0
	n++
	if b != "" || rawB {
		// kernel:nopanic a and b are short constants (see above)
		n += copy(kmsg[n:], b)
		if !rawB {
			// kernel:nopanic a and b are short constants (see above)
			kmsg[n] = 0
			n++
		}
	}
	h := xenstore.Header{Type: typ, ReqID: id, Len: uint32(n - xenstore.HeaderSize)}
	h.Encode(kmsg[:])
	// kernel:nopanic a and b are short constants (see above)
	return kmsg[:n]
}

// kernelRequests turns the kernel's pending requests into messages, as
// far as storeOut has room; what does not fit waits for the next pump.
func kernelRequests() {
	if shutdownWatchNeeded {
		if !storeOutPut(buildRequest(xenstore.XS_WATCH, kernelID(kreqWatch), "control/shutdown", shutdownToken, false)) {
			return
		}
		shutdownWatchNeeded = false
	}
	if shutdownReadNeeded {
		if !storeOutPut(buildRequest(xenstore.XS_READ, kernelID(kreqShutdown), "control/shutdown", "", false)) {
			return
		}
		shutdownReadNeeded = false
	}
	if shutdownAckNeeded {
		if !storeOutPut(buildRequest(xenstore.XS_WRITE, kernelID(kreqAck), "control/shutdown", "", true)) {
			return
		}
		shutdownAckNeeded, shutdownAckSent = false, true
	}
	xenbusCleanup()
}

// route hands one message from rsp[] to whoever waits for it. Nothing is
// ever refused: see the top of the file.
func route(h xenstore.Header, payload []byte) {
	if h.Type == xenstore.XS_WATCH_EVENT {
		routeEvent(h, payload)
		return
	}
	if h.ReqID&kernelReqBit != 0 {
		kernelReplyArrived(h, payload)
		return
	}
	for i := range storePend {
		if storePend[i].owner != 0 && storePend[i].id == h.ReqID {
			replyArrived(i, h, payload)
			return
		}
	}
	storeNews.orphans++
}

// routeEvent sends a watch event to the kernel or to the program whose
// token it carries: payload is "path\0token\0".
func routeEvent(h xenstore.Header, payload []byte) {
	path, rest := cut0(payload)
	token, _ := cut0(rest)
	if string(token) == shutdownToken {
		shutdownReadNeeded = true
		return
	}
	slot, gen, user, ok := parseToken(token)
	if !ok || uint(slot) >= maxXenbus || !xenbuses[slot].used || xenbuses[slot].gen != gen {
		return // a watch of a file since closed
	}
	h.Len = uint32(len(path) + 1 + len(user) + 1)
	nul := []byte{0}
	if !enqueue(slot, h, path, nul, user, nul) {
		storeNews.lostEvents[slot]++ // the program does not read: see xenbus.go
	}
}

func kernelReplyArrived(h xenstore.Header, payload []byte) {
	switch h.ReqID >> 24 & 0x7f {
	case kreqCall:
		if h.ReqID == kernelReplyID {
			kernelReplyLen = copy(kernelReply[:], payload)
			kernelReplyType = h.Type
		}
	case kreqShutdown:
		shutdownRequestRead(h, payload)
	case kreqAck:
		shutdownAckSent = false
		storeNews.ackFailed = storeNews.ackFailed || h.Type == xenstore.XS_ERROR
	case kreqWatch:
		storeNews.watchFailed = storeNews.watchFailed || h.Type == xenstore.XS_ERROR
	}
}

func cut0(b []byte) (before, after []byte) {
	for i, c := range b {
		if c == 0 {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func trim0(b []byte) []byte {
	s, _ := cut0(b)
	return s
}

// storeReport prints what the pump recorded and sends the SIGTERM of a
// shutdown request. Kernel context only (it prints).
func storeReport() {
	n := &storeNews
	if n.dead {
		n.dead = false
		klog().s("xenstore connection declared dead while ").bytes(n.deadWhy[:min(uint(n.deadLen), uint(len(n.deadWhy)))]).print()
	}
	if n.reconnecting {
		n.reconnecting = false
		klog().s("xenstore: the ring is being reconnected").print()
	}
	if n.reconnected {
		n.reconnected = false
		klog().s("xenstore: reconnected; requests in flight failed EIO, watches registered again, open transactions lost").print()
	}
	if worthSaying(n.orphans, &n.orphansSaid) {
		klog().s("xenstore: replies to no request were dropped: ").dec(int64(n.orphans)).s(" so far").print()
	}
	for i := range n.lostEvents {
		if worthSaying(n.lostEvents[i], &n.lostSaid[i]) {
			klog().s("xenstore: watch events dropped for a /dev/xen/xenbus that is not read (slot ").dec(int64(i)).
				s("): ").dec(int64(n.lostEvents[i])).s(" so far").print()
		}
	}
	if n.watchFailed {
		n.watchFailed = false
		klog().s("xenstore: could not watch control/shutdown; xl shutdown will not be heard").print()
	}
	if n.ackFailed {
		n.ackFailed = false
		klog().s("xenstore: acknowledging the shutdown request failed").print()
	}
	shutdownReport()
}

// worthSaying reports whether a count of dropped messages should be
// told: the first, then every thousandth, so that a flood does not flood
// the console. It notes the count told in said.
func worthSaying(count uint64, said *uint64) bool {
	if count == *said || (*said != 0 && count-*said < 1000) {
		return false
	}
	*said = count
	return true
}

// xsPump is the pump and its report, for the event handler and boot.
func xsPump() {
	storePump()
	storeReport()
}

// xsPumpSoon is the pump for system calls: the report follows in the
// handleEvents on the way back to the program (return.go), so that a
// shutdown request found here is acted on at once.
func xsPumpSoon() {
	storePump()
	storeKicked = true
}
