package kernel

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goxen/goxen/xenstore"
)

// xbWrite sends one program message and insists it was taken whole.
func xbWrite(t *testing.T, slot int, m []byte) {
	t.Helper()
	if n := xenbusWrite(slot, m); n != int64(len(m)) {
		t.Fatalf("write to slot %d returned %d, want %d", slot, n, len(m))
	}
}

// allMsgs takes every message queued for a slot.
func allMsgs(t *testing.T, slot int) (hs []xenstore.Header, ps []string) {
	t.Helper()
	for xenbuses[slot].qr != xenbuses[slot].qw {
		h, p := readMsg(t, slot)
		hs, ps = append(hs, h), append(ps, string(p))
	}
	return hs, ps
}

// Item 7 of issue 23: xenstored stops reading req[] while it holds 20
// replies it could not write, so a guest that waits for req[] room
// without draining rsp[] deadlocks. Here four files ask for 7 large
// values each and the kernel's shutdown watch fires: every reply arrives.
func TestStoreManyRequestsNoDeadlock(t *testing.T) {
	pg := devReset(t)
	sim := newSim(t, pg)
	big := "big/" + strings.Repeat("k", 300) // requests that do not all fit in req[] at once
	sim.nodes[big] = strings.Repeat("v", 3000)
	sim.nodes["control/shutdown"] = "poweroff"
	for i := 1; i < maxXenbus; i++ {
		xenbuses[i].used, xenbuses[i].gen = true, 1
	}
	shutdownWatchNeeded, shutdownWatchSet = true, true
	for slot := range maxXenbus {
		var batch []byte
		for r := range 7 {
			batch = append(batch, msg(xenstore.XS_READ, uint32(100*slot+r), 0, big+"\x00")...)
		}
		xbWrite(t, slot, batch) // with the server not running yet
	}
	sim.run()
	for slot := range maxXenbus {
		hs, ps := allMsgs(t, slot)
		if len(hs) != 7 {
			t.Fatalf("slot %d got %d replies, want 7", slot, len(hs))
		}
		for r, h := range hs {
			if h.ReqID != uint32(100*slot+r) || ps[r] != sim.nodes[big] {
				t.Errorf("slot %d reply %d: %+v, %d bytes", slot, r, h, len(ps[r]))
			}
		}
	}
	if !shutdownRequested || shutdownReason != 0 || !storeNews.shutdown {
		t.Errorf("the shutdown request was not taken: requested %v", shutdownRequested)
	}
	if sim.nodes["control/shutdown"] != "" {
		t.Errorf("control/shutdown = %q; want the acknowledgement \"\"", sim.nodes["control/shutdown"])
	}
}

// Item 8: a program that stops reading loses its own watch events and
// stops nobody else: other files' replies and the kernel's xl shutdown
// watch get through.
func TestXenbusUnreadFileBlocksNobody(t *testing.T) {
	pg := devReset(t)
	sim := newSim(t, pg)
	xenbuses[1].used, xenbuses[1].gen = true, 1
	shutdownWatchNeeded, shutdownWatchSet = true, true
	xbWrite(t, 0, msg(xenstore.XS_WATCH, 1, 0, "data\x00w\x00"))
	sim.run()
	for i := range 200 {
		xbWrite(t, 1, msg(xenstore.XS_WRITE, uint32(i), 0, "data/"+strings.Repeat("k", 400)+"\x00x"))
		sim.run()
		if _, ps := allMsgs(t, 1); len(ps) != 1 || ps[0] != "OK\x00" {
			t.Fatalf("write %d of the reading file: replies %q", i, ps)
		}
	}
	if storeNews.lostEvents[0] == 0 {
		t.Error("no event was counted as lost, although slot 0 never read")
	}
	if !sim.toolstackAsks("reboot") {
		t.Error("xl reboot was not heard while a file did not read")
	}
}

