package xenstore

import (
	"context"
	"errors"
	"testing"
	"time"
)

// lastWritten waits for the Client's next message to sc and returns it.
func lastWritten(t *testing.T, sc *scriptConn) []byte {
	t.Helper()
	select {
	case <-sc.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing written")
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.written[len(sc.written)-1]
}

// abandonAfterSend runs f with a context that is cancelled once f's
// request is on the wire, and waits for f to return.
func abandonAfterSend(t *testing.T, sc *scriptConn, f func(ctx context.Context) error) []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	msg := lastWritten(t, sc)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned request: %v", err)
	}
	return msg
}

func (c *Client) pending() (calls, retired int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls), len(c.retired)
}

// A server that never answers some requests must not make the Client
// remember every request abandoned to a cancelled context, or every
// token of a watch whose XS_UNWATCH got no answer.
func TestAbandonedRequestsAreBounded(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	defer c.Close()
	const n = 3 * maxAbandoned
	var ids []uint32
	for range n {
		msg := abandonAfterSend(t, sc, func(ctx context.Context) error {
			_, err := c.Read(ctx, "/silent")
			return err
		})
		ids = append(ids, simHeader(msg).ReqID)
	}
	if calls, _ := c.pending(); calls > maxAbandoned {
		t.Errorf("%d abandoned requests remembered after %d; want at most %d", calls, n, maxAbandoned)
	}
	// A late reply to a request still remembered is dropped quietly; one
	// to a forgotten request is a protocol error, nothing worse.
	sc.reads <- simMsg(XS_READ, ids[n-1], 0, []byte("late"))
	sc.reads <- simMsg(XS_READ, ids[0], 0, []byte("too late"))
	ctx := ctxT(t)
	go func() {
		m := lastWritten(t, sc)
		sc.reads <- simMsg(XS_READ, simHeader(m).ReqID, 0, []byte("v"))
	}()
	if v, err := c.Read(ctx, "/answered"); string(v) != "v" || err != nil {
		t.Fatalf("Read after the late replies = %q, %v", v, err)
	}
	if np, last := c.ProtocolErrors(); np != 1 {
		t.Errorf("%d protocol errors (last %v); want 1, for the forgotten request's reply", np, last)
	}
}

func TestRetiredTokensAreBounded(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	defer c.Close()
	ctx := ctxT(t)
	const n = 3 * maxRetired
	for range n {
		go func() {
			m := lastWritten(t, sc)
			sc.reads <- simMsg(XS_WATCH, simHeader(m).ReqID, 0, []byte("OK\x00"))
		}()
		w, err := c.Watch(ctx, "/w")
		if err != nil {
			t.Fatal(err)
		}
		// The server never answers XS_UNWATCH.
		abandonAfterSend(t, sc, w.Unwatch)
	}
	calls, retired := c.pending()
	if retired > maxRetired {
		t.Errorf("%d retired tokens remembered after %d watches; want at most %d", retired, n, maxRetired)
	}
	if calls > maxAbandoned {
		t.Errorf("%d abandoned XS_UNWATCH requests remembered; want at most %d", calls, maxAbandoned)
	}
}
