package sharedinfo

import (
	"math/big"
	"sync/atomic"
	"testing"
	"time"
)

// refScale is the header's formula in arbitrary precision, truncated to 64
// bits as Xen's scale_delta does.
func refScale(delta uint64, mul uint32, shift int8) uint64 {
	if shift < 0 {
		delta >>= uint(-int(shift))
	} else {
		delta <<= uint(shift)
	}
	p := new(big.Int).Mul(new(big.Int).SetUint64(delta), new(big.Int).SetUint64(uint64(mul)))
	p.Rsh(p, 32)
	p.And(p, new(big.Int).SetUint64(^uint64(0)))
	return p.Uint64()
}

func TestScaleDeltaKnown(t *testing.T) {
	for _, c := range []struct {
		delta uint64
		mul   uint32
		shift int8
		want  uint64
	}{
		// 2.5 GHz TSC: Xen picks shift -1, mul = 0.8 * 2^32 rounded up.
		{2500000000, 3435973837, -1, 1000000000},
		// mul 0.5, shift +2: ns = 2 * ticks.
		{12345, 0x80000000, 2, 24690},
		// identity: mul 0.5 with shift +1.
		{1 << 40, 0x80000000, 1, 1 << 40},
		// products beyond 64 bits: the high half must not be lost.
		{1 << 62, 0xffffffff, 1, 0x7fffffff80000000},
		{^uint64(0), 0xffffffff, 0, 0xfffffffeffffffff},
		{0, 0xffffffff, 5, 0},
		{1000, 0, 0, 0},
	} {
		if got := ScaleDelta(c.delta, c.mul, c.shift); got != c.want {
			t.Errorf("ScaleDelta(%d, %#x, %d) = %d, want %d", c.delta, c.mul, c.shift, got, c.want)
		}
	}
}

func TestScaleDeltaExtremeShift(t *testing.T) {
	// -128 must shift right by 128 (everything gone), not by -128.
	if got := ScaleDelta(^uint64(0), 0xffffffff, -128); got != 0 {
		t.Errorf("shift -128: got %d, want 0", got)
	}
	if got := ScaleDelta(^uint64(0), 0xffffffff, 127); got != 0 {
		t.Errorf("shift 127: got %d, want 0", got)
	}
}

func TestSystemTime(t *testing.T) {
	ti := VcpuTimeInfo{
		TSCTimestamp:   1_000_000,
		SystemTimeNs:   5_000_000_000,
		TSCToSystemMul: 3435973837,
		TSCShift:       -1,
	}
	if got := ti.SystemTime(1_000_000 + 2_500_000_000); got != 6_000_000_000 {
		t.Fatalf("SystemTime = %d, want 6000000000", got)
	}
	if got := ti.SystemTime(1_000_000); got != 5_000_000_000 {
		t.Fatalf("SystemTime at the stamp = %d, want the base", got)
	}
	if got := ti.TSCFrequency(); got != 2499999998 {
		t.Fatalf("TSCFrequency = %d, want 2499999998 (~2.5 GHz)", got)
	}
	ti.TSCShift = 1
	if got := ti.TSCFrequency(); got != 624999999 {
		t.Fatalf("TSCFrequency shift 1 = %d", got)
	}
	ti.TSCToSystemMul = 0
	if got := ti.TSCFrequency(); got != 0 {
		t.Fatalf("TSCFrequency with mul 0 = %d, want 0", got)
	}
}

func TestReadTimeStable(t *testing.T) {
	ti := VcpuTimeInfo{Version: 4, TSCTimestamp: 100, SystemTimeNs: 7, TSCToSystemMul: 0x80000000, TSCShift: 1}
	calls := 0
	got := ReadTime(&ti, func() uint64 { calls++; return 150 })
	if got != 57 || calls != 1 {
		t.Fatalf("ReadTime = %d after %d reads, want 57 after 1", got, calls)
	}
}

// Xen updates the record while the guest is reading. Attempt 1 sees a
// steady odd version (update in progress: must retry even though it did
// not change), attempt 2 sees the update finish (changed), attempt 3 sees
// a whole second update happen under it (even to even, changed), and
// attempt 4 is clean and must use only the newest values.
func TestReadTimeRetries(t *testing.T) {
	ti := VcpuTimeInfo{Version: 5, TSCTimestamp: 100, SystemTimeNs: 7, TSCToSystemMul: 0x80000000, TSCShift: 1}
	calls := 0
	got := ReadTime(&ti, func() uint64 {
		calls++
		switch calls {
		case 2:
			ti.TSCTimestamp, ti.SystemTimeNs = 1000, 1_000_000
			ti.Version = 6
		case 3:
			ti.TSCTimestamp, ti.SystemTimeNs = 2000, 2_000_000
			ti.Version = 8
		}
		return 2010
	})
	if calls != 4 || got != 2_000_010 {
		t.Fatalf("ReadTime = %d after %d attempts, want 2000010 after 4", got, calls)
	}
}