// Item 9: a reconnect in the middle of a request. xenstored drops the
// partial packet and forgets requests, watches and transactions; the
// kernel must not send the rest of the request, must fail what was in
// flight, must register the control/shutdown watch and the program's
// watches again, and must treat the lost transaction as Linux does.
func TestStoreReconnect(t *testing.T) {
	pg := devReset(t)
	sim := newSim(t, pg)
	shutdownWatchNeeded, shutdownWatchSet = true, true
	xbWrite(t, 0, msg(xenstore.XS_WATCH, 1, 0, "data\x00w1\x00"))
	xbWrite(t, 0, msg(xenstore.XS_TRANSACTION_START, 2, 0, "\x00"))
	sim.run()
	hs, ps := allMsgs(t, 0)
	if len(hs) != 3 || hs[2].Type != xenstore.XS_TRANSACTION_START {
		t.Fatalf("setting up: %+v %q", hs, ps)
	}
	tx, _ := strconv.Atoi(strings.TrimSuffix(ps[2], "\x00"))
	before := slices.Sorted(slices.Values(sim.watchList()))

	// A 3000-byte write goes into req[] in pieces; the server takes the
	// first 1024 bytes, then the ring is reconnected.
	xbWrite(t, 0, msg(xenstore.XS_WRITE, 3, 0, "data/big\x00"+strings.Repeat("b", 3000)))
	sim.step()
	storePump()
	pg.Connection = xenstore.XENSTORE_RECONNECT
	storePump()
	if !storeReconnecting {
		t.Fatal("the kernel did not notice the reconnect")
	}
	sim.reset()
	sim.run()
	if sim.garbled {
		t.Error("the server got the tail of a request: the kernel resent from the middle")
	}
	hs, ps = allMsgs(t, 0)
	if len(hs) != 2 || hs[0].ReqID != 3 || hs[0].Type != xenstore.XS_ERROR || ps[0] != "EIO\x00" {
		t.Errorf("after the reconnect slot 0 got %+v %q; want XS_ERROR \"EIO\" for request 3, then its watch's event", hs, ps)
	}
	if got := slices.Sorted(slices.Values(sim.watchList())); !slices.Equal(got, before) {
		t.Errorf("watches after the reconnect %q; want %q again", got, before)
	}

	// The lost transaction: a commit is EAGAIN, answered by the kernel.
	n := len(sim.seen)
	xbWrite(t, 0, msg(xenstore.XS_TRANSACTION_END, 4, uint32(tx), "T\x00"))
	sim.run()
	if hs, ps = allMsgs(t, 0); len(hs) != 1 || hs[0].Type != xenstore.XS_ERROR || ps[0] != "EAGAIN\x00" {
		t.Errorf("committing the lost transaction: %+v %q; want XS_ERROR \"EAGAIN\"", hs, ps)
	}
	if len(sim.seen) != n {
		t.Errorf("a request of the lost transaction went to the server: %+v", sim.seen[n:])
	}

	// And xl shutdown is still heard.
	if !sim.toolstackAsks("poweroff") {
		t.Error("xl shutdown was ignored after the reconnect")
	}
}

// Item 11: closing the file ends its watches and transactions, as
// Linux's xenbus_file_release does, including a transaction whose start
// was still in flight; a tx_id the file did not start is refused ENOENT
// without reaching xenstored.
func TestXenbusCloseEndsWatchesAndTransactions(t *testing.T) {
	pg := devReset(t)
	sim := newSim(t, pg)
	xenbuses[1].used, xenbuses[1].gen = true, 1
	xbWrite(t, 0, msg(xenstore.XS_WATCH, 1, 0, "data\x00w\x00"))
	xbWrite(t, 0, msg(xenstore.XS_TRANSACTION_START, 2, 0, "\x00"))
	sim.run()
	_, ps := allMsgs(t, 0)
	tx, _ := strconv.Atoi(strings.TrimSuffix(ps[len(ps)-1], "\x00"))

	n := len(sim.seen)
	xbWrite(t, 1, msg(xenstore.XS_READ, 9, uint32(tx), "data\x00"))
	sim.run()
	if hs, ps := allMsgs(t, 1); len(hs) != 1 || hs[0].ReqID != 9 || hs[0].Type != xenstore.XS_ERROR || ps[0] != "ENOENT\x00" {
		t.Errorf("another file's tx_id: %+v %q; want XS_ERROR \"ENOENT\"", hs, ps)
	}
	if len(sim.seen) != n {
		t.Errorf("a request in another file's transaction reached the server: %+v", sim.seen[n:])
	}

	xbWrite(t, 0, msg(xenstore.XS_TRANSACTION_START, 3, 0, "\x00")) // in flight at close
	xenbusClose(0)
	sim.run()
	if len(sim.watches) != 0 {
		t.Errorf("the closed file's watches stay registered: %q", sim.watchList())
	}
	if len(sim.txs) != 0 {
		t.Errorf("the closed file's transactions stay open: %v", sim.txs)
	}
	for _, w := range xbWatches {
		if w.state != wFree {
			t.Errorf("watch table entry left: %+v", w)
		}
	}
	for _, e := range xbTx {
		if e.state != txFree {
			t.Errorf("transaction table entry left: %+v", e)
		}
	}
}

