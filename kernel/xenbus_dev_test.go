package kernel

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/goxen/goxen/xenstore"
)

// devReset gives each test a fresh xenstore connection on a page of its
// own, with no kick (the tests step the server by hand), and one open file
// in slot 0.
func devReset(t *testing.T) *xenstore.Interface {
	t.Helper()
	pg := new(xenstore.Interface)
	clear := func() {
		store = xenstore.Ring{}
		haveStore, storeDead = false, false
		xenbuses = [maxXenbus]xenbus{}
		storeIn.Reset()
		storeResetForTest()
	}
	clear()
	t.Cleanup(clear)
	store.Page = pg
	haveStore = true
	xenbuses[0].used, xenbuses[0].gen = true, 1
	return pg
}

// msg lays out one xsd_sockmsg with encoding/binary, not the package's
// own code.
func msg(typ, req, tx uint32, payload string) []byte {
	b := make([]byte, 16+len(payload))
	binary.LittleEndian.PutUint32(b[0:], typ)
	binary.LittleEndian.PutUint32(b[4:], req)
	binary.LittleEndian.PutUint32(b[8:], tx)
	binary.LittleEndian.PutUint32(b[12:], uint32(len(payload)))
	copy(b[16:], payload)
	return b
}

// reqBytes is what the guest has put in req[] so far.
func reqBytes(pg *xenstore.Interface) []byte {
	var out []byte
	for i := uint32(0); i != pg.ReqProd; i++ {
		out = append(out, pg.Req[i&(xenstore.XENSTORE_RING_SIZE-1)])
	}
	return out
}

// Item 4 of issue 23: an XS_WATCH whose 4096-byte payload has no NUL wrote
// one byte past the kernel's buffer and panicked. Linux answers a watch
// without its two NUL-terminated fields with XS_ERROR "EINVAL"
// (xenbus_dev_frontend.c, xenbus_write_watch).
func TestXenbusWatchWithoutNUL(t *testing.T) {
	pg := devReset(t)
	for _, p := range []string{string(bytes.Repeat([]byte("a"), xenstore.XENSTORE_PAYLOAD_MAX)), "path-only\x00token-unterminated", "\x00"} {
		for _, typ := range []uint32{xenstore.XS_WATCH, xenstore.XS_UNWATCH} {
			m := msg(typ, 77, 0, p)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("type %d, %d-byte payload: panic %v", typ, len(p), r)
					}
				}()
				if n := xenbusWrite(0, m); n != int64(len(m)) {
					t.Errorf("type %d, %d-byte payload: write returned %d, want %d", typ, len(p), n, len(m))
				}
			}()
			h, body := readMsg(t, 0)
			if h.Type != xenstore.XS_ERROR || h.ReqID != 77 || string(body) != "EINVAL\x00" {
				t.Errorf("type %d, %d-byte payload: reply %+v %q; want XS_ERROR \"EINVAL\" for request 77", typ, len(p), h, body)
			}
		}
	}
	if len(reqBytes(pg)) != 0 {
		t.Errorf("a malformed watch reached xenstored: %q", reqBytes(pg))
	}
}

// Item 6: the reply queue is indexed by free-running positions; at the
// 2^32 wrap, a full queue's messages must come out as they went in.
func TestXenbusQueueWraps(t *testing.T) {
	devReset(t)
	x := &xenbuses[0]
	x.qr, x.qw = ^uint32(0)-99, ^uint32(0)-99
	var sent [][]byte
	for i := 0; ; i++ {
		payload := bytes.Repeat([]byte{byte('a' + i)}, xenstore.XENSTORE_PAYLOAD_MAX)
		if !enqueue(0, xenstore.Header{Type: xenstore.XS_READ, ReqID: uint32(i), Len: uint32(len(payload))}, payload) {
			break
		}
		sent = append(sent, payload)
	}
	if len(sent) < 3 {
		t.Fatalf("the queue took only %d full-size messages", len(sent))
	}
	for i, want := range sent {
		h, p := readMsg(t, 0)
		if h.ReqID != uint32(i) || !bytes.Equal(p, want) {
			t.Fatalf("message %d of %d came back across the 2^32 wrap as %+v, %q...", i, len(sent), h, p[:8])
		}
	}
}

