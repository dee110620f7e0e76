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
// of a closed file, and replies to its requests, are dropped; a full
// queue holds a message back rather than lose it.
func TestRouting(t *testing.T) {
	t.Cleanup(func() {
		xenbuses = [maxXenbus]xenbus{}
		storePend = [maxStorePend]struct {
			id, orig uint32
			owner    int8
		}{}
	})
	xenbuses[1].used, xenbuses[1].gen = true, 7
	xenbuses[2].used, xenbuses[2].gen = true, 1
	storePend[5].id, storePend[5].orig, storePend[5].owner = 900, 3, 2 // slot 1's request 3

	if !route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 900, Len: 2}, []byte("ok")) {
		t.Fatal("route refused a reply")
	}
	h, p := readMsg(t, 1)
	if h.ReqID != 3 || h.Type != xenstore.XS_READ || string(p) != "ok" {
		t.Errorf("slot 1 got %+v %q; want its own id 3 and \"ok\"", h, p)
	}
	if storePend[5].owner != 0 {
		t.Error("the request stayed pending after its reply")
	}

	ev := []byte("data/input\x00f2.1/goxen-4\x00")
	if !route(xenstore.Header{Type: xenstore.XS_WATCH_EVENT, Len: uint32(len(ev))}, ev) {
		t.Fatal("route refused an event")
	}
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
	storePend[6].id, storePend[6].orig, storePend[6].owner = 901, 4, 2
	xenbusClose(1)
	route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 901, Len: 1}, []byte("x"))
	if storePend[6].owner != 0 || xenbuses[1].qr != xenbuses[1].qw {
		t.Error("a closed file's reply was kept or delivered")
	}

	// Full: the message is refused (held by the pump), not dropped.
	x := &xenbuses[2]
	x.qw = x.qr + uint32(len(x.q)) - 10
	storePend[7].id, storePend[7].orig, storePend[7].owner = 902, 5, 3
	if route(xenstore.Header{Type: xenstore.XS_READ, ReqID: 902, Len: 20}, make([]byte, 20)) {
		t.Error("a message that does not fit was accepted")
	}
	if storePend[7].owner != 3 {
		t.Error("the request was forgotten although its reply was not delivered")
	}
}
