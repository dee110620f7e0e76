package console

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxen/goxen/internal/ring/ringtest"
)

// The backend is package ringtest's Peer: it works out[] and in[] with
// its own arithmetic (% on the index), not with package ring's masks, so
// a wrong mask would show.

func outPeer(pg *Interface) ringtest.Peer {
	return ringtest.Peer{Data: pg.Out[:], Prod: &pg.OutProd, Cons: &pg.OutCons}
}

// drainOut plays the backend: it consumes up to max bytes of out[] (all of
// them if max < 0) and returns them.
func drainOut(pg *Interface, max int) []byte { return outPeer(pg).Take(max) }

// putIn plays the backend producing input: it appends data to in[].
func putIn(pg *Interface, data []byte) {
	ringtest.Peer{Data: pg.In[:], Prod: &pg.InProd, Cons: &pg.InCons}.Give(data)
}

// sim is a ring with a synchronous backend: each Wait consumes Chunk bytes
// (everything if Chunk < 0) into Got.
type sim struct {
	pg Interface
	r  Ring
	*ringtest.Sim
}

func newSim(start uint32, chunk int) *sim {
	s := &sim{}
	s.pg.OutCons, s.pg.OutProd = start, start
	s.pg.InCons, s.pg.InProd = start, start
	s.Sim = &ringtest.Sim{Peer: outPeer(&s.pg), Chunk: chunk}
	s.r = Ring{Page: &s.pg, Kick: s.Kick, Wait: s.Wait}
	return s
}

var pseudoRandom = ringtest.PseudoRandom

func TestWriteSmall(t *testing.T) {
	s := newSim(0, -1)
	n, err := s.r.Write([]byte("hello"))
	if n != 5 || err != nil {
		t.Fatalf("Write = %d, %v; want 5, nil", n, err)
	}
	if got := string(s.pg.Out[:5]); got != "hello" {
		t.Errorf("out[0:5] = %q", got)
	}
	if s.pg.OutProd != 5 || s.pg.OutCons != 0 {
		t.Errorf("out_prod=%d out_cons=%d, want 5, 0", s.pg.OutProd, s.pg.OutCons)
	}
	if s.Kicks != 1 || s.Waits != 0 {
		t.Errorf("kicks=%d waits=%d, want 1, 0", s.Kicks, s.Waits)
	}
	if p, err := s.r.Pending(); p != 5 || err != nil {
		t.Errorf("Pending = %d, %v; want 5, nil", p, err)
	}
}

func TestWriteEmptyDoesNotKick(t *testing.T) {
	s := newSim(0, -1)
	if n, err := s.r.Write(nil); n != 0 || err != nil {
		t.Fatalf("Write(nil) = %d, %v", n, err)
	}
	if s.Kicks != 0 || s.Waits != 0 || s.pg.OutProd != 0 {
		t.Errorf("kicks=%d waits=%d out_prod=%d, want all 0", s.Kicks, s.Waits, s.pg.OutProd)
	}
}

// The indices wrap at 2^32 in the middle of the write, and the buffer offset
// wraps at the same moment (2^32 is a multiple of 2048).
func TestWriteAcrossIndexWrap(t *testing.T) {
	s := newSim(0xFFFFFFFE, -1)
	n, err := s.r.Write([]byte("0123456789"))
	if n != 10 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if s.pg.OutProd != 8 {
		t.Errorf("out_prod = %#x, want 0x8", s.pg.OutProd)
	}
	if got := string(s.pg.Out[2046:]) + string(s.pg.Out[:8]); got != "0123456789" {
		t.Errorf("ring holds %q", got)
	}
	if got := string(s.Finish()); got != "0123456789" {
		t.Errorf("backend read %q", got)
	}
}

