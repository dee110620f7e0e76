package stream

import (
	"errors"
	"io"
	"testing"
)

// peer is a scripted other side: its ring holds data, and what it does
// at each of the reader's looks is a step of the script.
type peer struct {
	data   []byte
	gone   bool
	looks  int
	armed  int
	onLook func(look int) // runs before the look number look (1, 2, ...)
	ev     chan struct{}
}

func (q *peer) take(p []byte) (int, error) {
	q.looks++
	if q.onLook != nil {
		q.onLook(q.looks)
	}
	n := copy(p, q.data)
	q.data = q.data[n:]
	return n, nil
}

func (q *peer) ends(arm bool) *Ends {
	e := &Ends{
		Changed: func() <-chan struct{} { return q.ev },
		Closed:  func() error { return nil },
		Gone: func() bool {
			if !q.gone && q.onLook == nil {
				// The race of issue 23, item 13: the peer writes its
				// last bytes and marks itself gone right after the
				// reader's last look.
				q.data = append(q.data, "last"...)
				q.gone = true
			}
			return q.gone
		},
	}
	if arm {
		e.Arm = func(bool) { q.armed++ }
	}
	return e
}

// A reader that sees the peer gone looks at the ring once more: the last
// bytes written before the peer left are read, then EOF.
func TestReadLooksAgainAfterThePeerLeft(t *testing.T) {
	for _, arm := range []bool{false, true} {
		q := &peer{ev: make(chan struct{})}
		e := q.ends(arm)
		buf := make([]byte, 16)
		n, err := e.Read(buf, q.take)
		if string(buf[:n]) != "last" || err != nil {
			t.Fatalf("arm %v: Read = %q, %v; want the peer's last bytes", arm, buf[:n], err)
		}
		if n, err := e.Read(buf, q.take); n != 0 || err != io.EOF {
			t.Fatalf("arm %v: second Read = %d, %v; want EOF", arm, n, err)
		}
	}
}

// Data that came while the reader asked for an event is read at once.
func TestReadLooksAgainAfterArming(t *testing.T) {
	q := &peer{ev: make(chan struct{})}
	q.onLook = func(look int) {
		if look == 2 {
			q.data = []byte("x")
		}
	}
	e := q.ends(true)
	buf := make([]byte, 4)
	if n, err := e.Read(buf, q.take); n != 1 || err != nil || q.armed != 1 {
		t.Fatalf("Read = %d, %v (armed %d)", n, err, q.armed)
	}
}

// A closed side and a failing ring stop the loops with their errors.
func TestErrorsStopTheLoops(t *testing.T) {
	closed := errors.New("closed")
	bad := errors.New("hostile")
	e := &Ends{Changed: func() <-chan struct{} { return nil }, Closed: func() error { return closed }}
	empty := func([]byte) (int, error) { return 0, nil }
	if _, err := e.Read(make([]byte, 1), empty); err != closed {
		t.Errorf("Read after close: %v", err)
	}
	if n, err := e.Write([]byte("ab"), empty); n != 0 || err != closed {
		t.Errorf("Write after close: %d, %v", n, err)
	}
	e.Closed = func() error { return nil }
	failing := func([]byte) (int, error) { return 0, bad }
	if _, err := e.Read(make([]byte, 1), failing); err != bad {
		t.Errorf("Read of a bad ring: %v", err)
	}
	if _, err := e.Write([]byte("ab"), failing); err != bad {
		t.Errorf("Write to a bad ring: %v", err)
	}
	e.Gone = func() bool { return true }
	if n, err := e.Write([]byte("ab"), empty); n != 0 || err != io.ErrClosedPipe {
		t.Errorf("Write to a gone peer: %d, %v", n, err)
	}
	if n, err := e.Read(nil, failing); n != 0 || err != nil {
		t.Errorf("empty Read = %d, %v", n, err)
	}
}

// Write gives in as many steps as the ring takes, waiting between them;
// a writer that asks for an event looks once more before it waits.
func TestWriteWaitsForRoom(t *testing.T) {
	ev := make(chan struct{})
	var got []byte
	room := 3
	gives := 0
	give := func(p []byte) (int, error) {
		gives++
		n := min(room, len(p))
		got = append(got, p[:n]...)
		room -= n
		return n, nil
	}
	armed := 0
	e := &Ends{
		Changed: func() <-chan struct{} {
			if room == 0 { // the peer reads everything, then signals
				room = 3
				c := make(chan struct{})
				close(c)
				return c
			}
			return ev
		},
		Closed: func() error { return nil },
		Arm:    func(reader bool) { armed++; _ = reader },
	}
	n, err := e.Write([]byte("abcdefgh"), give)
	if n != 8 || err != nil || string(got) != "abcdefgh" {
		t.Fatalf("Write = %d, %v, ring got %q", n, err, got)
	}
}
