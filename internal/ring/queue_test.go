package ring

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// page is a queue of 16 bytes with its indices, and a peer that works it
// with its own arithmetic (% on the index, as xen/include/public/io's
// rings describe it), not with the package's masks.
type page struct {
	data       [16]byte
	prod, cons uint32
}

func (pg *page) queue() Queue { return Queue{Data: pg.data[:], Prod: &pg.prod, Cons: &pg.cons} }

// peerTake consumes everything in flight.
func (pg *page) peerTake() []byte {
	var b []byte
	for ; pg.cons != pg.prod; pg.cons++ {
		b = append(b, pg.data[pg.cons%16])
	}
	return b
}

// peerPut produces p (the caller keeps it within the room).
func (pg *page) peerPut(p []byte) {
	for _, c := range p {
		pg.data[pg.prod%16] = c
		pg.prod++
	}
}

type hostileErr struct{ prod, cons uint32 }

func (e hostileErr) Error() string { return fmt.Sprintf("hostile %#x %#x", e.prod, e.cons) }

func hostile(prod, cons uint32) error { return hostileErr{prod, cons} }

// Write and Read agree with the peer across the 2^32 wrap of the indices,
// waiting (the peer consuming) when the queue is full.
func TestQueueAgainstPeer(t *testing.T) {
	for _, start := range []uint32{0, 5, 0xfffffff3} {
		pg := &page{prod: start, cons: start}
		var got []byte
		kicks, waits := 0, 0
		pr := Producer{Hostile: hostile, Kick: func() { kicks++ }, Wait: func() {
			waits++
			got = append(got, pg.peerTake()...)
		}}
		msg := []byte("the quick brown fox jumps over the lazy dog")
		if n, err := pg.queue().Write(msg, &pr); n != len(msg) || err != nil {
			t.Fatalf("start %#x: Write = %d, %v", start, n, err)
		}
		got = append(got, pg.peerTake()...)
		if !bytes.Equal(got, msg) || waits != 2 || kicks != 3 {
			t.Fatalf("start %#x: peer got %q after %d waits, %d kicks", start, got, waits, kicks)
		}

		pg.peerPut([]byte("0123456789abcdef"))
		buf := make([]byte, 10)
		var read []byte
		for {
			n, err := pg.queue().Read(buf, hostile, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			read = append(read, buf[:n]...)
		}
		if string(read) != "0123456789abcdef" {
			t.Fatalf("start %#x: Read %q", start, read)
		}
	}
}

// A producer index that claims more than the queue holds, or a consumer
// ahead of the producer, is the caller's error: nothing is copied and no
// index moves, whatever the values.
func TestQueueHostileIndices(t *testing.T) {
	for _, c := range []struct{ prod, cons uint32 }{
		{17, 0}, {0, 1}, {0x80000000, 0}, {0xffffffff, 0x10},
	} {
		pg := &page{prod: c.prod, cons: c.cons}
		for i := range pg.data {
			pg.data[i] = '.'
		}
		before := pg.data
		buf := bytes.Repeat([]byte{'#'}, 32)
		n, err := pg.queue().Read(buf, hostile, func() { t.Error("kicked") })
		if n != 0 || !errors.Is(err, hostileErr{c.prod, c.cons}) || buf[0] != '#' {
			t.Errorf("Read with prod %#x cons %#x = %d, %v", c.prod, c.cons, n, err)
		}
		if _, err := pg.queue().Used(hostile); err == nil {
			t.Errorf("Used with prod %#x cons %#x: no error", c.prod, c.cons)
		}
		n, err = pg.queue().Write([]byte("xyz"), &Producer{Hostile: hostile})
		if n != 0 || !errors.Is(err, hostileErr{c.prod, c.cons}) {
			t.Errorf("Write with prod %#x cons %#x = %d, %v", c.prod, c.cons, n, err)
		}
		if pg.prod != c.prod || pg.cons != c.cons || pg.data != before {
			t.Errorf("prod %#x cons %#x: the page changed", c.prod, c.cons)
		}
	}
}

// Without Wait a full queue stops Write with what fit and no error; State
// stops it before any copy.
func TestQueueWriteStops(t *testing.T) {
	pg := &page{}
	if n, err := pg.queue().Write(make([]byte, 20), &Producer{Hostile: hostile}); n != 16 || err != nil {
		t.Fatalf("Write into 16 bytes = %d, %v", n, err)
	}
	stop := errors.New("reconnecting")
	pg = &page{}
	n, err := pg.queue().Write([]byte("x"), &Producer{Hostile: hostile, State: func() error { return stop }})
	if n != 0 || err != stop || pg.prod != 0 {
		t.Fatalf("Write with a failing State = %d, %v (prod %d)", n, err, pg.prod)
	}
}

// CRLF doubles each "\n" and never splits the pair.
func TestQueueCRLF(t *testing.T) {
	pg := &page{}
	pr := Producer{CRLF: true, Hostile: hostile}
	n, err := pg.queue().Write([]byte("abcdefghijklmno\nz"), &pr)
	if n != 15 || err != nil || pg.prod != 15 {
		t.Fatalf("Write = %d, %v, prod %d: want 15 (no room for the \\r\\n)", n, err, pg.prod)
	}
	pg.peerTake()
	n, _ = pg.queue().Write([]byte("\nz"), &pr)
	if got := string(pg.peerTake()); n != 2 || got != "\r\nz" {
		t.Fatalf("Write = %d, peer got %q", n, got)
	}
}

func TestQueueNoAllocs(t *testing.T) {
	pg := &page{}
	buf := make([]byte, 10)
	if a := testing.AllocsPerRun(100, func() {
		pr := Producer{CRLF: true, Hostile: hostile, Wait: func() { pg.cons = pg.prod }}
		pg.queue().Write([]byte("hello\nworld\n, again and again"), &pr)
		pg.cons = pg.prod // one queue serves both roles here: empty it
		pg.peerPut([]byte("abc"))
		pg.queue().Read(buf, hostile, nil)
		pg.queue().Used(hostile)
	}); a != 0 {
		t.Errorf("%v allocations per run", a)
	}
}
