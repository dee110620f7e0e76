package kernel

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
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

const (
	maxXenbus      = 4                       // /dev/xen/xenbus opened at once
	xenbusQueue    = 4 * xenstore.MaxMessage // bytes of replies a program has not read yet
	maxStorePend   = 64                      // program requests awaiting their reply
	kernelReqBit   = 1 << 31                 // request ids of the kernel's own requests
	storeWaitLimit = 5000                    // 1 ms waits for a reconnect or a boot reply
	shutdownToken  = "goxen-kernel/control/shutdown"
)

var (
	store     xenstore.Ring
	storePort uint32
	haveStore bool
	storeDead bool // the connection failed; said once, every use fails EIO

	storeIn   xenstore.Framer // messages coming off rsp[]
	storeHeld bool            // storeIn holds a message no queue could take yet

	// The program's requests awaiting a reply.
	storePend [maxStorePend]struct {
		id, orig uint32
		owner    int8 // 0: free; slot+1 of the xenbus that sent it; -1: its file was closed
	}
	nextStoreID uint32 = 1

	// What the kernel asked and waits for (kernelReqBit | kind).
	kernelReply     [xenstore.MaxMessage]byte
	kernelReplyLen  int
	kernelReplyType uint32
	kernelReplyID   uint32 // the id waited for by xsCall; 0: none

	kmsg [xenstore.MaxMessage]byte // the kernel's request being built

	reportedOrphans uint64
)

// Kernel request kinds, in the low bits of its request ids.
const (
	kreqCall     = 1 // xsCall, at boot
	kreqShutdown = 2 // reading control/shutdown after its watch fired
	kreqAck      = 3 // writing "" to control/shutdown
)

// xenbus is one open /dev/xen/xenbus.
type xenbus struct {
	used  bool
	gen   uint32
	q     [xenbusQueue]byte // replies and events for the program, a byte ring
	qr    uint32            // read and write positions, free-running
	qw    uint32
	out   xenstore.Framer // the program's partial request
	fixed [xenstore.MaxMessage]byte
}

var xenbuses [maxXenbus]xenbus

