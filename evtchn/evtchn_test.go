package evtchn

import (
	"reflect"
	"testing"

	"github.com/goxen/goxen/hypercall"
)

func raise(s *hypercall.SharedInfo, v *hypercall.VcpuInfo, port uint32) {
	s.EvtchnPending[port/64] |= 1 << (port % 64)
	v.EvtchnPendingSel |= 1 << (port / 64)
	v.EvtchnUpcallPending = 1
}

func scan(s *hypercall.SharedInfo, v *hypercall.VcpuInfo) []uint32 {
	var got []uint32
	Scan(s, v, func(p uint32) { got = append(got, p) })
	return got
}

func TestScanDeliversAndClears(t *testing.T) {
	var s hypercall.SharedInfo
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
	var s hypercall.SharedInfo
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
	var s hypercall.SharedInfo
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
	var s hypercall.SharedInfo
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