// Item 20: a header announcing more than XENSTORE_PAYLOAD_MAX is E2BIG,
// as in Linux's xenbus_file_write; a failure after earlier messages of
// the same buffer were sent returns the count of those (a short write),
// so that a retry does not send them twice.
func TestXenbusWriteErrors(t *testing.T) {
	pg := devReset(t)
	bad := msg(xenstore.XS_READ, 2, 0, "")
	binary.LittleEndian.PutUint32(bad[12:], xenstore.XENSTORE_PAYLOAD_MAX+1)
	if n := xenbusWrite(0, bad); n != -eE2BIG {
		t.Errorf("an oversize header: write returned %d, want -E2BIG (%d)", n, -eE2BIG)
	}
	good := msg(xenstore.XS_READ, 1, 0, "name\x00")
	if n := xenbusWrite(0, append(append([]byte{}, good...), bad...)); n != int64(len(good)) {
		t.Errorf("a good message then an oversize header: write returned %d, want %d (the good one only)", n, len(good))
	}
	if got := reqBytes(pg); len(got) != len(good) || binary.LittleEndian.Uint32(got[0:]) != xenstore.XS_READ {
		t.Errorf("req[] holds %q; want the one good request", got)
	}
	if n := xenbusWrite(0, bad); n != -eE2BIG {
		t.Errorf("the oversize header again: write returned %d, want -E2BIG", n)
	}
}

// Item 20: XS_WATCH's optional depth field (xenstore.txt, WATCH
// <wpath>|<token>|[<depth>|]) reaches xenstored.
func TestXenbusWatchDepth(t *testing.T) {
	pg := devReset(t)
	m := msg(xenstore.XS_WATCH, 3, 0, "data\x00tok\x002\x00")
	if n := xenbusWrite(0, m); n != int64(len(m)) {
		t.Fatalf("write returned %d", n)
	}
	storePump()
	got := reqBytes(pg)
	if len(got) < 16 || !bytes.HasSuffix(got, []byte("/tok\x002\x00")) || !bytes.Contains(got, []byte("data\x00f0.1/tok")) {
		t.Errorf("req[] holds %q; want data, the prefixed token and depth 2", got)
	}
}

// A watch dropped (by XS_UNWATCH) while its XS_WATCH is in flight, and its
// entry reused by another file: the late error reply must not drop the
// new owner's watch.
func TestXenbusWatchEntryReuse(t *testing.T) {
	devReset(t)
	xenbuses[1].used, xenbuses[1].gen = true, 1
	xbWrite(t, 0, msg(xenstore.XS_WATCH, 1, 0, "a\x00t\x00"))
	xbWrite(t, 0, msg(xenstore.XS_UNWATCH, 2, 0, "a\x00t\x00"))
	xbWrite(t, 1, msg(xenstore.XS_WATCH, 3, 0, "b\x00u\x00"))
	if xbWatches[0].state != wActive || xbWatches[0].slot != 1 {
		t.Fatalf("entry 0 is %+v; want slot 1's watch", xbWatches[0])
	}
	for i := range storePend {
		if p := &storePend[i]; p.owner == 1 && p.orig == 1 {
			replyArrived(i, xenstore.Header{Type: xenstore.XS_ERROR, ReqID: p.id, Len: 7}, []byte("EEXIST\x00"))
		}
	}
	if xbWatches[0].state != wActive || xbWatches[0].slot != 1 {
		t.Errorf("a late refusal of slot 0's watch dropped slot 1's: entry 0 is %+v", xbWatches[0])
	}
}
