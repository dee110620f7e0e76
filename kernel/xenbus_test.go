package kernel

import (
	"testing"

	"github.com/goxen/goxen/xenstore"
)

func TestParseToken(t *testing.T) {
	for _, c := range []struct {
		in   string
		slot int
		gen  uint32
		user string
		ok   bool
	}{
		{"f0.1/goxen-1", 0, 1, "goxen-1", true},
		{"f3.42/a/b", 3, 42, "a/b", true},
		{"f1.2/", 1, 2, "", true},
		{"goxen-kernel/control/shutdown", 0, 0, "", false},
		{"f.1/x", 0, 0, "", false},
		{"f1/x", 0, 0, "", false},
		{"f1.x/y", 0, 0, "", false},
		{"f99999.1/x", 0, 0, "", false},
		{"", 0, 0, "", false},
	} {
		slot, gen, user, ok := parseToken([]byte(c.in))
		if ok != c.ok || ok && (slot != c.slot || gen != c.gen || string(user) != c.user) {
			t.Errorf("parseToken(%q) = %d, %d, %q, %v; want %d, %d, %q, %v", c.in, slot, gen, user, ok, c.slot, c.gen, c.user, c.ok)
		}
	}
}

// readMsg takes one message off a xenbus slot's queue.
func readMsg(t *testing.T, slot int) (xenstore.Header, []byte) {
	t.Helper()
	x := &xenbuses[slot]
	var f xenstore.Framer
	for x.qr != x.qw {
		b := []byte{x.q[x.qr%uint32(len(x.q))]}
		x.qr++
		if _, ok, err := f.Feed(b); err != nil {
			t.Fatal(err)
		} else if ok {
			h, p := f.Message()
			return h, append([]byte(nil), p...)
		}
	}
	t.Fatal("no complete message queued")
	return xenstore.Header{}, nil
}

// Replies go to the file that asked, under the id it used; watch events
// to the file whose token they carry, without the kernel's prefix; events
// of a closed file, and replies to its requests, are dropped. Nothing is
// refused (item 8 of issue 23): a reply goes into the room its request
// reserved, an event that does not fit is counted as lost.
func TestRouting(t *testing.T) {
	devReset(t)
	xenbuses[0].used = false
	xenbuses[1].used, xenbuses[1].gen = true, 7
	xenbuses[2].used, xenbuses[2].gen = true, 1
	pending := func(i int, id, orig uint32, slot int) {
		storePend[i] = pendReq{id: id, orig: orig, owner: int8(slot + 1), ref: -1, typ: xenstore.XS_READ}
		xenbuses[slot].reserved += xenstore.MaxMessage
	}
	pending(5, 900, 3, 1)

	route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 900, Len: 2}, []byte("ok"))
	h, p := readMsg(t, 1)
	if h.ReqID != 3 || h.Type != xenstore.XS_READ || string(p) != "ok" {
		t.Errorf("slot 1 got %+v %q; want its own id 3 and \"ok\"", h, p)
	}
	if storePend[5].owner != 0 || xenbuses[1].reserved != 0 {
		t.Error("the request stayed pending, or its room reserved, after its reply")
	}

	ev := []byte("data/input\x00f2.1/goxen-4\x00")
	route(xenstore.Header{Type: xenstore.XS_WATCH_EVENT, Len: uint32(len(ev))}, ev)
	h, p = readMsg(t, 2)
	if string(p) != "data/input\x00goxen-4\x00" || h.Len != uint32(len(p)) {
		t.Errorf("slot 2 got event %q (len %d)", p, h.Len)
	}

	// A stale generation (the file was closed and the slot reused).
	stale := []byte("data/input\x00f2.0/goxen-4\x00")
	route(xenstore.Header{Type: xenstore.XS_WATCH_EVENT, Len: uint32(len(stale))}, stale)
	if xenbuses[2].qr != xenbuses[2].qw {
		t.Error("an event for a closed file's watch was delivered")
	}

	// A closed file's reply is dropped quietly.
	pending(6, 901, 4, 1)
	xenbusClose(1)
	route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 901, Len: 1}, []byte("x"))
	if storePend[6].owner != 0 || xenbuses[1].qr != xenbuses[1].qw {
		t.Error("a closed file's reply was kept or delivered")
	}

	// A queue full but for its reservation: the reply still goes in, the
	// event is counted as lost.
	x := &xenbuses[2]
	pending(7, 902, 5, 2)
	x.qw = x.qr + uint32(len(x.q)) - xenstore.MaxMessage - 10
	route(xenstore.Header{Type: xenstore.XS_WATCH_EVENT, Len: uint32(len(ev))}, ev)
	if storeNews.lostEvents[2] != 1 {
		t.Errorf("lost events %d, want 1", storeNews.lostEvents[2])
	}
	route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 902, Len: 20}, make([]byte, 20))
	if storePend[7].owner != 0 || x.qw-x.qr != uint32(len(x.q))-xenstore.MaxMessage-10+36 {
		t.Error("a reply did not go into the room reserved for it")
	}
}

// Dropped messages are told the first time, then every thousandth: the
// box showed 262 lines for 262 dropped watch events.
func TestWorthSaying(t *testing.T) {
	var said uint64
	var told []uint64
	for c := uint64(1); c <= 2500; c++ {
		if worthSaying(c, &said) {
			told = append(told, c)
		}
	}
	if len(told) != 3 || told[0] != 1 || told[1] != 1001 || told[2] != 2001 {
		t.Errorf("told at %v; want 1, 1001, 2001", told)
	}
	if worthSaying(2001, &said) {
		t.Error("the same count was told twice")
	}
}
