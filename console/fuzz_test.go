package console

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// expand is the reference CRLF translation.
func expand(p []byte, crlf bool) []byte {
	if !crlf {
		return p
	}
	return bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))
}

// FuzzWrite starts the out ring in an arbitrary index state (honest or
// hostile), writes size pseudo-random bytes against a synchronous backend
// that frees random amounts, and optionally turns the backend hostile at the
// corruptAt-th wakeup. The outcome must be byte-exact delivery of everything
// Write reports as taken, with either no error or an *IndexError that matches
// the indices; never a panic.
func FuzzWrite(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint16(100), uint64(1), false, uint8(0))
	f.Add(uint32(0xFFFFF000), uint32(0xFFFFF000), uint16(10000), uint64(2), true, uint8(0))
	f.Add(uint32(0x10), uint32(0x20), uint16(5), uint64(3), false, uint8(0))                // cons ahead
	f.Add(uint32(0x801), uint32(0), uint16(5), uint64(4), false, uint8(0))                  // 2049 in flight
	f.Add(uint32(0x800), uint32(0), uint16(3000), uint64(5), true, uint8(0))                // exactly full
	f.Add(uint32(0xFFFFFFFF), uint32(0xFFFFF900), uint16(6000), uint64(6), false, uint8(3)) // hostile later
	f.Fuzz(func(t *testing.T, prod, cons uint32, size uint16, seed uint64, crlf bool, corruptAt uint8) {
		rng := rand.New(rand.NewPCG(seed, 1))
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
			if data[i]%8 == 0 { // plenty of newlines for CRLF
				data[i] = '\n'
			}
		}

		var pg Interface
		pg.OutProd, pg.OutCons = prod, cons
		stale := prod - cons // bytes already in flight before we start
		honest := stale <= OutSize
		var got []byte
		realCons := cons // where an honest backend really is
		kicks, waits := 0, 0
		hostileAt := uint32(0)
		r := Ring{Page: &pg, CRLF: crlf, Kick: func() { kicks++ }}
		r.Wait = func() {
			waits++
			if waits > 2*int(size)+OutSize+10 { // each wait frees >= 1 byte
				t.Fatalf("no progress after %d waits", waits)
			}
			// Free at least one byte so the write can finish.
			pg.OutCons = realCons
			got = append(got, drainOut(&pg, 1+rng.IntN(OutSize))...)
			realCons = pg.OutCons
			if corruptAt != 0 && waits == int(corruptAt) {
				hostileAt = pg.OutProd + 1 + uint32(rng.IntN(1<<20))
				pg.OutCons = hostileAt
			}
		}

		n, err := r.Write(data)
		if n < 0 || n > len(data) {
			t.Fatalf("n = %d out of range", n)
		}
		if kicks > waits+1 {
			t.Errorf("kicks=%d waits=%d: more than one kick per batch", kicks, waits)
		}

		if size == 0 {
			// An empty write is a no-op: it does not even look at the
			// indices, so hostile ones go unnoticed until there is data.
			if n != 0 || err != nil || kicks != 0 || waits != 0 || pg.OutProd != prod {
				t.Fatalf("empty Write = %d, %v, kicks=%d waits=%d", n, err, kicks, waits)
			}
			return
		}

		if !honest {
			var ie *IndexError
			if !errors.As(err, &ie) || ie.Ring != OutBuffer || ie.Prod != prod || ie.Cons != cons {
				t.Fatalf("hostile start: Write = %d, %v", n, err)
			}
			if n != 0 || pg.OutProd != prod || kicks != 0 {
				t.Fatalf("hostile start: n=%d out_prod=%#x kicks=%d", n, pg.OutProd, kicks)
			}
			return
		}

		if hostileAt != 0 {
			var ie *IndexError
			if !errors.As(err, &ie) || ie.Cons != hostileAt {
				t.Fatalf("backend turned hostile but Write = %d, %v", n, err)
			}
		} else if err != nil || n != len(data) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(data))
		}

		// Drain the rest as the honest backend would and compare.
		pg.OutCons = realCons
		got = append(got, drainOut(&pg, -1)...)
		if len(got) < int(stale) {
			t.Fatalf("backend got %d bytes, fewer than the %d stale ones", len(got), stale)
		}
		if want := expand(data[:n], crlf); !bytes.Equal(got[stale:], want) {
			t.Fatalf("delivered %d bytes, want %d; first difference at %d",
				len(got)-int(stale), len(want), firstDiff(got[stale:], want))
		}
	})
}

// FuzzRead starts the in ring in an arbitrary index state and reads with a
// buffer of bufSize bytes until empty. An honest state must yield exactly
// the bytes in flight, in order; a hostile one an *IndexError and an
// untouched ring.
func FuzzRead(f *testing.F) {
	f.Add(uint32(10), uint32(0), uint16(4), uint64(1))
	f.Add(uint32(0x10), uint32(0xFFFFFC10), uint16(100), uint64(2)) // exactly full, across 2^32
	f.Add(uint32(0x401), uint32(0), uint16(1), uint64(3))           // 1025 in flight
	f.Add(uint32(0), uint32(1), uint16(1), uint64(4))               // cons ahead
	f.Add(uint32(7), uint32(7), uint16(0), uint64(5))               // empty, empty buffer
	f.Fuzz(func(t *testing.T, prod, cons uint32, bufSize uint16, seed uint64) {
		var pg Interface
		rng := rand.New(rand.NewPCG(seed, 2))
		for i := range pg.In {
			pg.In[i] = byte(rng.Uint32())
		}
		pg.InProd, pg.InCons = prod, cons
		kicks := 0
		r := Ring{Page: &pg, Kick: func() { kicks++ }}
		buf := make([]byte, bufSize)

		avail := prod - cons
		if avail > InSize {
			n, err := r.Read(buf)
			var ie *IndexError
			if n != 0 || !errors.As(err, &ie) || ie.Ring != InBuffer || ie.Prod != prod || ie.Cons != cons {
				t.Fatalf("hostile: Read = %d, %v", n, err)
			}
			if pg.InCons != cons || kicks != 0 {
				t.Fatalf("hostile: in_cons=%#x kicks=%d", pg.InCons, kicks)
			}
			return
		}

		want := make([]byte, avail)
		for i := range want {
			want[i] = pg.In[(cons+uint32(i))%1024]
		}
		var got []byte
		reads := 0
		for {
			n, err := r.Read(buf)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if n < 0 || n > len(buf) {
				t.Fatalf("n = %d for a %d-byte buffer", n, len(buf))
			}
			if n == 0 {
				break
			}
			reads++
			got = append(got, buf[:n]...)
		}
		if bufSize == 0 {
			if pg.InCons != cons || kicks != 0 {
				t.Fatalf("zero-length reads moved in_cons to %#x, kicks=%d", pg.InCons, kicks)
			}
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
		}
		if pg.InCons != prod || kicks != reads {
			t.Fatalf("in_cons=%#x (want %#x) kicks=%d reads=%d", pg.InCons, prod, kicks, reads)
		}
	})
}
