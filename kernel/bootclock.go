package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/hypercall"
)

// The boot clock: moments of this boot on Xen's system time (the clock of
// nanotime and CLOCK_MONOTONIC here: ns since Xen started), for programs
// that report how long their boot took (bench/guest does).
//
// Xen keeps a runstate for each vCPU: how long it has been running,
// runnable, blocked and offline since it was created. A domU's vCPU is
// created offline (xl create builds the domain paused) and leaves that
// state when xl unpause lets it run, so the creation time is now minus
// the sum of the four, and the unpause is the creation plus the offline
// time, as long as the vCPU was offline only once (nothing pauses a
// running goxen domain but the toolstack, on request).

// BootTimes are Xen system times (ns) of this boot.
type BootTimes struct {
	Created    int64 // vCPU 0 was created (the domain was built)
	Unpaused   int64 // vCPU 0 first became runnable: the unpause
	KernelInit int64 // package kernel's init ran: the Go runtime was up
	Now        int64 // when BootClock read the runstate
	// The vCPU's runstate times at Now (ns): what it spent running (in
	// the guest or in Xen on its behalf), waiting for a physical CPU,
	// blocked (waiting for an event) and offline (paused).
	Running, Runnable, Blocked, Offline int64
}

// kernelInitAt is nanotime when package kernel's init ran (0 in a host
// test binary).
var kernelInitAt int64

func init() {
	if booted {
		kernelInitAt = nanotime()
	}
}

// vcpuRunstateInfo is struct vcpu_runstate_info
// (xen/include/public/vcpu.h): state, state_entry_time, time[4].
type vcpuRunstateInfo struct {
	State          int32
	_              int32
	StateEntryTime uint64
	Time           [4]uint64 // RUNSTATE_running, _runnable, _blocked, _offline
}

// BootClock reads vCPU 0's runstate (VCPUOP_get_runstate_info) and
// returns the boot's moments. ok is false outside a guest or when Xen
// refuses the call.
func BootClock() (t BootTimes, ok bool) {
	if !booted {
		return t, false
	}
	var info vcpuRunstateInfo
	r := hypercall.Call(hypercall.HYPERVISOR_vcpu_op, hypercall.VCPUOP_get_runstate_info, 0,
		uintptr(unsafe.Pointer(&info)), 0, 0)
	now := nanotime()
	if int64(r) != 0 {
		return t, false
	}
	var sum uint64
	for _, d := range info.Time {
		sum += d
	}
	// Xen adds the current stint up to its own NOW() into Time; now is
	// read a moment later, so Created may come out a few µs late.
	t.Now = now
	t.Created = now - int64(sum)
	t.Offline = int64(info.Time[3])
	t.Unpaused = t.Created + t.Offline
	t.Running, t.Runnable, t.Blocked = int64(info.Time[0]), int64(info.Time[1]), int64(info.Time[2])
	t.KernelInit = kernelInitAt
	return t, true
}
