package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/sharedinfo"
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
	// From the boot timeline (reportBoot): the kernel's entry (its first
	// TSC reading), the main console's first byte, and the jump into the
	// Go runtime. 0 when not known.
	Entry, FirstByte, GoEntered int64
	Now                         int64 // when BootClock read the runstate
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
		if t, ok := BootClock(); ok {
			l := klog().s("Go runtime up (package kernel's init) ").ms(t.KernelInit - t.Unpaused).s(" ms after the unpause, after ").
				dec(int64(counts.syscalls)).s(" system calls and ").dec(int64(counts.faults)).s(" page faults")
			if pvMode {
				l = l.s(" (PV: ").dec(int64(pvFSLoads)).s(" FS-base loads)")
			}
			l.print()
		}
	}
}

// counts are what the program has asked of the kernel so far: the
// start of the Go runtime is mostly system calls and demand-zero faults.
var counts struct {
	syscalls uint64 // SYSCALL entries
	faults   uint64 // page faults resolved by demand paging
	// copyFaults: faults in a copy to or from program memory that became
	// EFAULT (uaccess.go)
	copyFaults uint64
	// hypercalls the kernel made for the program (PV: pvProgramHypercall)
	hypercalls uint64
}

// stepTSC[i] is the TSC when boot step i began, and the last element
// when the steps were done. It lives in .data (an element is non-zero):
// the first reading comes before the first step clears .bss.
var stepTSC = [maxBootSteps + 1]uint64{maxBootSteps: 1}

// maxBootSteps is the length of the longer boot path.
const maxBootSteps = max(len(bootSteps), len(pvBootSteps))

// bootAt keeps two moments of the timeline (Xen system time) for
// BootClock.
var bootAt struct{ entry, goEntered int64 }

// reportBoot prints the boot timeline: when, counted from Xen's unpause,
// the kernel was entered, the main console took its first byte and the
// Go runtime is entered; then what each step took, in the order they
// ran. Every boot shows where its time went. Each TSC reading costs a
// VM exit where Xen emulates the TSC, a few µs on hardware.
func reportBoot(steps []bootStep) {
	t, ok := readBootTimes()
	if !ok {
		return
	}
	snap := sharedinfo.Snapshot(&pvh.Shared().VcpuInfo[0].Time)
	bootAt.entry = snap.SignedTime(stepTSC[0])
	// kernel:nopanic len(steps) <= maxBootSteps = len(stepTSC)-1
	bootAt.goEntered = snap.SignedTime(stepTSC[len(steps)])
	l := klog().s("boot: entry ").ms(bootAt.entry - t.Unpaused).s(" ms after the unpause")
	if c := pvh.MainConsoleAt(); c != 0 {
		l = l.s(", first console byte ").ms(c - t.Unpaused)
	}
	l.s(", Go runtime ").ms(bootAt.goEntered - t.Unpaused).print()
	l = klog().s("boot steps (ms):")
	for i := range steps {
		if i > 0 {
			l = l.s(",")
		}
		// kernel:nopanic i+1 <= len(steps) <= maxBootSteps = len(stepTSC)-1
		l = l.s(" ").s(steps[i].name).s(" ").ms(snap.SignedTime(stepTSC[i+1]) - snap.SignedTime(stepTSC[i]))
	}
	l.print()
}

// BootClock reads vCPU 0's runstate (VCPUOP_get_runstate_info) and
// returns the boot's moments. ok is false outside a guest or when Xen
// refuses the call.
func BootClock() (t BootTimes, ok bool) {
	if !booted {
		return t, false
	}
	t, ok = readBootTimes()
	t.KernelInit = kernelInitAt
	t.Entry, t.FirstByte, t.GoEntered = bootAt.entry, pvh.MainConsoleAt(), bootAt.goEntered
	return t, ok
}

// readBootTimes is BootClock without KernelInit, for boot itself.
func readBootTimes() (t BootTimes, ok bool) {
	var info hypercall.VcpuRunstateInfo
	r := hypercall.GetRunstateInfo(0, &info)
	now := nanotime()
	if r != 0 {
		return t, false
	}
	// Xen adds the current stint up to its own NOW() into Time; now is
	// read a moment later, so Created may come out a few µs late.
	t.Now = now
	t.Created, t.Unpaused = info.Moments(now)
	t.Offline = int64(info.Time[3])
	t.Running, t.Runnable, t.Blocked = int64(info.Time[0]), int64(info.Time[1]), int64(info.Time[2])
	return t, true
}
