package evtchn

import (
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/goxen/goxen/sharedinfo"
)

func raise(s *sharedinfo.SharedInfo, v *sharedinfo.VcpuInfo, port uint32) {
	s.EvtchnPending[port/64] |= 1 << (port % 64)
	v.EvtchnPendingSel |= 1 << (port / 64)
	v.EvtchnUpcallPending = 1
}

func scan(s *sharedinfo.SharedInfo, v *sharedinfo.VcpuInfo) []uint32 {
	var got []uint32
	Scan(s, v, func(p uint32) { got = append(got, p) })
	return got
}

func TestScanDeliversAndClears(t *testing.T) {
	var s sharedinfo.SharedInfo
	v := &s.VcpuInfo[0]
	v.EvtchnUpcallMask = 1
	for _, p := range []uint32{3, 64, 65, 4095} {
		raise(&s, v, p)
	}
	got := scan(&s, v)
	if want := []uint32{3, 64, 65, 4095}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ports %v, want %v", got, want)
	}
	if v.EvtchnUpcallPending != 0 || v.EvtchnPendingSel != 0 {
		t.Errorf("upcall_pending=%d sel=%#x after scan", v.EvtchnUpcallPending, v.EvtchnPendingSel)
	}
	if v.EvtchnUpcallMask != 1 {
		t.Errorf("scan changed the upcall mask")
	}
	for _, p := range []uint32{3, 64, 65, 4095} {
		if Pending(&s, p) {
			t.Errorf("port %d still pending", p)
		}
	}
	if got := scan(&s, v); len(got) != 0 {
		t.Errorf("second scan delivered %v", got)
	}
}

func TestScanLeavesMaskedPending(t *testing.T) {
	var s sharedinfo.SharedInfo
	v := &s.VcpuInfo[0]
	Mask(&s, 7)
	raise(&s, v, 7)
	raise(&s, v, 8)
	if got := scan(&s, v); !reflect.DeepEqual(got, []uint32{8}) {
		t.Fatalf("got %v, want [8]", got)
	}
	if !Pending(&s, 7) || !Masked(&s, 7) {
		t.Fatalf("masked port 7 lost its pending event")
	}
	if !ClearPending(&s, 7) || ClearPending(&s, 7) {
		t.Fatalf("ClearPending should report the bit once")
	}
}

func TestScanDoesNotAllocate(t *testing.T) {
	var s sharedinfo.SharedInfo
	v := &s.VcpuInfo[0]
	n := 0
	counted = 0
	allocs := testing.AllocsPerRun(100, func() {
		raise(&s, v, 100)
		Scan(&s, v, countPort)
		n++
	})
	if allocs != 0 {
		t.Fatalf("Scan allocates %v times per call", allocs)
	}
	if counted != n {
		t.Fatalf("handler ran %d times for %d scans", counted, n)
	}
}

var counted int

func countPort(uint32) { counted++ }

// Waiting reads the pending byte, not the mask beside it in the same
// word; selector bits left after the byte was cleared count too; a scan
// clears both.
func TestWaiting(t *testing.T) {
	var s sharedinfo.SharedInfo
	v := &s.VcpuInfo[0]
	v.EvtchnUpcallMask = 1
	if Waiting(v) {
		t.Fatal("waiting with only the mask set")
	}
	raise(&s, v, 7)
	if !Waiting(v) {
		t.Fatal("not waiting after an event")
	}
	v.EvtchnUpcallPending = 0 // acknowledged, not scanned
	if !Waiting(v) {
		t.Fatal("not waiting with a selector bit left")
	}
	scan(&s, v)
	if Waiting(v) {
		t.Fatal("still waiting after a scan")
	}
}

// TestScanRacesXen sets pending bits from another goroutine the way Xen
// does (xen/common/event_2l.c, evtchn_2l_set_pending): set the port's bit
// in evtchn_pending and stop if it was set already (events coalesce);
// otherwise set the word's bit in evtchn_pending_sel, and if that was
// clear, evtchn_upcall_pending. Meanwhile this goroutine scans in a loop,
// as the kernel does on every upcall. Every event the setter raised (every
// 0 -> 1 transition of a pending bit) must be handled exactly once.
func TestScanRacesXen(t *testing.T) {
	var s sharedinfo.SharedInfo
	v := &s.VcpuInfo[0]
	v.EvtchnUpcallMask = 1 // the guest's; the scanner must leave it alone
	var ports []uint32
	for p := uint32(0); p < NumPorts; p += 61 {
		ports = append(ports, p)
	}
	ports = append(ports, 63, 64, 127, 4095)

	// Xen runs on another CPU: give the setter a P of its own.
	if prev := runtime.GOMAXPROCS(0); prev < 2 {
		runtime.GOMAXPROCS(2)
		defer runtime.GOMAXPROCS(prev)
	}
	var raised [NumPorts]int // written by the setter only, read after done
	var done atomic.Bool
	go func() {
		defer done.Store(true)
		upcall := (*uint32)(unsafe.Pointer(&v.EvtchnUpcallPending))
		rng := uint64(0x9e3779b97f4a7c15)
		deadline := time.Now().Add(500 * time.Millisecond)
		for i := 1; i%1024 != 0 || time.Now().Before(deadline); i++ {
			if i%256 == 0 {
				runtime.Gosched() // let the scanner in if the CPUs are busy
			}
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			p := ports[rng%uint64(len(ports))]
			w, bit := p/64, uint64(1)<<(p%64)
			if atomic.OrUint64(&s.EvtchnPending[w], bit)&bit != 0 {
				continue // already pending: the events coalesce
			}
			raised[p]++
			if atomic.OrUint64(&v.EvtchnPendingSel, 1<<w)&(1<<w) == 0 {
				atomic.OrUint32(upcall, 1) // evtchn_upcall_pending is byte 0
			}
		}
	}()

	var handled [NumPorts]int
	scans := 0
	handle := func(p uint32) { handled[p]++ }
	for !done.Load() {
		Scan(&s, v, handle)
		if scans++; scans%256 == 0 {
			runtime.Gosched()
		}
	}
	Scan(&s, v, handle) // the setter is done: this one drains

	total := 0
	for p := range handled {
		total += raised[p]
		if handled[p] != raised[p] {
			t.Errorf("port %d: raised %d times, handled %d times", p, raised[p], handled[p])
		}
	}
	t.Logf("%d events on %d ports, %d scans", total, len(ports), scans)
	if total == 0 {
		t.Error("the setter raised no event")
	}
	for w := range s.EvtchnPending {
		if s.EvtchnPending[w] != 0 {
			t.Errorf("evtchn_pending[%d] = %#x after the last scan", w, s.EvtchnPending[w])
		}
	}
	if v.EvtchnPendingSel != 0 || v.EvtchnUpcallPending != 0 || v.EvtchnUpcallMask != 1 {
		t.Errorf("after the last scan: sel %#x, upcall_pending %d, upcall_mask %d",
			v.EvtchnPendingSel, v.EvtchnUpcallPending, v.EvtchnUpcallMask)
	}
}