// One Write bigger than the ring: it fills, kicks, waits, and repeats. Every
// Wait is preceded by exactly one kick, plus one at the end.
func TestKickOncePerBatch(t *testing.T) {
	data := pseudoRandom(1, 10000)
	s := newSim(100, -1)
	n, err := s.r.Write(data)
	if n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	// 10000 = 4*2048 + 1808: four full rings, each kicked then waited
	// for, and the tail kicked once.
	if s.Waits != 4 || s.Kicks != 5 {
		t.Errorf("waits=%d kicks=%d, want 4 and 5", s.Waits, s.Kicks)
	}
	if !bytes.Equal(s.Finish(), data) {
		t.Error("data corrupted")
	}

	// A backend that frees only 100 bytes per wakeup: still one kick per
	// batch, never one per byte.
	data = pseudoRandom(2, 1<<20)
	s = newSim(0, 100)
	if n, err := s.r.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if s.Kicks != s.Waits+1 {
		t.Errorf("kicks=%d waits=%d, want kicks == waits+1", s.Kicks, s.Waits)
	}
	if want := (len(data)-2048+99)/100 + 1; s.Kicks != want {
		t.Errorf("kicks=%d for %d bytes, want %d", s.Kicks, len(data), want)
	}
	if !bytes.Equal(s.Finish(), data) {
		t.Error("data corrupted")
	}
}

// A Wait that returns without progress (spurious wakeup) must not lose data
// or kick again for nothing.
func TestSpuriousWakeups(t *testing.T) {
	data := pseudoRandom(3, 5000)
	s := newSim(0, -1)
	s.r.Wait = func() {
		s.Waits++
		if s.Waits%3 == 0 {
			s.Got = append(s.Got, drainOut(&s.pg, 700)...)
		}
	}
	if n, err := s.r.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	// Kicks follow publications, not wakeups.
	if s.Kicks >= s.Waits {
		t.Errorf("kicks=%d waits=%d: kicked on wakeups without new data", s.Kicks, s.Waits)
	}
	if !bytes.Equal(s.Finish(), data) {
		t.Error("data corrupted")
	}
}

