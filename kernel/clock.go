package kernel

import (
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/sharedinfo"
)

// Time comes from Xen's pvclock: the vcpu_time_info in shared info, which
// Xen keeps updated with a (TSC, system time) pair and a scale. System
// time is nanoseconds since Xen booted and serves as CLOCK_MONOTONIC;
// the wallclock fields give the real time at system time zero.

var shared *sharedinfo.SharedInfo // nil until mapSharedInfo

// mapSharedInfo has package pvh map the shared info page and keeps it.
func mapSharedInfo() {
	pvh.MapSharedInfo()
	shared = pvh.Shared()
}

// nanotime is Xen system time in ns: CLOCK_MONOTONIC.
func nanotime() int64 { return pvh.Now() }

// walltime is the real time in nanoseconds since 1970.
func walltime() int64 {
	if shared == nil {
		return 0
	}
	sec, nsec := sharedinfo.WallTime(shared, uint64(nanotime()))
	return int64(sec)*1e9 + int64(nsec)
}

func sharedInfoPtr(pa uintptr) *sharedinfo.SharedInfo {
	return (*sharedinfo.SharedInfo)(at(pa))
}