// The shift is read from the word at offset 28 together with flags; make
// sure flags do not leak into it.
func TestReadTimeIgnoresFlags(t *testing.T) {
	ti := VcpuTimeInfo{TSCToSystemMul: 0x80000000, TSCShift: -1, Flags: XEN_PVCLOCK_TSC_STABLE_BIT | XEN_PVCLOCK_GUEST_STOPPED, Pad1: [2]uint8{0xff, 0xff}}
	if got := ReadTime(&ti, func() uint64 { return 400 }); got != 100 {
		t.Fatalf("ReadTime = %d, want 100", got)
	}
}

func TestWallclock(t *testing.T) {
	var s SharedInfo
	s.WcVersion = 2
	s.WcSec = 0x89abcdef
	s.WcSecHi = 0x1
	s.WcNsec = 999_999_999
	sec, nsec := s.Wallclock()
	if sec != 0x189abcdef || nsec != 999_999_999 {
		t.Fatalf("Wallclock = %#x %d", sec, nsec)
	}
	sec, nsec = WallTime(&s, 1_500_000_001)
	if sec != 0x189abcdef+2 || nsec != 500_000_000 {
		t.Fatalf("WallTime = %#x %d, want %#x 500000000", sec, nsec, uint64(0x189abcdef+2))
	}
}

func TestWallclockRetries(t *testing.T) {
	var s SharedInfo
	s.WcVersion, s.WcSec, s.WcNsec = 1, 10, 0
	n := 0
	sec, nsec := readWallclock(&s, func() {
		n++
		switch n {
		case 2: // odd and steady on attempt 1; the update finishes now
			s.WcSec, s.WcNsec, s.WcVersion = 20, 5, 2
		case 3: // a whole update under attempt 3
			s.WcSec, s.WcNsec, s.WcSecHi, s.WcVersion = 30, 6, 1, 4
		}
	})
	if n != 4 || sec != 1<<32|30 || nsec != 6 {
		t.Fatalf("readWallclock = %#x %d after %d attempts, want 0x10000001e 6 after 4", sec, nsec, n)
	}
}

func TestAddNsNormalises(t *testing.T) {
	// A wc_nsec at the u32 limit must still come out below 1e9.
	sec, nsec := addNs(0, ^uint32(0), 999_999_999)
	if sec != 5 || nsec != 294_967_294 {
		t.Fatalf("addNs = %d %d, want 5 294967294", sec, nsec)
	}
}

func FuzzScaleDelta(f *testing.F) {
	f.Add(uint64(2500000000), uint32(3435973837), int8(-1))
	f.Add(^uint64(0), uint32(0xffffffff), int8(0))
	f.Add(uint64(1), uint32(1), int8(63))
	f.Fuzz(func(t *testing.T, delta uint64, mul uint32, shift int8) {
		if got, want := ScaleDelta(delta, mul, shift), refScale(delta, mul, shift); got != want {
			t.Fatalf("ScaleDelta(%d, %#x, %d) = %d, want %d", delta, mul, shift, got, want)
		}
	})
}

// A TSC read before the record's stamp converts to an earlier time, not
// to one wrapped far into the future.
func TestSignedTime(t *testing.T) {
	ti := VcpuTimeInfo{TSCTimestamp: 1_000_000, SystemTimeNs: 5_000_000_000, TSCToSystemMul: 3435973837, TSCShift: -1}
	for _, c := range []struct {
		tsc  uint64
		want int64
	}{
		{1_000_000 + 2_500_000_000, 6_000_000_000},
		{1_000_000, 5_000_000_000},
		{1_000_000 - 250_000, 4_999_900_000},
		{0, 4_999_600_000},
	} {
		if got := ti.SignedTime(c.tsc); got != c.want {
			t.Errorf("SignedTime(%d) = %d, want %d", c.tsc, got, c.want)
		}
	}
	// A record stamped before the guest's TSC passed zero (its stamp
	// wrapped, as seen in the box under an emulated TSC): Xen's unsigned
	// difference is right, and so must SignedTime be.
	ti.TSCTimestamp = ^uint64(0) - 249_999 // -250_000
	for _, c := range []struct {
		tsc  uint64
		want int64
	}{
		{0, 5_000_100_000},
		{^uint64(0) - 999_999, 4_999_700_000},
	} {
		if got := ti.SignedTime(c.tsc); got != c.want {
			t.Errorf("SignedTime(%d) = %d, want %d", c.tsc, got, c.want)
		}
	}
}

// Snapshot retries an update in progress and copies every field.
func TestSnapshot(t *testing.T) {
	ti := VcpuTimeInfo{Version: 3, TSCTimestamp: 100, SystemTimeNs: 7, TSCToSystemMul: 9, TSCShift: -2, Flags: 1}
	done := make(chan VcpuTimeInfo)
	go func() { done <- Snapshot(&ti) }()
	select {
	case <-done:
		t.Fatal("Snapshot returned while the version was odd")
	case <-time.After(20 * time.Millisecond):
	}
	atomic.StoreUint32(&ti.Version, 4)
	got := <-done
	want := VcpuTimeInfo{Version: 4, TSCTimestamp: 100, SystemTimeNs: 7, TSCToSystemMul: 9, TSCShift: -2, Flags: 1}
	if got != want {
		t.Fatalf("Snapshot = %+v, want %+v", got, want)
	}
}