// The end-to-end test: a concurrent backend with random chunk sizes, 10 MB of
// pseudo-random data written in random pieces, indices starting just below
// 2^32. Kick and Wait are latched like event channels (buffered channels of
// one), so a notification sent before the other side sleeps is not lost.
func TestStreamTenMegabytes(t *testing.T) {
	const total = 10 << 20
	const start = 0xFFFFF000
	data := pseudoRandom(4, total)

	var pg Interface
	pg.OutCons, pg.OutProd = start, start
	toBackend := make(chan struct{}, 1) // the backend's event pending bit
	toGuest := make(chan struct{}, 1)   // the guest's event pending bit
	done := make(chan struct{})
	received := make(chan []byte)
	var kicks, waits int

	go func() { // the backend, like xenconsoled
		rng := rand.New(rand.NewPCG(5, 6))
		got := make([]byte, 0, total)
		for {
			cons := atomic.LoadUint32(&pg.OutCons)
			prod := atomic.LoadUint32(&pg.OutProd)
			if prod == cons {
				select {
				case <-toBackend:
					continue
				case <-done:
					received <- got
					return
				}
			}
			n := min(int(prod-cons), 1+rng.IntN(OutSize))
			for i := 0; i < n; i++ {
				got = append(got, pg.Out[(cons+uint32(i))%2048])
			}
			atomic.StoreUint32(&pg.OutCons, cons+uint32(n))
			select {
			case toGuest <- struct{}{}:
			default:
			}
			if rng.IntN(8) == 0 {
				runtime.Gosched()
			}
		}
	}()

	watchdog := time.AfterFunc(20*time.Second, func() { panic("console stream test deadlocked") })
	defer watchdog.Stop()
	r := Ring{
		Page: &pg,
		Kick: func() {
			kicks++
			select {
			case toBackend <- struct{}{}:
			default:
			}
		},
		Wait: func() { waits++; <-toGuest },
	}
	rng := rand.New(rand.NewPCG(7, 8))
	writes := 0
	for off := 0; off < total; writes++ {
		k := min(total-off, 1+rng.IntN(100000))
		n, err := r.Write(data[off : off+k])
		if n != k || err != nil {
			t.Fatalf("Write at %d: %d, %v; want %d, nil", off, n, err, k)
		}
		off += k
	}
	if err := r.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if p, err := r.Pending(); p != 0 || err != nil {
		t.Fatalf("Pending after Flush = %d, %v", p, err)
	}
	close(done)
	got := <-received
	if len(got) != total {
		t.Fatalf("backend received %d bytes, want %d", len(got), total)
	}
	if i := firstDiff(got, data); i >= 0 {
		t.Fatalf("first difference at byte %d: got %#x want %#x", i, got[i], data[i])
	}
	want := uint32(start)
	want += total // wraps at 2^32, like the ring
	if pg.OutProd != want {
		t.Errorf("out_prod = %#x, want %#x (wrapped)", pg.OutProd, want)
	}
	// Once per batch: each Write kicks at most before each of its waits
	// and once at the end.
	if kicks > waits+writes {
		t.Errorf("kicks=%d > waits=%d + writes=%d", kicks, waits, writes)
	}
	t.Logf("10 MB: %d writes, %d kicks, %d waits", writes, kicks, waits)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func TestCRLF(t *testing.T) {
	s := newSim(0, -1)
	s.r.CRLF = true
	n, err := s.r.Write([]byte("a\nb\n\nc"))
	if n != 6 || err != nil {
		t.Fatalf("Write = %d, %v; want 6 (input bytes), nil", n, err)
	}
	if got := string(s.Finish()); got != "a\r\nb\r\n\r\nc" {
		t.Errorf("backend read %q", got)
	}
	if s.Kicks != 1 {
		t.Errorf("kicks = %d, want 1", s.Kicks)
	}

	// Without CRLF the bytes pass untouched.
	s = newSim(0, -1)
	s.r.Write([]byte("a\nb\r\n"))
	if got := string(s.Finish()); got != "a\nb\r\n" {
		t.Errorf("raw: backend read %q", got)
	}
}

// "\r\n" is never split across a full ring: with one byte free before a
// "\n", nothing is written until the backend makes room.
func TestCRLFNotSplitWhenOneByteFree(t *testing.T) {
	s := newSim(0, -1)
	s.r.CRLF = true
	s.pg.OutProd = OutSize - 1 // 2047 bytes in flight, one free
	s.r.Wait = nil
	n, err := s.r.Write([]byte("\nx"))
	if n != 0 || err != ErrNoWait {
		t.Fatalf("Write = %d, %v; want 0, ErrNoWait", n, err)
	}
	if s.pg.OutProd != OutSize-1 || s.Kicks != 0 {
		t.Errorf("out_prod=%d kicks=%d: a lone \\r was published", s.pg.OutProd, s.Kicks)
	}

	// With a Wait the pair goes out whole after the backend makes room.
	s = newSim(0, 1)
	s.r.CRLF = true
	if n, err := s.r.Write(bytes.Repeat([]byte("y"), OutSize-1)); n != OutSize-1 || err != nil {
		t.Fatalf("fill: %d, %v", n, err)
	}
	n, err = s.r.Write([]byte("\nz"))
	if n != 2 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	want := string(bytes.Repeat([]byte("y"), OutSize-1)) + "\r\nz"
	if got := string(s.Finish()); got != want {
		t.Errorf("backend read ...%q, want ...%q", got[len(got)-5:], want[len(want)-5:])
	}
}

func TestRead(t *testing.T) {
	s := newSim(0, -1)
	buf := make([]byte, 10)
	if n, err := s.r.Read(buf); n != 0 || err != nil || s.Kicks != 0 {
		t.Fatalf("empty Read = %d, %v, kicks=%d; want 0, nil, 0", n, err, s.Kicks)
	}
	putIn(&s.pg, []byte("abc"))
	n, err := s.r.Read(buf)
	if n != 3 || err != nil || string(buf[:n]) != "abc" {
		t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
	}
	if s.pg.InCons != 3 || s.Kicks != 1 {
		t.Errorf("in_cons=%d kicks=%d, want 3, 1", s.pg.InCons, s.Kicks)
	}
	// A short buffer takes only what fits; the rest stays.
	putIn(&s.pg, []byte("defgh"))
	if n, _ := s.r.Read(buf[:2]); string(buf[:n]) != "de" {
		t.Errorf("short Read got %q", buf[:n])
	}
	if n, _ := s.r.Read(buf); string(buf[:n]) != "fgh" {
		t.Errorf("second Read got %q", buf[:n])
	}
	// A zero-length buffer consumes nothing and does not kick.
	putIn(&s.pg, []byte("i"))
	k := s.Kicks
	if n, err := s.r.Read(nil); n != 0 || err != nil || s.Kicks != k || s.pg.InCons != 8 {
		t.Errorf("Read(nil) = %d, %v kicks+%d in_cons=%d", n, err, s.Kicks-k, s.pg.InCons)
	}
}

// Reading across both the end of in[] and the 2^32 wrap, in odd-sized pieces,
// including a completely full in[].
func TestReadAcrossWrap(t *testing.T) {
	s := newSim(0xFFFFFFF0, -1)
	data := pseudoRandom(9, InSize)
	putIn(&s.pg, data) // exactly full: prod - cons == 1024
	var got []byte
	buf := make([]byte, 77)
	for {
		n, err := s.r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("data corrupted across the wrap")
	}
	want := uint32(0xFFFFFFF0)
	want += InSize
	if s.pg.InCons != want {
		t.Errorf("in_cons = %#x, want %#x", s.pg.InCons, want)
	}
	if s.Kicks != (InSize+76)/77 {
		t.Errorf("kicks = %d, want one per non-empty Read (%d)", s.Kicks, (InSize+76)/77)
	}
}

func TestHostileOutIndices(t *testing.T) {
	for _, c := range []struct {
		name       string
		prod, cons uint32
		msg        string
	}{
		{"cons ahead of prod", 0x10, 0x20,
			"console: hostile out ring indices: prod=0x10 cons=0x20 (0xfffffff0 > 2048 in flight)"},
		{"cons too far behind", 0x801, 0x0,
			"console: hostile out ring indices: prod=0x801 cons=0x0 (0x801 > 2048 in flight)"},
		{"across the wrap", 0x400, 0xFFFFFBFF,
			"console: hostile out ring indices: prod=0x400 cons=0xfffffbff (0x801 > 2048 in flight)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(0, -1)
			s.pg.OutProd, s.pg.OutCons = c.prod, c.cons
			before := s.pg.Out
			n, err := s.r.Write([]byte("data"))
			if n != 0 {
				t.Errorf("n = %d, want 0", n)
			}
			var ie *IndexError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *IndexError", err)
			}
			if ie.Ring != OutBuffer || ie.Prod != c.prod || ie.Cons != c.cons {
				t.Errorf("IndexError = %+v", *ie)
			}
			if err.Error() != c.msg {
				t.Errorf("message:\n got %q\nwant %q", err.Error(), c.msg)
			}
			if s.pg.Out != before || s.pg.OutProd != c.prod || s.Kicks != 0 || s.Waits != 0 {
				t.Errorf("ring touched: out_prod=%#x kicks=%d waits=%d", s.pg.OutProd, s.Kicks, s.Waits)
			}
			if _, err := s.r.Pending(); err == nil || err.Error() != c.msg {
				t.Errorf("Pending err = %v", err)
			}
			if err := s.r.Flush(); err == nil || err.Error() != c.msg {
				t.Errorf("Flush err = %v", err)
			}
		})
	}
}