// A write that finds no room for its reply takes the requests before it
// (a short count) and holds that one; the pump sends it once room comes,
// and wakes a writer waiting for it.
func TestXenbusHeldRequestGoesLater(t *testing.T) {
	pg := devReset(t)
	sim := newSim(t, pg)
	sim.nodes["k"] = "v"
	var batch []byte
	for r := range 9 {
		batch = append(batch, msg(xenstore.XS_READ, uint32(r), 0, "k\x00")...)
	}
	one := len(batch) / 9
	if n := xenbusWrite(0, batch); n != int64(8*one) {
		t.Fatalf("write returned %d; want %d, the 8 requests that fit (the 8th held)", n, 8*one)
	}
	saved := threads[1]
	t.Cleanup(func() { threads[1] = saved })
	threads[1].state, threads[1].waitAddr = tBlocked, waitXenbusRoom(0)
	sim.run()
	if threads[1].state != tRunnable {
		t.Error("a writer waiting for the held request was not woken when it went")
	}
	if hs, _ := allMsgs(t, 0); len(hs) != 8 {
		t.Errorf("%d replies; want 8", len(hs))
	}

	// Held for a pending entry (all taken by requests of files since
	// closed), freed by a reply nobody reads: the writer of the held
	// request must be woken too.
	for i := range storePend {
		storePend[i] = pendReq{id: uint32(5000 + i), orig: 1, owner: -1, ref: -1, typ: xenstore.XS_READ}
	}
	xbWrite(t, 0, msg(xenstore.XS_READ, 50, 0, "k\x00"))
	if !xenbuses[0].held {
		t.Fatal("a request with no pending entry free was not held")
	}
	threads[1].state, threads[1].waitAddr = tBlocked, waitXenbusRoom(0)
	route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 5000, Len: 1}, []byte("v"))
	storePump()
	if xenbuses[0].held || threads[1].state != tRunnable {
		t.Errorf("held %v, writer state %v: the request did not go, or its writer was not woken", xenbuses[0].held, threads[1].state)
	}
}

// Closing a file wakes a thread blocked reading it, and that read ends
// (EBADF) instead of sleeping on, or taking the replies of a file that
// reuses the slot: the reader cannot tell the new file from its own.
func TestXenbusCloseWakesItsReader(t *testing.T) {
	devReset(t)
	saved := threads[1]
	t.Cleanup(func() { threads[1] = saved })
	threads[1].state, threads[1].waitAddr = tBlocked, waitXenbus(0)
	gen := xenbuses[0].gen
	xenbusClose(0)
	if threads[1].state != tRunnable {
		t.Error("a reader blocked on the closed file was not woken")
	}
	if xenbusGone(0, gen) == false {
		t.Error("the closed file does not count as gone for its reader")
	}
	xenbuses[0].used = true // another open reuses the slot
	xenbuses[0].gen++
	if !xenbusGone(0, gen) {
		t.Error("a file that reuses the slot counts as the reader's own")
	}
	if xenbusGone(0, xenbuses[0].gen) {
		t.Error("the open file counts as gone")
	}
}

// The longest reason storeFailed can record, a LengthError of a header
// with every field at its widest, must fit storeNews.deadWhy: past it the
// append would allocate (in the event handler, which has no P) and
// storeReport would slice past the array.
func TestStoreFailedReasonFits(t *testing.T) {
	devReset(t)
	storeDead = false
	err := &xenstore.LengthError{Header: xenstore.Header{Type: xenstore.XS_TYPE_COUNT - 1, ReqID: ^uint32(0), TxID: ^uint32(0), Len: ^uint32(0)}}
	for typ := uint32(0); typ <= xenstore.XS_TYPE_COUNT+1; typ++ {
		if len(xenstore.TypeName(typ)) > len(xenstore.TypeName(err.Header.Type)) {
			err.Header.Type = typ
		}
	}
	storeFailed("waiting for a reconnect to end", err) // the longest doing
	n := &storeNews
	if n.deadLen > len(n.deadWhy) {
		t.Fatalf("reason of %d bytes, deadWhy holds %d", n.deadLen, len(n.deadWhy))
	}
	if want := "waiting for a reconnect to end: " + err.Error(); string(n.deadWhy[:n.deadLen]) != want {
		t.Errorf("reason %q, want %q", n.deadWhy[:n.deadLen], want)
	}
}
