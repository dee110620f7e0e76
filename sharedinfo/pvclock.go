package sharedinfo

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// ScaleDelta converts a TSC tick count to nanoseconds the way Xen does:
// shift the delta by shift (left if positive, right if negative), multiply
// by mul as a 32.32 fixed-point fraction, keep bits 95:32 of the 96-bit
// product. The full 128-bit product from bits.Mul64 means no overflow for
// any input.
//
// xen/include/public/xen.h: struct vcpu_time_info comment;
// xen/arch/x86/time.c: scale_delta
func ScaleDelta(delta uint64, mul uint32, shift int8) uint64 {
	if shift < 0 {
		delta >>= uint(-int(shift))
	} else {
		delta <<= uint(shift)
	}
	hi, lo := bits.Mul64(delta, uint64(mul))
	return hi<<32 | lo>>32
}

// SystemTime returns Xen system time (ns since the host booted) at the
// given TSC value, from a record that the caller has already copied or
// otherwise knows to be stable. Use ReadTime on the live shared page.
//
// A tsc older than TSCTimestamp wraps, exactly as Xen's unsigned
// arithmetic does; callers read the TSC after the record.
func (t *VcpuTimeInfo) SystemTime(tsc uint64) uint64 {
	return t.SystemTimeNs + ScaleDelta(tsc-t.TSCTimestamp, t.TSCToSystemMul, t.TSCShift)
}

// TSCFrequency returns the TSC frequency in Hz implied by the record's
// scale: ((10^9 << 32) / mul) adjusted by the shift. It returns 0 when mul
// is 0 (a record Xen has not filled in).
//
// xen/include/public/xen.h: struct vcpu_time_info comment
func (t *VcpuTimeInfo) TSCFrequency() uint64 {
	if t.TSCToSystemMul == 0 {
		return 0
	}
	f := (uint64(1e9) << 32) / uint64(t.TSCToSystemMul)
	if t.TSCShift < 0 {
		return f << uint(-int(t.TSCShift))
	}
	return f >> uint(t.TSCShift)
}

// ReadTime reads the live vcpu_time_info that Xen updates behind the
// guest's back and returns the current system time in ns. Xen bumps
// Version to an odd value, rewrites the fields, then bumps it to even
// again; a snapshot is consistent only if Version was even and unchanged
// across the read, so ReadTime retries until that holds.
//
// rdtsc is called once per attempt, inside the version window (pass
// RDTSC on amd64). ReadTime does not allocate.
//
// xen/include/public/xen.h: struct vcpu_time_info (version comment)
func ReadTime(t *VcpuTimeInfo, rdtsc func() uint64) uint64 {
	c, tsc := snapshot(t, rdtsc)
	return c.SystemTime(tsc)
}

// Snapshot copies the live vcpu_time_info by ReadTime's rule: the copy is
// taken while Version is even and the same before and after. Use it to
// convert several TSC values by one record (SignedTime).
func Snapshot(t *VcpuTimeInfo) VcpuTimeInfo {
	c, _ := snapshot(t, nil)
	return c
}

// snapshot is ReadTime's and Snapshot's version loop: it copies the
// record and, if rdtsc is not nil, reads the TSC inside the same window.
func snapshot(t *VcpuTimeInfo, rdtsc func() uint64) (VcpuTimeInfo, uint64) {
	for {
		v1 := atomic.LoadUint32(&t.Version)
		c := VcpuTimeInfo{
			Version:        v1,
			TSCTimestamp:   atomic.LoadUint64(&t.TSCTimestamp),
			SystemTimeNs:   atomic.LoadUint64(&t.SystemTimeNs),
			TSCToSystemMul: atomic.LoadUint32(&t.TSCToSystemMul),
		}
		// tsc_shift is a byte; load the aligned word holding it (with
		// flags and padding) atomically. x86 is little endian, so the
		// shift is the low byte.
		w := atomic.LoadUint32((*uint32)(unsafe.Pointer(&t.TSCShift)))
		c.TSCShift, c.Flags = int8(uint8(w)), uint8(w>>8)
		var tsc uint64
		if rdtsc != nil {
			tsc = rdtsc()
		}
		if v1&1 == 0 && v1 == atomic.LoadUint32(&t.Version) {
			return c, tsc
		}
	}
}

// SignedTime is SystemTime for a TSC value read at any moment, before the
// record's stamp too: the distance from the stamp is taken as a signed
// 64-bit count, and a tsc before the stamp is scaled backwards from it,
// where Xen's unsigned arithmetic would wrap. A boot timeline needs it:
// the kernel reads the TSC at its entry, before any clock record is
// known, and converts the readings once shared info is mapped. Comparing
// tsc with the stamp as unsigned numbers would be wrong too: a stamp
// taken before the guest's TSC passed zero is "negative" (seen in the
// box), and only the difference means anything.
func (t *VcpuTimeInfo) SignedTime(tsc uint64) int64 {
	d := int64(tsc - t.TSCTimestamp)
	if d >= 0 {
		return int64(t.SystemTime(tsc))
	}
	return int64(t.SystemTimeNs) - int64(ScaleDelta(uint64(-d), t.TSCToSystemMul, t.TSCShift))
}

// Wallclock returns the wall-clock time (seconds and nanoseconds since the
// Unix epoch, as adjusted by the toolstack) that corresponds to Xen system
// time 0. Add the current system time to get "now"; see WallTime. It
// retries while wc_version is odd or changes, as for ReadTime.
//
// xen/include/public/xen.h: struct shared_info wc_* fields
func (s *SharedInfo) Wallclock() (sec uint64, nsec uint32) {
	return readWallclock(s, nil)
}

// readWallclock is Wallclock with a hook run inside the version window,
// so tests can play the part of Xen updating the fields concurrently.
func readWallclock(s *SharedInfo, during func()) (sec uint64, nsec uint32) {
	for {
		v1 := atomic.LoadUint32(&s.WcVersion)
		lo := atomic.LoadUint32(&s.WcSec)
		ns := atomic.LoadUint32(&s.WcNsec)
		hi := atomic.LoadUint32(&s.WcSecHi)
		if during != nil {
			during()
		}
		v2 := atomic.LoadUint32(&s.WcVersion)
		if v1&1 == 0 && v1 == v2 {
			return uint64(hi)<<32 | uint64(lo), ns
		}
	}
}

// WallTime adds a Xen system time (ns since boot, e.g. from ReadTime) to
// the shared-info wallclock and returns the result normalised so that
// nsec < 1e9.
func WallTime(s *SharedInfo, systemTime uint64) (sec uint64, nsec uint32) {
	wsec, wnsec := s.Wallclock()
	return addNs(wsec, wnsec, systemTime)
}

func addNs(sec uint64, nsec uint32, ns uint64) (uint64, uint32) {
	// wc_nsec should already be < 1e9, but it comes from another party;
	// normalising the sum covers any value up to 2^32.
	total := uint64(nsec) + ns%1e9
	return sec + ns/1e9 + total/1e9, uint32(total % 1e9)
}