func waitXenbus(slot int) uintptr { return 9 + 2*uintptr(slot) } // odd: never a futex word

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
	if rc1 != 0 || rc2 != 0 || !inMap {
		klog().s("no xenstore (HVM_PARAM_STORE_PFN rc=").dec(int64(rc1)).s(" pfn=").hex(pfn).s("): running without one").print()
		return
	}
	frames.Reserve(mm.PAddr(page), mm.PAddr(page+4096))
	store.Page = (*xenstore.Interface)(at(page))
	storePort = uint32(port)
	store.Kick = kickStore
	store.Wait = waitStore
	if err := store.WaitConnected(storeWaitLimit); err != nil {
		storeFailed("connecting", err)
		return
	}
	haveStore = true
	addIdlePort(storePort)
	evtchn.Unmask(storePort)

	var domid, name [64]byte
	nd, ok1 := xsReadKey("domid", domid[:])
	nn, ok2 := xsReadKey("name", name[:])
	l := klog().s("xenstore: ")
	if ok2 {
		l.s("domain \"").bytes(name[:nn]).s("\"")
	}
	if ok1 {
		l.s(", domid ").bytes(domid[:nd])
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

// storeFailed says once why xenstore is unusable; reads and writes on
// /dev/xen/xenbus fail EIO from then on, and the kernel runs on.
func storeFailed(doing string, err error) {
	if storeDead {
		return
	}
	storeDead = true
	var b [200]byte
	var msg []byte
	switch e := err.(type) {
	case *xenstore.IndexError:
		msg = e.AppendError(b[:0])
	case *xenstore.ConnectionError:
		msg = e.AppendError(b[:0])
	case *xenstore.ServerError:
		msg = e.AppendError(b[:0])
	case *xenstore.LengthError:
		msg = e.AppendError(b[:0])
	case xenstore.Error:
		msg = append(b[:0], string(e)...)
	}
	klog().s("xenstore connection declared dead while ").s(doing).s(": ").bytes(msg).print()
	for i := range xenbuses {
		if xenbuses[i].used {
			wake(waitXenbus(i), maxThreads)
		}
	}
}

// storeSend puts one message on the ring, waiting out a full ring and a
// reconnect in progress.
func storeSend(msg []byte) bool {
	if storeDead {
		return false
	}
	for tries := 0; ; tries++ {
		n, err := store.Write(msg)
		if err == nil {
			return true
		}
		if _, ok := err.(*xenstore.ConnectionError); ok && tries == 0 {
			if store.WaitConnected(storeWaitLimit) == nil {
				storeIn.Reset()
				storeHeld = false
				msg = msg[n:]
				continue
			}
		}
		storeFailed("sending a request", err)
		return false
	}
}

// buildRequest lays out a request in kmsg: the header, then a and b,
// each followed by a NUL ("" leaves b out). XS_WRITE's value, which has
// no NUL, is b with rawB.
func buildRequest(typ, id uint32, a, b string, rawB bool) []byte {
	n := xenstore.HeaderSize
	n += copy(kmsg[n:], a)
	kmsg[n] = 0
	n++
	if b != "" || rawB {
		n += copy(kmsg[n:], b)
		if !rawB {
			kmsg[n] = 0
			n++
		}
	}
	h := xenstore.Header{Type: typ, ReqID: id, Len: uint32(n - xenstore.HeaderSize)}
	h.Encode(kmsg[:])
	return kmsg[:n]
}

// xsPump takes every complete message off the ring and routes it.
func xsPump() {
	if !haveStore || storeDead {
		return
	}
	for {
		if !storeHeld {
			ok, err := storeIn.FeedRing(&store)
			if err != nil {
				if _, isConn := err.(*xenstore.ConnectionError); isConn && store.WaitConnected(storeWaitLimit) == nil {
					storeIn.Reset()
					continue
				}
				storeFailed("reading replies", err)
				return
			}
			if !ok {
				return
			}
		}
		h, payload := storeIn.Message()
		if !route(h, payload) {
			storeHeld = true // a program's queue is full: keep it until it reads
			return
		}
		storeHeld = false
	}
}

// route hands one message to whoever waits for it. It reports false if
// that is a program whose queue cannot take it now.
func route(h xenstore.Header, payload []byte) bool {
	if h.Type == xenstore.XS_WATCH_EVENT {
		return routeEvent(h, payload)
	}
	if h.ReqID&kernelReqBit != 0 {
		kernelReplyArrived(h, payload)
		return true
	}
	for i := range storePend {
		p := &storePend[i]
		if p.owner == 0 || p.id != h.ReqID {
			continue
		}
		if p.owner < 0 { // its file was closed: nobody to tell
			p.owner = 0
			return true
		}
		h.ReqID = p.orig
		if !enqueue(int(p.owner-1), h, payload) {
			return false
		}
		p.owner = 0
		return true
	}
	reportedOrphans++
	if reportedOrphans == 1 || reportedOrphans%1000 == 0 {
		klog().s("xenstore: a reply to no request (id ").hex(uint64(h.ReqID)).s(", type ").dec(int64(h.Type)).
			s(", ").dec(int64(h.Len)).s(" bytes) was dropped; ").dec(int64(reportedOrphans)).s(" so far").print()
	}
	return true
}

// routeEvent sends a watch event to the kernel or to the program whose
// token it carries: payload is "path\0token\0".
func routeEvent(h xenstore.Header, payload []byte) bool {
	path, rest := cut0(payload)
	token, _ := cut0(rest)
	if string(token) == shutdownToken {
		onShutdownWatch()
		return true
	}
	slot, gen, user, ok := parseToken(token)
	if !ok || slot >= maxXenbus || !xenbuses[slot].used || xenbuses[slot].gen != gen {
		return true // a watch of a file since closed
	}
	h.Len = uint32(len(path) + 1 + len(user) + 1)
	nul := []byte{0}
	return enqueue(slot, h, path, nul, user, nul)
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
	if i == 1 || i >= len(t) || t[i] != '.' {
		return 0, 0, nil, false
	}
	j := i + 1
	for ; j < len(t) && t[j] >= '0' && t[j] <= '9'; j++ {
		gen = gen*10 + uint32(t[j]-'0')
	}
	if j == i+1 || j >= len(t) || t[j] != '/' {
		return 0, 0, nil, false
	}
	return slot, gen, t[j+1:], true
}

func cut0(b []byte) (before, after []byte) {
	for i, c := range b {
		if c == 0 {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

// enqueue appends a message to slot's queue, whole or not at all: the
// header, whose Len says how much payload follows, then the payload
// pieces (their lengths add up to Len).
func enqueue(slot int, h xenstore.Header, payload ...[]byte) bool {
	x := &xenbuses[slot]
	if xenstore.HeaderSize+h.Len > uint32(len(x.q))-(x.qw-x.qr) {
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
	for _, c := range p {
		x.q[x.qw%uint32(len(x.q))] = c
		x.qw++
	}
}

// ---- the kernel's own requests -------------------------------------------

// xsCall sends a request and waits (at boot, before the runtime) for its
// reply, handling what else arrives meanwhile. It reports false on an
// error reply, a dead connection or after about five seconds.
func xsCall(typ uint32, a, b string, rawB bool) bool {
	id := kernelID(kreqCall)
	kernelReplyID = id
	kernelReplyLen = -1
	if !storeSend(buildRequest(typ, id, a, b, rawB)) {
		return false
	}
	deadline := nanotime() + 5e9
	for kernelReplyLen < 0 && !storeDead && nanotime() < deadline {
		xsPump()
		if kernelReplyLen < 0 {
			waitStore()
		}
	}
	kernelReplyID = 0
	if kernelReplyLen < 0 {
		if !storeDead {
			klog().s("xenstore: no reply to a request of type ").dec(int64(typ)).s(" within 5 s").print()
		}
		return false
	}
	return kernelReplyType != xenstore.XS_ERROR
}

// xsReadKey reads a key (relative paths are under the domain's home,
// /local/domain/<domid>) into dst.
func xsReadKey(key string, dst []byte) (int, bool) {
	if !xsCall(xenstore.XS_READ, key, "", false) {
		return 0, false
	}
	return copy(dst, kernelReply[:kernelReplyLen]), true
}

// kernelID is a fresh request id for one of the kernel's requests.
func kernelID(kind uint32) uint32 {
	nextStoreID++
	return kernelReqBit | kind<<24 | nextStoreID&0xffffff
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
		if h.Type == xenstore.XS_ERROR {
			klog().s("xenstore: acknowledging the shutdown request failed: ").bytes(trim0(payload)).print()
		}
	}
}

func trim0(b []byte) []byte {
	s, _ := cut0(b)
	return s
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
		fds[fd].slot = int8(i)
		x.used = true
		x.gen++
		x.qr, x.qw = 0, 0
		x.out.Reset()
		return fd
	}
	return -eMFILE
}

func xenbusClose(slot int) {
	for i := range storePend {
		if storePend[i].owner == int8(slot+1) {
			storePend[i].owner = -1 // its reply is dropped quietly
		}
	}
	xenbuses[slot].used = false
}

// xenbusRead returns what is queued for the program, blocking until there
// is something: replies and watch events, as a byte stream of messages.
func xenbusRead(slot int, p []byte) int64 {
	x := &xenbuses[slot]
	for x.qr == x.qw {
		if storeDead {
			return -eIO
		}
		if block(waitXenbus(slot), 0) == wokeSignal {
			return -eINTR
		}
	}
	n := 0
	for n < len(p) && x.qr != x.qw {
		p[n] = x.q[x.qr%uint32(len(x.q))]
		x.qr++
		n++
	}
	if storeHeld {
		xsPump() // room again for a message that waited
	}
	return int64(n)
}

// xenbusWrite takes the program's requests, in pieces of any size, and
// sends each as soon as it is whole.
func xenbusWrite(slot int, p []byte) int64 {
	x := &xenbuses[slot]
	if storeDead {
		return -eIO
	}
	total := len(p)
	for len(p) > 0 {
		n, ok, err := x.out.Feed(p)
		p = p[n:]
		if err != nil {
			x.out.Reset()
			return -eINVAL // longer than XENSTORE_PAYLOAD_MAX
		}
		if ok {
			h, payload := x.out.Message()
			if errno := xenbusSend(slot, h, payload); errno != 0 {
				return -errno
			}
		}
	}
	return int64(total)
}

// xenbusSend gives a program's request an id of the kernel's, and its
// watch token the slot's prefix, and puts it on the ring.
func xenbusSend(slot int, h xenstore.Header, payload []byte) int64 {
	x := &xenbuses[slot]
	pend := -1
	for i := range storePend {
		if storePend[i].owner == 0 {
			pend = i
			break
		}
	}
	if pend < 0 {
		return eAGAIN // 64 requests in flight: let some replies come first
	}
	id := nextStoreID &^ kernelReqBit
	if id == 0 {
		id = 1
	}
	nextStoreID = id + 1
	n := xenstore.HeaderSize
	if h.Type == xenstore.XS_WATCH || h.Type == xenstore.XS_UNWATCH {
		// "path\0token\0" becomes "path\0f<slot>.<gen>/token\0".
		path, rest := cut0(payload)
		token, _ := cut0(rest)
		n += copy(x.fixed[n:], path)
		x.fixed[n] = 0
		n++
		var pre line
		pre.s("f").dec(int64(slot)).s(".").dec(int64(x.gen)).s("/")
		n += copy(x.fixed[n:], pre.b[:pre.n])
		if n+len(token)+1 > len(x.fixed) {
			return eINVAL
		}
		n += copy(x.fixed[n:], token)
		x.fixed[n] = 0
		n++
	} else {
		n += copy(x.fixed[n:], payload)
	}
	orig := h.ReqID
	h.ReqID, h.Len = id, uint32(n-xenstore.HeaderSize)
	h.Encode(x.fixed[:])
	storePend[pend].id, storePend[pend].orig, storePend[pend].owner = id, orig, int8(slot+1)
	if !storeSend(x.fixed[:n]) {
		storePend[pend].owner = 0
		return eIO
	}
	return 0
}