// Exactly full (prod - cons == 2048) is legitimate, not hostile.
func TestFullRingIsNotHostile(t *testing.T) {
	s := newSim(0, -1)
	s.pg.OutProd = 0x5000 + OutSize
	s.pg.OutCons = 0x5000
	if p, err := s.r.Pending(); p != OutSize || err != nil {
		t.Fatalf("Pending = %d, %v", p, err)
	}
	if n, err := s.r.Write([]byte("x")); n != 1 || err != nil || s.Waits != 1 {
		t.Fatalf("Write = %d, %v after %d waits", n, err, s.Waits)
	}
}

// The backend turns hostile in the middle of a Write: the bytes published
// before are reported in n, kicked, and intact.
func TestHostileDuringWrite(t *testing.T) {
	data := pseudoRandom(10, 5000)
	s := newSim(0, -1)
	s.r.Wait = func() {
		s.Waits++
		s.Got = append(s.Got, drainOut(&s.pg, -1)...)
		if s.Waits == 2 {
			s.pg.OutCons = s.pg.OutProd + 1
		}
	}
	n, err := s.r.Write(data)
	if n != 2*OutSize {
		t.Errorf("n = %d, want %d", n, 2*OutSize)
	}
	const msg = "console: hostile out ring indices: prod=0x1000 cons=0x1001 (0xffffffff > 2048 in flight)"
	if err == nil || err.Error() != msg {
		t.Fatalf("err = %v, want %q", err, msg)
	}
	if !bytes.Equal(s.Got, data[:n]) {
		t.Error("delivered bytes differ")
	}
	if s.Kicks != 2 {
		t.Errorf("kicks = %d, want 2", s.Kicks)
	}
}

