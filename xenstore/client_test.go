package xenstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// transports runs f over every way the tests connect a Client to the
// simulated xenstored: a net.Pipe, and ring pages whose indices start at
// the given values and whose server produces replies in pieces of at most
// the given size (1: byte by byte), so that replies straddle the end of
// rsp[] and the 2^32 wrap of the indices.
func transports(t *testing.T, f func(t *testing.T, c *Client, s *simServer)) {
	t.Run("pipe", func(t *testing.T) {
		c, s := newPipeSim(t, 5)
		f(t, c, s)
	})
	for _, r := range []struct {
		name  string
		start uint32
		chunk int
	}{
		{"ring", 0, 1024},
		{"ring-wrap-bytewise", 0xFFFFFF80, 1},
		{"ring-wrap-chunks", 0xFFFFFC05, 13},
	} {
		t.Run(r.name, func(t *testing.T) {
			c, rs := newRingSim(t, r.start, r.chunk, uint64(r.start))
			f(t, c, rs.conn.srv)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pathErr checks that err is a *fs.PathError for op and path wrapping want
// (errors.Is).
func pathErr(t *testing.T, err error, op, path string, want error) {
	t.Helper()
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != op || pe.Path != path || !errors.Is(err, want) {
		t.Errorf("error %v (%T); want *fs.PathError{%q, %q} wrapping %v", err, err, op, path, want)
	}
}

func TestClientOperations(t *testing.T) {
	transports(t, func(t *testing.T, c *Client, s *simServer) {
		ctx := ctxT(t)
		if err := c.Write(ctx, "/local/domain/5/data/x", []byte("1")); err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, "data/y", []byte("two")); err != nil { // relative to /local/domain/5
			t.Fatal(err)
		}
		if v, err := c.Read(ctx, "/local/domain/5/data/y"); string(v) != "two" || err != nil {
			t.Errorf("Read y = %q, %v", v, err)
		}
		if v, err := c.Read(ctx, "data/x"); string(v) != "1" || err != nil {
			t.Errorf("Read relative x = %q, %v", v, err)
		}
		if v, err := c.Read(ctx, "/local/domain/5/name"); string(v) != "guest" || err != nil {
			t.Errorf("Read name = %q, %v", v, err)
		}
		if err := c.Mkdir(ctx, "/local/domain/5/data/dir/sub"); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Read(ctx, "/local/domain/5/data/dir"); len(v) != 0 || v == nil || err != nil {
			t.Errorf("Read of a made directory = %q (nil: %v), %v; want empty, non-nil", v, v == nil, err)
		}
		if d, err := c.Directory(ctx, "/local/domain/5/data"); !reflect.DeepEqual(d, []string{"dir", "x", "y"}) || err != nil {
			t.Errorf("Directory = %q, %v", d, err)
		}
		if d, err := c.Directory(ctx, "/local/domain/5/data/dir/sub"); d == nil || len(d) != 0 || err != nil {
			t.Errorf("Directory of a leaf = %q, %v; want empty", d, err)
		}
		if p, err := c.GetDomainPath(ctx, 7); p != "/local/domain/7" || err != nil {
			t.Errorf("GetDomainPath = %q, %v", p, err)
		}

		// Permissions: /local/domain/5 is owned by 5, dom0 may read.
		want := []Perm{{AccessNone, 5}, {AccessRead, 0}}
		if p, err := c.GetPerms(ctx, "/local/domain/5"); !reflect.DeepEqual(p, want) || err != nil {
			t.Errorf("GetPerms = %v, %v; want %v", p, err, want)
		}
		set := []Perm{{AccessNone, 5}, {AccessBoth, 3}}
		if err := c.SetPerms(ctx, "data/x", set); err != nil {
			t.Fatal(err)
		}
		if p, err := c.GetPerms(ctx, "data/x"); !reflect.DeepEqual(p, set) || err != nil {
			t.Errorf("GetPerms after SetPerms = %v, %v", p, err)
		}
		_, err := c.Read(ctx, "/local/domain/0/secret")
		pathErr(t, err, "xenstore read", "/local/domain/0/secret", fs.ErrPermission)
		pathErr(t, err, "xenstore read", "/local/domain/0/secret", EACCES)
		pathErr(t, c.Write(ctx, "/local/domain/0/mine", nil), "xenstore write", "/local/domain/0/mine", fs.ErrPermission)

		// Removal.
		if err := c.Rm(ctx, "/local/domain/5/data"); err != nil {
			t.Fatal(err)
		}
		_, err = c.Read(ctx, "data/x")
		pathErr(t, err, "xenstore read", "data/x", fs.ErrNotExist)
		if err := c.Rm(ctx, "/local/domain/5/data"); err != nil {
			t.Errorf("Rm of a missing node with a parent = %v, want nil", err)
		}
		pathErr(t, c.Rm(ctx, "/no/such/parent"), "xenstore rm", "/no/such/parent", ENOENT)
		pathErr(t, c.Mkdir(ctx, "/bad//path"), "xenstore mkdir", "/bad//path", EINVAL)

		// The largest value that fits, both ways.
		big := pseudoRandom(3, XENSTORE_PAYLOAD_MAX-len("/local/domain/5/big")-1)
		if err := c.Write(ctx, "/local/domain/5/big", big); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Read(ctx, "/local/domain/5/big"); !bytes.Equal(v, big) || err != nil {
			t.Errorf("Read of a maximal value: %d bytes, %v", len(v), err)
		}
	})
}

// Requests the server would refuse, or that would get the connection
// dropped, are refused before they are sent.
func TestClientValidation(t *testing.T) {
	c, s := newPipeSim(t, 5)
	ctx := ctxT(t)
	before := s.count(XS_WRITE) + s.count(XS_READ)
	pathErr(t, c.Write(ctx, "/local/domain/5/big", make([]byte, XENSTORE_PAYLOAD_MAX)),
		"xenstore write", "/local/domain/5/big", ErrPayloadTooLong)
	long := "/" + strings.Repeat("a", XENSTORE_ABS_PATH_MAX)
	_, err := c.Read(ctx, long)
	pathErr(t, err, "xenstore read", long, ErrAbsPathTooLong)
	rel := strings.Repeat("r", XENSTORE_REL_PATH_MAX+1)
	_, err = c.Read(ctx, rel)
	pathErr(t, err, "xenstore read", rel, ErrRelPathTooLong)
	_, err = c.Read(ctx, "/a\x00b")
	pathErr(t, err, "xenstore read", "/a\x00b", ErrNUL)
	_, err = c.Read(ctx, "")
	pathErr(t, err, "xenstore read", "", ErrEmptyPath)
	_, err = c.Watch(ctx, "/a\x00b")
	pathErr(t, err, "xenstore watch", "/a\x00b", ErrNUL)
	pathErr(t, c.SetPerms(ctx, "/a", nil), "xenstore set-perms", "/a", ErrFieldCount)
	if after := s.count(XS_WRITE) + s.count(XS_READ); after != before {
		t.Errorf("invalid requests reached the server: %d -> %d", before, after)
	}
	// The connection is untouched.
	if v, err := c.Read(ctx, "name"); string(v) != "guest" || err != nil {
		t.Errorf("Read after refused requests = %q, %v", v, err)
	}
}

// nextEvent returns the next event of w, failing after a safety-net timeout.
func nextEvent(t *testing.T, w *Watch) string {
	t.Helper()
	select {
	case p, ok := <-w.Events():
		if !ok {
			t.Fatalf("event channel closed: %v", w.Err())
		}
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return ""
}

func TestWatch(t *testing.T) {
	transports(t, func(t *testing.T, c *Client, s *simServer) {
		ctx := ctxT(t)
		w, err := c.Watch(ctx, "/local/domain/5/data")
		if err != nil {
			t.Fatal(err)
		}
		if w.Path() != "/local/domain/5/data" || !strings.HasPrefix(w.Token(), "goxen-") {
			t.Errorf("Path %q Token %q", w.Path(), w.Token())
		}
		// xenstored fires once up front, for the watched path.
		if p := nextEvent(t, w); p != "/local/domain/5/data" {
			t.Errorf("first event %q", p)
		}
		rel, err := c.Watch(ctx, "data")
		if err != nil {
			t.Fatal(err)
		}
		if p := nextEvent(t, rel); p != "data" {
			t.Errorf("first relative event %q", p)
		}
		if rel.Token() == w.Token() {
			t.Error("two watches share a token")
		}
		// Changes below the path fire; changes elsewhere do not (the next
		// event is the next change below).
		c.Write(ctx, "/local/domain/5/data/a", []byte("1"))
		c.Write(ctx, "/local/domain/5/other", []byte("1"))
		c.Mkdir(ctx, "/local/domain/5/data/b")
		for _, want := range []string{"/local/domain/5/data/a", "/local/domain/5/data/b"} {
			if p := nextEvent(t, w); p != want {
				t.Errorf("event %q, want %q", p, want)
			}
		}
		for _, want := range []string{"data/a", "data/b"} {
			if p := nextEvent(t, rel); p != want {
				t.Errorf("relative event %q, want %q", p, want)
			}
		}
		// Removing a parent of a watched path fires for the watched path
		// itself.
		leaf, err := c.Watch(ctx, "/local/domain/5/data/sub/leaf")
		if err != nil {
			t.Fatal(err)
		}
		if p := nextEvent(t, leaf); p != "/local/domain/5/data/sub/leaf" {
			t.Errorf("first event %q", p)
		}
		c.Write(ctx, "/local/domain/5/data/sub/leaf", []byte("x"))
		c.Rm(ctx, "/local/domain/5/data/sub")
		for _, c := range []struct {
			w    *Watch
			want []string
		}{
			{leaf, []string{"/local/domain/5/data/sub/leaf", "/local/domain/5/data/sub/leaf"}},
			{w, []string{"/local/domain/5/data/sub/leaf", "/local/domain/5/data/sub"}},
			{rel, []string{"data/sub/leaf", "data/sub"}},
		} {
			for _, want := range c.want {
				if p := nextEvent(t, c.w); p != want {
					t.Errorf("watch %s: event %q, want %q", c.w.Path(), p, want)
				}
			}
		}
		leaf.Close()

		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, ok := <-w.Events(); ok {
			t.Error("event channel open after Close")
		}
		if w.Err() != ErrClosed || w.Close() != nil {
			t.Errorf("after Close: Err %v, second Close %v", w.Err(), w.Close())
		}
		c.mu.Lock()
		_, retired := c.retired[w.Token()]
		c.mu.Unlock()
		if retired {
			t.Error("the token is still remembered after the server confirmed XS_UNWATCH")
		}
		s.mu.Lock()
		n := len(s.conns[0].watches)
		s.mu.Unlock()
		if n != 1 {
			t.Errorf("server holds %d watches after Close of two of three, want 1", n)
		}
		// The other watch still works.
		c.Write(ctx, "/local/domain/5/data/c", nil)
		if p := nextEvent(t, rel); p != "data/c" {
			t.Errorf("event %q", p)
		}
		if n, last := c.ProtocolErrors(); n != 0 {
			t.Errorf("%d protocol errors, last %v", n, last)
		}
		if w.Dropped() != 0 {
			t.Errorf("Dropped = %d", w.Dropped())
		}
	})
}

// A change made by another connection fires our watch; a watch event is
// dispatched by token even when its req_id equals an outstanding request's
// (Linux's /dev/xen/xenbus leaves it uninitialised).
func TestWatchFromAnotherConnection(t *testing.T) {
	c, s := newPipeSim(t, 5)
	ctx := ctxT(t)
	a, b := net.Pipe()
	s.connect(0).servePipe(b)
	other := New(a)
	defer other.Close()
	w, err := c.Watch(ctx, "/local/domain/5")
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, w)
	if err := other.Write(ctx, "/local/domain/5/from-dom0", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if p := nextEvent(t, w); p != "/local/domain/5/from-dom0" {
		t.Errorf("event %q", p)
	}
}

func TestWatchEventWithReqID(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	defer c.Close()
	// Watch: request 1, reply, first event.
	type res struct {
		w   *Watch
		err error
	}
	done := make(chan res)
	go func() {
		w, err := c.Watch(context.Background(), "/x")
		done <- res{w, err}
	}()
	<-sc.wrote
	sc.reads <- simMsg(XS_WATCH, 1, 0, []byte("OK\x00"))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	// Request 2 is outstanding; an event carrying req_id 2 arrives first.
	got := make(chan []byte)
	go func() {
		v, _ := c.Read(context.Background(), "/x")
		got <- v
	}()
	<-sc.wrote
	sc.reads <- simMsg(XS_WATCH_EVENT, 2, 0xdead, []byte("/x/y\x00goxen-1\x00"))
	if p := nextEvent(t, r.w); p != "/x/y" {
		t.Errorf("event %q", p)
	}
	sc.reads <- simMsg(XS_READ, 2, 0, []byte("value"))
	if v := <-got; string(v) != "value" {
		t.Errorf("Read = %q", v)
	}
	if n, last := c.ProtocolErrors(); n != 0 {
		t.Errorf("%d protocol errors: %v", n, last)
	}
}

func TestTransact(t *testing.T) {
	transports(t, func(t *testing.T, c *Client, s *simServer) {
		ctx := ctxT(t)
		calls := 0
		err := c.Transact(ctx, func(tx *Tx) error {
			calls++
			if tx.ID() == 0 {
				t.Error("transaction id 0")
			}
			if err := tx.Write(ctx, "/local/domain/5/t/a", []byte("A")); err != nil {
				return err
			}
			if err := tx.Write(ctx, "t/b", []byte("B")); err != nil {
				return err
			}
			// Inside: visible. Outside: not yet.
			if v, err := tx.Read(ctx, "t/a"); string(v) != "A" || err != nil {
				t.Errorf("tx.Read = %q, %v", v, err)
			}
			if d, err := tx.Directory(ctx, "t"); !reflect.DeepEqual(d, []string{"a", "b"}) || err != nil {
				t.Errorf("tx.Directory = %q, %v", d, err)
			}
			if _, err := c.Read(ctx, "t/a"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("uncommitted write visible outside: %v", err)
			}
			return nil
		})
		if err != nil || calls != 1 {
			t.Fatalf("Transact = %v after %d calls", err, calls)
		}
		if v, err := c.Read(ctx, "t/b"); string(v) != "B" || err != nil {
			t.Errorf("after commit Read = %q, %v", v, err)
		}

		// Forced EAGAIN twice: the third attempt commits.
		s.mu.Lock()
		s.failCommits = 2
		s.mu.Unlock()
		starts := s.count(XS_TRANSACTION_START)
		calls = 0
		err = c.Transact(ctx, func(tx *Tx) error {
			calls++
			return tx.Write(ctx, "t/n", []byte(fmt.Sprint(calls)))
		})
		if err != nil || calls != 3 || s.count(XS_TRANSACTION_START)-starts != 3 {
			t.Fatalf("Transact = %v, %d calls, %d starts; want nil, 3, 3", err, calls, s.count(XS_TRANSACTION_START)-starts)
		}
		if v, _ := c.Read(ctx, "t/n"); string(v) != "3" {
			t.Errorf("t/n = %q, want the third attempt's 3", v)
		}

		// A real conflict: the store changes under the first attempt.
		calls = 0
		err = c.Transact(ctx, func(tx *Tx) error {
			calls++
			if calls == 1 {
				if err := c.Write(ctx, "t/a", []byte("outside")); err != nil {
					return err
				}
			}
			return tx.Write(ctx, "t/a", []byte("inside"))
		})
		if v, _ := c.Read(ctx, "t/a"); err != nil || calls != 2 || string(v) != "inside" {
			t.Errorf("conflict: Transact = %v after %d calls, t/a = %q", err, calls, v)
		}

		// Never succeeds: bounded, typed, wraps EAGAIN.
		s.mu.Lock()
		s.failCommits = 1000
		s.mu.Unlock()
		calls = 0
		err = c.Transact(ctx, func(tx *Tx) error { calls++; return nil })
		var te *TransactError
		if !errors.As(err, &te) || te.Attempts != MaxTransactAttempts || !errors.Is(err, EAGAIN) ||
			calls != MaxTransactAttempts {
			t.Errorf("endless conflict: %v after %d calls", err, calls)
		}
		s.mu.Lock()
		s.failCommits = 0
		s.mu.Unlock()

		// fn fails: the transaction is discarded, its error returned.
		boom := errors.New("boom")
		ends := s.count(XS_TRANSACTION_END)
		err = c.Transact(ctx, func(tx *Tx) error {
			tx.Write(ctx, "t/discarded", []byte("x"))
			return boom
		})
		if err != boom || s.count(XS_TRANSACTION_END)-ends != 1 {
			t.Errorf("Transact = %v, %d ends", err, s.count(XS_TRANSACTION_END)-ends)
		}
		if _, err := c.Read(ctx, "t/discarded"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("discarded write visible: %v", err)
		}

		// A Tx cannot be used after End.
		tx, err := c.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.End(ctx, false); err != nil {
			t.Fatal(err)
		}
		_, err = tx.Read(ctx, "t/a")
		pathErr(t, err, "xenstore read", "t/a", ErrTxEnded)
		if err := tx.End(ctx, true); !errors.Is(err, ErrTxEnded) {
			t.Errorf("second End = %v", err)
		}
		// A transaction id the server does not know.
		bogus := &Tx{c: c, id: 424242}
		if err := bogus.End(ctx, true); !errors.Is(err, ENOENT) {
			t.Errorf("End of an unknown transaction = %v", err)
		}
	})
}

func TestHostileServer(t *testing.T) {
	transports(t, func(t *testing.T, c *Client, s *simServer) {
		ctx := ctxT(t)
		var handled []error
		var hmu sync.Mutex
		c.SetErrorHandler(func(err error) { hmu.Lock(); handled = append(handled, err); hmu.Unlock() })

		_, err := c.Read(ctx, "/hostile/unknown-type")
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Header.Type != 99 ||
			!strings.Contains(err.Error(), "reply of type unknown to an XS_READ request (message type 99 unknown") {
			t.Errorf("unknown type: %v", err)
		}
		_, err = c.Read(ctx, "/hostile/wrong-type")
		if !errors.As(err, &pe) || pe.Header.Type != XS_DIRECTORY {
			t.Errorf("wrong type: %v", err)
		}
		_, err = c.Read(ctx, "/hostile/unknown-error")
		var ue UnknownError
		if !errors.As(err, &ue) || ue.Name != "EWHATEVER" {
			t.Errorf("unknown error: %v", err)
		}
		_, err = c.GetPerms(ctx, "/hostile/bad-perms")
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `bad permission "x5"`) {
			t.Errorf("bad perms: %v", err)
		}
		// A reply to nobody, then ours: ours is intact, the stray one
		// is reported.
		if v, err := c.Read(ctx, "/hostile/stray"); string(v) != "after-stray" || err != nil {
			t.Errorf("stray: Read = %q, %v", v, err)
		}
		n, last := c.ProtocolErrors()
		if n != 1 || !errors.As(last, &pe) || pe.Reason != "reply to no outstanding request" ||
			pe.Header.ReqID < 1000 || pe.Header.Type != XS_READ {
			t.Errorf("after the stray reply: %d protocol errors, last %v", n, last)
		}
		if v, err := c.Read(ctx, "/hostile/bad-event"); string(v) != "after-events" || err != nil {
			t.Errorf("bad events: Read = %q, %v", v, err)
		}
		n, last = c.ProtocolErrors()
		if n != 3 || !strings.Contains(last.Error(), `malformed XS_WATCH_EVENT payload "no-token"`) {
			t.Errorf("after bad events: %d protocol errors, last %v", n, last)
		}
		hmu.Lock()
		if len(handled) != 3 || !strings.Contains(handled[1].Error(), `unknown token "nobody" (path "/x")`) {
			t.Errorf("handler saw %v", handled)
		}
		hmu.Unlock()
		// Silence: the context ends the wait, the connection lives on.
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		_, err = c.Read(short, "/hostile/silence")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("silence: %v", err)
		}
		if c.Err() != nil {
			t.Fatalf("connection died: %v", c.Err())
		}
		if v, err := c.Read(ctx, "name"); string(v) != "guest" || err != nil {
			t.Errorf("after all that, Read = %q, %v", v, err)
		}

		// An oversize header: the stream is lost, everything fails.
		w, err := c.Watch(ctx, "/local")
		if err != nil {
			t.Fatal(err)
		}
		nextEvent(t, w)
		_, err = c.Read(ctx, "/hostile/oversize")
		var ce *ConnError
		var le *LengthError
		if !errors.As(err, &ce) || !errors.As(err, &le) || le.Header.Len != 5000 || le.Header.Type != XS_READ {
			t.Fatalf("oversize: %v", err)
		}
		if !strings.Contains(err.Error(), "xenstore: connection lost: xenstore: message header announces a 5000-byte payload") {
			t.Errorf("message: %v", err)
		}
		if c.Err() == nil || !errors.As(c.Err(), &le) {
			t.Errorf("Err = %v", c.Err())
		}
		if _, err := c.Read(ctx, "name"); !errors.As(err, &le) {
			t.Errorf("Read on a dead connection: %v", err)
		}
		if _, ok := <-w.Events(); ok || !errors.As(w.Err(), &le) {
			t.Errorf("watch after death: open=%v, Err %v", ok, w.Err())
		}
		select {
		case <-c.Done():
		default:
			t.Error("Done not closed")
		}
	})
}

func TestServerHangsUp(t *testing.T) {
	transports(t, func(t *testing.T, c *Client, s *simServer) {
		ctx := ctxT(t)
		_, err := c.Read(ctx, "/hostile/hang-up")
		var ce *ConnError
		if !errors.As(err, &ce) {
			t.Fatalf("Read = %v, want a *ConnError", err)
		}
		if _, err := c.Read(ctx, "name"); !errors.As(err, &ce) {
			t.Errorf("next Read = %v", err)
		}
	})
}

// Corruptions of the page itself: each kills the connection with the
// Ring's typed error inside the *ConnError.
func TestRingCorruption(t *testing.T) {
	for what, check := range map[string]func(error) bool{
		"bad-index": func(err error) bool {
			var ie *IndexError
			return errors.As(err, &ie) && ie.Ring == RingRsp && ie.Prod-ie.Cons == XENSTORE_RING_SIZE+1
		},
		"error": func(err error) bool {
			var se *ServerError
			return errors.As(err, &se) && se.Code == XENSTORE_ERROR_PROTO
		},
		"reconnect": func(err error) bool {
			var ce *ConnectionError
			return errors.As(err, &ce) && ce.Connection == XENSTORE_RECONNECT
		},
	} {
		t.Run(what, func(t *testing.T) {
			c, _ := newRingSim(t, 0xFFFFFFF0, 5, 9)
			ctx := ctxT(t)
			if v, err := c.Read(ctx, "/hostile/ring-"+what); string(v) != "corrupting" || err != nil {
				t.Fatalf("Read = %q, %v", v, err)
			}
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the connection did not die")
			}
			if !check(c.Err()) {
				t.Errorf("Err = %v", c.Err())
			}
			if _, err := c.Read(ctx, "name"); !check(err) {
				t.Errorf("later Read = %v", err)
			}
		})
	}
}

// Many goroutines, each writing and reading back its own keys, over a ring
// whose server produces a byte at a time across the wrap, while a watch
// collects events in between.
func TestConcurrentRequests(t *testing.T) {
	c, _ := newRingSim(t, 0xFFFFFF00, 3, 11)
	ctx := ctxT(t)
	w, err := c.Watch(ctx, "/local/domain/5/c")
	if err != nil {
		t.Fatal(err)
	}
	const sentinel = "/local/domain/5/c/done"
	events := make(chan int)
	go func() {
		n := 0
		for p := range w.Events() {
			n++
			if p == sentinel {
				break
			}
		}
		events <- n
	}()
	const G, N = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, G*N)
	for g := range G {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range N {
				p := fmt.Sprintf("/local/domain/5/c/%d/%d", g, i)
				want := fmt.Sprintf("value %d %d %s", g, i, strings.Repeat("x", g*i))
				if err := c.Write(ctx, p, []byte(want)); err != nil {
					errs <- err
					return
				}
				if v, err := c.Read(ctx, p); string(v) != want || err != nil {
					errs <- fmt.Errorf("Read %s = %q, %v", p, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Events come in order; a sentinel written last marks the end.
	if err := c.Write(ctx, sentinel, nil); err != nil {
		t.Fatal(err)
	}
	// 1 initial + one per write (the sim fires for the written path
	// only, not for the parents it creates) + the sentinel.
	select {
	case n := <-events:
		if n != 1+G*N+1 {
			t.Errorf("%d events, want %d", n, 1+G*N+1)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sentinel's event never came")
	}
	w.Close()
	if n, last := c.ProtocolErrors(); n != 0 {
		t.Errorf("%d protocol errors, last %v", n, last)
	}
}

// When the transport fails, every waiter gets the error, watches end, and
// later requests fail at once.
func TestTransportFailure(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	defer c.Close()
	c.SetTimeout(0) // only the transport can end these requests
	const N = 5
	errs := make(chan error, N)
	for i := 0; i < N; i++ {
		go func() {
			_, err := c.Read(context.Background(), "/x")
			errs <- err
		}()
	}
	for i := 0; i < N; i++ {
		<-sc.wrote
	}
	boom := errors.New("boom")
	sc.readErr = boom
	close(sc.reads)
	for i := 0; i < N; i++ {
		select {
		case err := <-errs:
			var ce *ConnError
			if !errors.As(err, &ce) || !errors.Is(err, boom) || err.Error() != "xenstore read /x: xenstore: connection lost: boom" {
				t.Errorf("waiter %d: %v", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a waiter was not woken")
		}
	}
	if _, err := c.Read(context.Background(), "/y"); !errors.Is(err, boom) {
		t.Errorf("later Read = %v", err)
	}
	if _, err := c.Watch(context.Background(), "/y"); !errors.Is(err, boom) {
		t.Errorf("later Watch = %v", err)
	}
}

func TestEOFInsideMessage(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	defer c.Close()
	sc.reads <- simMsg(XS_READ, 1, 0, []byte("abc"))[:10]
	close(sc.reads)
	<-c.Done()
	if err := c.Err(); !errors.Is(err, io.ErrUnexpectedEOF) ||
		!strings.Contains(err.Error(), "stream ended inside a message (10 bytes of it received)") {
		t.Errorf("Err = %v", err)
	}
	sc2 := newScriptConn()
	c2 := New(sc2)
	defer c2.Close()
	close(sc2.reads)
	<-c2.Done()
	if err := c2.Err(); !errors.Is(err, io.EOF) {
		t.Errorf("clean EOF: Err = %v", err)
	}
}

// failWriter fails writes: with n=0 (the message was refused whole, like
// Linux's device refusing an over-long message) or after part of it.
type failWriter struct {
	*scriptConn
	partial bool
	fail    bool
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.fail {
		f.fail = false
		if f.partial {
			return 3, errors.New("disk on fire")
		}
		return 0, errors.New("E2BIG")
	}
	return f.scriptConn.Write(p)
}

func TestWriteErrors(t *testing.T) {
	fw := &failWriter{scriptConn: newScriptConn(), fail: true}
	c := New(fw)
	defer c.Close()
	_, err := c.Read(context.Background(), "/x")
	if err == nil || !strings.Contains(err.Error(), "xenstore: sending XS_READ: E2BIG") {
		t.Fatalf("refused write: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("a refused write killed the connection: %v", c.Err())
	}
	go func() {
		<-fw.wrote
		fw.reads <- simMsg(XS_READ, 2, 0, []byte("ok"))
	}()
	if v, err := c.Read(context.Background(), "/x"); string(v) != "ok" || err != nil {
		t.Fatalf("next Read = %q, %v", v, err)
	}

	fw = &failWriter{scriptConn: newScriptConn(), fail: true, partial: true}
	c = New(fw)
	defer c.Close()
	_, err = c.Read(context.Background(), "/x")
	var ce *ConnError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "writing XS_READ failed after 3 of 19 bytes: disk on fire") {
		t.Fatalf("partial write: %v", err)
	}
}

func TestClose(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	errs := make(chan error, 1)
	go func() {
		_, err := c.Read(context.Background(), "/x")
		errs <- err
	}()
	<-sc.wrote
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Errorf("waiter got %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := c.Read(context.Background(), "/x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v", err)
	}
	if c.Err() != ErrClosed {
		t.Errorf("Err = %v", c.Err())
	}
	select {
	case <-sc.closed:
	default:
		t.Error("transport not closed")
	}
}

// A reply that arrives after its request gave up is absorbed quietly; a
// late transaction start is ended; a watch whose request gave up is
// removed from the server.
func TestAbandonedRequests(t *testing.T) {
	sc := newScriptConn()
	c := New(sc)
	defer c.Close()
	// Each request gives up once it has been written: a context cancelled
	// when the transport sees the write.
	afterWrite := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-sc.wrote
			cancel()
		}()
		return ctx
	}
	if _, err := c.Read(afterWrite(), "/slow"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v", err)
	}
	if _, err := c.Start(afterWrite()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v", err)
	}
	if _, err := c.Watch(afterWrite(), "/w"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch = %v", err)
	}
	<-sc.wrote // the undoing XS_UNWATCH
	sc.reads <- simMsg(XS_READ, 1, 0, []byte("late"))
	sc.reads <- simMsg(XS_TRANSACTION_START, 2, 0, []byte("77\x00"))
	sc.reads <- simMsg(XS_WATCH, 3, 0, []byte("OK\x00"))
	sc.reads <- simMsg(XS_WATCH_EVENT, 0, 0, []byte("/w\x00goxen-1\x00"))
	<-sc.wrote // the XS_TRANSACTION_END for 77
	sc.mu.Lock()
	var ends, unwatches []Header
	for _, m := range sc.written {
		h := simHeader(m)
		switch h.Type {
		case XS_TRANSACTION_END:
			if string(m[16:]) == "F\x00" {
				ends = append(ends, h)
			}
		case XS_UNWATCH:
			if string(m[16:]) == "/w\x00goxen-1\x00" {
				unwatches = append(unwatches, h)
			}
		}
	}
	sc.mu.Unlock()
	if len(ends) != 1 || ends[0].TxID != 77 {
		t.Errorf("transaction ends sent: %+v; want one for tx 77", ends)
	}
	if len(unwatches) != 1 {
		t.Errorf("unwatches sent: %+v", unwatches)
	}
	// Sync: one more request round trip, then no protocol errors.
	go func() {
		<-sc.wrote
		sc.reads <- simMsg(XS_READ, 6, 0, []byte("sync"))
	}()
	c.SetTimeout(5 * time.Second)
	if v, err := c.Read(context.Background(), "/sync"); string(v) != "sync" || err != nil {
		t.Fatalf("sync Read = %q, %v", v, err)
	}
	if n, last := c.ProtocolErrors(); n != 0 {
		t.Errorf("%d protocol errors, last %v", n, last)
	}
}

// Open and OpenPath reach a xenstored listening on a Unix socket, the way
// tools in dom0 do.
func TestOpenSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "socket")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no Unix sockets: %v", err)
	}
	defer ln.Close()
	s := newSimServer()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.connect(0).servePipe(conn)
		}
	}()
	ctx := ctxT(t)
	c, err := OpenPath(sock)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Read(ctx, "/local/domain/5/name"); string(v) != "guest" || err != nil {
		t.Errorf("Read over the socket = %q, %v", v, err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}

	t.Setenv("XENSTORED_PATH", sock)
	c, err = Open()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Read(ctx, "/local/domain/0/secret"); string(v) != "hidden" || err != nil {
		t.Errorf("Read via Open = %q, %v (dom0 may read everything)", v, err)
	}
	c.Close()

	t.Setenv("XENSTORED_PATH", filepath.Join(dir, "nothing"))
	if _, err := Open(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing path = %v", err)
	}
}
