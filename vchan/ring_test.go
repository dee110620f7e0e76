package vchan

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"github.com/goxen/goxen/internal/evtchntest"
)

func TestLayout(t *testing.T) {
	cases := []struct{ read, write, lo, ro int }{
		{0, 0, 10, 11},        // both in the page: left at 1024, right at 2048
		{1024, 2048, 10, 11},  //
		{2048, 1024, 12, 11},  // left cannot take 2048's slot: a page of its own
		{4096, 4096, 12, 12},  // a page each
		{5000, 65536, 13, 16}, // rounded up to powers of two
		{1 << 20, 10, 20, 11}, // the largest ring
	}
	for _, c := range cases {
		lo, ro, err := layout(c.read, c.write)
		if err != nil || lo != c.lo || ro != c.ro {
			t.Errorf("layout(%d, %d) = %d, %d, %v; want %d, %d", c.read, c.write, lo, ro, err, c.lo, c.ro)
		}
		if lo == ro && lo < pageOrder {
			t.Errorf("layout(%d, %d) put both rings in one slot", c.read, c.write)
		}
	}
	if _, _, err := layout(1<<20+1, 0); err == nil {
		t.Error("a ring beyond 1 MiB was accepted")
	}
	if pages(16) != 16 || pages(11) != 0 || pages(12) != 1 {
		t.Error("pages")
	}
}

func newTestRing(size int) (byteRing, []byte) {
	page := make([]byte, 4096)
	return newRing(page, offRight, make([]byte, size), "write"), page
}

// The writer is the package's ring; the reader is the test client's own
// arithmetic (conn_test.go), so a shared mistake cannot cancel out.
func TestRingWrapsAndKeepsBytes(t *testing.T) {
	w, page := newTestRing(1024)
	*(*uint16)(unsafe.Pointer(&page[cRightOrd])) = 10 // the client finds right's data at 1024
	w.q.Data = page[1024:2048]
	k := &client{page: page, port: evtchntest.New()}
	for _, off := range []int{cRightCons, cRightProd} {
		*k.word(off) = 0xfffffc00 // 1 KiB before the 2^32 wrap
	}
	var sent, got bytes.Buffer
	buf := make([]byte, 700)
	for i := 0; i < 50; i++ {
		chunk := bytes.Repeat([]byte{byte(i)}, 300+i*7)
		for len(chunk) > 0 {
			n, err := w.put(chunk)
			if err != nil {
				t.Fatal(err)
			}
			sent.Write(chunk[:n])
			chunk = chunk[n:]
			got.Write(buf[:k.read(buf)])
		}
	}
	for {
		m := k.read(buf)
		if m == 0 {
			break
		}
		got.Write(buf[:m])
	}
	if !bytes.Equal(sent.Bytes(), got.Bytes()) {
		t.Fatalf("%d bytes sent, %d came out differently", sent.Len(), got.Len())
	}
}

func TestRingFull(t *testing.T) {
	w, _ := newTestRing(1024)
	n, err := w.put(make([]byte, 5000))
	if n != 1024 || err != nil {
		t.Fatalf("put into an empty 1 KiB ring = %d, %v", n, err)
	}
	if n, err := w.put([]byte{1}); n != 0 || err != nil {
		t.Fatalf("put into a full ring = %d, %v", n, err)
	}
}

// A hostile peer moves the other index: more in flight than the ring
// holds is an IndexError, and nothing is copied or published.
func TestRingHostileIndices(t *testing.T) {
	w, page := newTestRing(1024)
	*w.q.Cons = 5000 // consumer "ahead" of the producer
	n, err := w.put([]byte("x"))
	var ie *IndexError
	if n != 0 || !errors.As(err, &ie) || ie.Size != 1024 {
		t.Fatalf("put with hostile cons = %d, %v", n, err)
	}
	if *w.q.Prod != 0 {
		t.Fatal("prod moved after a hostile index")
	}
	r := newRing(page, offLeft, make([]byte, 1024), "read")
	*r.q.Prod = 2000 // claims more than the ring holds
	if n, err := r.get(make([]byte, 10)); n != 0 || !errors.As(err, &ie) {
		t.Fatalf("get with hostile prod = %d, %v", n, err)
	}
	if msg := err.Error(); msg == "" {
		t.Fatal("empty message")
	}
}

func FuzzRingIndices(f *testing.F) {
	f.Add(uint32(0), uint32(0), 10)
	f.Add(uint32(0xfffffff0), uint32(0x10), 300)
	f.Add(uint32(5000), uint32(0), 1)
	f.Fuzz(func(t *testing.T, prod, cons uint32, n int) {
		if n < 0 || n > 4096 {
			return
		}
		page := make([]byte, 4096)
		r := newRing(page, offLeft, make([]byte, 1024), "read")
		*r.q.Prod, *r.q.Cons = prod, cons
		got, err := r.get(make([]byte, n))
		if err == nil && (got > n || uint32(got) > prod-cons) {
			t.Fatalf("get took %d of %d with prod %d cons %d", got, n, prod, cons)
		}
		if err != nil && got != 0 {
			t.Fatal("bytes taken despite an error")
		}
		w := newRing(page, offRight, make([]byte, 1024), "write")
		*w.q.Prod, *w.q.Cons = prod, cons
		put, err := w.put(make([]byte, n))
		if err == nil && uint32(put)+(prod-cons) > 1024 {
			t.Fatalf("put %d over %d in flight", put, prod-cons)
		}
	})
}