func TestHostileInIndices(t *testing.T) {
	s := newSim(0, -1)
	s.pg.InProd, s.pg.InCons = 0x401, 0
	buf := make([]byte, 16)
	n, err := s.r.Read(buf)
	const msg = "console: hostile in ring indices: prod=0x401 cons=0x0 (0x401 > 1024 in flight)"
	if n != 0 || err == nil || err.Error() != msg {
		t.Fatalf("Read = %d, %v; want 0, %q", n, err, msg)
	}
	var ie *IndexError
	if !errors.As(err, &ie) || ie.Ring != InBuffer {
		t.Errorf("err = %#v", err)
	}
	s.pg.InProd, s.pg.InCons = 5, 6
	_, err = s.r.Read(buf)
	const msg2 = "console: hostile in ring indices: prod=0x5 cons=0x6 (0xffffffff > 1024 in flight)"
	if err == nil || err.Error() != msg2 {
		t.Fatalf("err = %v, want %q", err, msg2)
	}
	if s.pg.InCons != 6 || s.Kicks != 0 {
		t.Errorf("in_cons=%d kicks=%d: ring touched", s.pg.InCons, s.Kicks)
	}
}

func TestNilWait(t *testing.T) {
	s := newSim(0, -1)
	s.r.Wait = nil
	data := pseudoRandom(11, 3000)
	n, err := s.r.Write(data)
	if n != OutSize || err != ErrNoWait {
		t.Fatalf("Write = %d, %v; want %d, ErrNoWait", n, err, OutSize)
	}
	if err.Error() != "console: out ring is full and Ring.Wait is nil" {
		t.Errorf("message %q", err.Error())
	}
	if s.Kicks != 1 {
		t.Errorf("kicks = %d, want 1 (the published part must reach the backend)", s.Kicks)
	}
	if err := s.r.Flush(); err != ErrNoWait {
		t.Errorf("Flush with data pending and nil Wait = %v, want ErrNoWait", err)
	}
	// The caller may retry the rest once the backend has caught up.
	s.Finish()
	if n2, err := s.r.Write(data[n:]); n2 != len(data)-n || err != nil {
		t.Fatalf("retry Write = %d, %v", n2, err)
	}
	if err := s.r.Flush(); err != ErrNoWait {
		t.Errorf("Flush = %v", err)
	}
	if !bytes.Equal(s.Finish(), data) {
		t.Error("data corrupted")
	}
	if err := s.r.Flush(); err != nil {
		t.Errorf("Flush of an empty ring with nil Wait = %v, want nil", err)
	}
}

