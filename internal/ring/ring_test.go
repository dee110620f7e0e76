package ring

import (
	"bytes"
	"testing"

	"github.com/goxen/goxen/internal/wbcheck"
)

func TestInFlight(t *testing.T) {
	for _, c := range []struct {
		prod, cons, size uint32
		n                uint32
		ok               bool
	}{
		{0, 0, 16, 0, true},
		{16, 0, 16, 16, true},
		{17, 0, 16, 17, false},                // too far behind
		{0, 1, 16, 0xffffffff, false},         // consumer ahead of the producer
		{5, 0xfffffffe, 16, 7, true},          // across the 2^32 wrap
		{0x10, 0x20, 1024, 0xfffffff0, false}, // the example in console's and xenstore's errors
	} {
		n, ok := InFlight(c.prod, c.cons, c.size)
		if n != c.n || ok != c.ok {
			t.Errorf("InFlight(%#x, %#x, %d) = %#x, %v; want %#x, %v", c.prod, c.cons, c.size, n, ok, c.n, c.ok)
		}
	}
}

// Put and Get against a model that indexes with %, at every start offset,
// with data and room shorter than, equal to and longer than each other.
func TestPutGetModel(t *testing.T) {
	const size = 16
	for _, start := range []uint32{0, 1, 7, 15, 16, 0xfffffff8, 0xffffffff} {
		for plen := 0; plen <= size+2; plen++ {
			for room := uint32(0); room <= size; room++ {
				var q [size]byte
				for i := range q {
					q[i] = '.'
				}
				p := make([]byte, plen)
				for i := range p {
					p[i] = byte('a' + i)
				}
				want := q
				k := min(plen, int(room))
				for i := range k {
					want[(start+uint32(i))%size] = p[i]
				}
				if got := Put(q[:], start, room, p); got != k {
					t.Fatalf("Put(start %#x, free %d, %d bytes) = %d, want %d", start, room, plen, got, k)
				}
				if q != want {
					t.Fatalf("Put(start %#x, free %d, %d bytes): ring %q, want %q", start, room, plen, q[:], want[:])
				}

				// Read back what was put, into a buffer of each length.
				out := bytes.Repeat([]byte{'#'}, plen)
				if got := Get(q[:], start, room, out); got != k {
					t.Fatalf("Get(start %#x, avail %d, %d bytes) = %d, want %d", start, room, plen, got, k)
				}
				if !bytes.Equal(out[:k], p[:k]) {
					t.Fatalf("Get(start %#x, avail %d): %q, want %q", start, room, out[:k], p[:k])
				}
				for _, c := range out[k:] {
					if c != '#' {
						t.Fatalf("Get(start %#x, avail %d) wrote past its count: %q", start, room, out)
					}
				}
			}
		}
	}
}

func TestEmptyQueue(t *testing.T) {
	if n := Put(nil, 3, 0, []byte("x")); n != 0 {
		t.Errorf("Put into no queue = %d", n)
	}
	if n := Get(nil, 3, 0, make([]byte, 1)); n != 0 {
		t.Errorf("Get from no queue = %d", n)
	}
}

// Batch kicks once per batch of published data: before a wait, at the
// end, and never with nothing published or with a nil kick.
func TestBatch(t *testing.T) {
	var log []byte
	kick := func() { log = append(log, 'k') }
	wait := func() { log = append(log, 'w') }
	var b Batch
	b.End(kick) // nothing published
	if !b.Full(kick, wait) {
		t.Fatal("Full with a wait = false")
	}
	b.Published()
	b.Published()
	if !b.Full(kick, wait) {
		t.Fatal("Full with a wait = false")
	}
	b.Full(kick, wait) // the batch was kicked already
	b.Published()
	b.End(kick)
	b.End(kick)
	b.Published()
	if b.Full(kick, nil) {
		t.Error("Full with a nil wait = true")
	}
	b.Published()
	b.End(nil)
	b.End(kick) // End(nil) closed the batch
	if got := string(log); got != "wkwwkk" {
		t.Errorf("calls %q, want %q", got, "wkwwkk")
	}
}

func TestNoAllocs(t *testing.T) {
	var q [1024]byte
	p := make([]byte, 700)
	if n := testing.AllocsPerRun(100, func() {
		InFlight(5, 3, 1024)
		var b Batch
		b.Published()
		b.Full(nil, func() {})
		b.End(nil)
		Put(q[:], 1000, 1024, p)
		Get(q[:], 1000, 1024, p)
	}); n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}

// TestNoWriteBarriers: the kernel runs these in its system-call handlers,
// where there is no P (see package wbcheck).
func TestNoWriteBarriers(t *testing.T) { wbcheck.NoBarriers(t, nil) }