func TestNilPage(t *testing.T) {
	var r Ring
	const msg = "console: Ring.Page is nil"
	if n, err := r.Write([]byte("x")); n != 0 || err != ErrNoPage || err.Error() != msg {
		t.Errorf("Write = %d, %v", n, err)
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != ErrNoPage {
		t.Errorf("Read = %d, %v", n, err)
	}
	if n, err := r.Pending(); n != 0 || err != ErrNoPage {
		t.Errorf("Pending = %d, %v", n, err)
	}
	if err := r.Flush(); err != ErrNoPage {
		t.Errorf("Flush = %v", err)
	}
}

func TestNilKick(t *testing.T) {
	var pg Interface
	r := Ring{Page: &pg}
	if n, err := r.Write([]byte("ok")); n != 2 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	putIn(&pg, []byte("in"))
	buf := make([]byte, 4)
	if n, err := r.Read(buf); n != 2 || err != nil || string(buf[:2]) != "in" {
		t.Fatalf("Read = %d, %v %q", n, err, buf[:n])
	}
}

func TestFlush(t *testing.T) {
	s := newSim(0xFFFFFF00, 300)
	data := pseudoRandom(12, 1000)
	s.r.Write(data)
	if err := s.r.Flush(); err != nil {
		t.Fatal(err)
	}
	if s.pg.OutCons != s.pg.OutProd {
		t.Errorf("out_cons=%#x out_prod=%#x after Flush", s.pg.OutCons, s.pg.OutProd)
	}
	if s.Waits != 4 { // 1000 bytes, 300 per wakeup
		t.Errorf("waits = %d, want 4", s.Waits)
	}
	if !bytes.Equal(s.Got, data) {
		t.Error("data corrupted")
	}
}

func TestAppendErrorFormats(t *testing.T) {
	for _, c := range []struct {
		e    IndexError
		want string
	}{
		{IndexError{OutBuffer, 0, 0xFFFFFFFF}, "console: hostile out ring indices: prod=0x0 cons=0xffffffff (0x1 > 2048 in flight)"},
		{IndexError{InBuffer, 0xABCDEF01, 0x10000000}, "console: hostile in ring indices: prod=0xabcdef01 cons=0x10000000 (0x9bcdef01 > 1024 in flight)"},
		{IndexError{Buffer(7), 5, 1}, "console: hostile unknown ring indices: prod=0x5 cons=0x1 (0x4 > 0 in flight)"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if got := string(c.e.AppendError([]byte("> "))); got != "> "+c.want {
			t.Errorf("AppendError = %q", got)
		}
	}
}

// Nothing on Write, Read, Pending, Flush or their error paths may allocate.
func TestNoAllocations(t *testing.T) {
	var pg Interface
	drain := func() { atomic.StoreUint32(&pg.OutCons, atomic.LoadUint32(&pg.OutProd)) }
	r := Ring{Page: &pg, Kick: func() {}, Wait: drain}
	big := pseudoRandom(13, 5000)
	small := []byte("hello\nworld\n")
	buf := make([]byte, 100)
	var ebuf [160]byte

	check := func(name string, f func()) {
		t.Helper()
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %v allocations per run", name, a)
		}
	}
	check("Write small", func() { r.Write(small) })
	check("Write big (waits)", func() { r.Write(big) })
	r.CRLF = true
	check("Write CRLF", func() { r.Write(big) })
	r.CRLF = false
	check("Flush", func() { r.Write(small); r.Flush() })
	check("Pending", func() { r.Pending() })
	check("Read", func() {
		pg.InProd += 50
		if n, err := r.Read(buf); n != 50 || err != nil {
			panic("Read failed")
		}
	})
	check("Read empty", func() { r.Read(buf) })

	var e error
	check("Write hostile", func() {
		pg.OutCons = pg.OutProd + 1
		_, e = r.Write(small)
	})
	if _, ok := e.(*IndexError); !ok {
		t.Errorf("hostile Write returned %v", e)
	}
	check("Pending hostile", func() { _, e = r.Pending() })
	check("Flush hostile", func() { e = r.Flush() })
	check("Read hostile", func() {
		pg.InCons = pg.InProd + 1
		_, e = r.Read(buf)
	})
	if _, ok := e.(*IndexError); !ok {
		t.Errorf("hostile Read returned %v", e)
	}
	check("AppendError", func() { r.err.AppendError(ebuf[:0]) })

	pg = Interface{}
	r.Wait = nil
	check("Write ErrNoWait", func() {
		pg.OutCons = pg.OutProd - OutSize
		_, e = r.Write(small)
	})
	if e != ErrNoWait {
		t.Errorf("got %v, want ErrNoWait", e)
	}
	check("Flush ErrNoWait", func() { e = r.Flush() })
	var nilPage Ring
	check("ErrNoPage", func() { _, e = nilPage.Write(small) })
	if e != ErrNoPage {
		t.Errorf("got %v, want ErrNoPage", e)
	}
}
