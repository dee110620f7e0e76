package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
)

var haveRDRAND bool

// reportEntry says the kernel got to long mode and has a hypercall page.
func reportEntry() {
	klog().s("PVH entry, long mode, hypercall page at ").hex(uint64(hypercall.Page())).print()
}

// startOfDay reports what the kernel found: Xen, the TSC, the image and
// free RAM, and RDRAND.
func startOfDay() {
	x := pvh.Xen()
	_, _, ecx, _ := hypercall.CPUID(1, 0)
	haveRDRAND = ecx&(1<<30) != 0
	if pvMode {
		startOfDayPV()
		return
	}
	klog().s("Xen ").dec(int64(x.Major)).s(".").dec(int64(x.Minor)).s(", CPUID base ").hex(uint64(x.Base)).print()
	// Every clock read uses RDTSC; whether Xen traps it decides what a
	// read costs (and, under nested emulation, how many VM exits run).
	l := klog().s("TSC ").dec(int64(x.TSCKHz)).s(" kHz, tsc_mode ").s(x.TSCModeName())
	if x.TSCEmulated() {
		l = l.s(": emulated, each RDTSC exits to Xen")
	} else {
		l = l.s(": native RDTSC")
	}
	l.print()
	klog().s("image [").hex(uint64(imageStart)).s(", ").hex(uint64(imageEnd)).s("), free RAM ").dec(int64(frames.FreeCount() * 4)).s(" KiB").print()
	if !haveRDRAND {
		klog().s("no RDRAND: getrandom uses a TSC-seeded generator, not fit for cryptography").print()
	}
}

// startOfDayPV is startOfDay for PV, which did not read Xen's CPUID
// leaves (in PV they need the forced-emulation prefix): the version comes
// from XENVER_version.
func startOfDayPV() {
	major, minor := hypercall.XenVersion()
	klog().s("Xen ").dec(int64(major)).s(".").dec(int64(minor)).s(", classic PV").print()
	klog().s("image [").hex(uint64(imageStart)).s(", ").hex(uint64(imageEnd)).s("), free RAM ").dec(int64(frames.FreeCount() * 4)).s(" KiB").print()
	if !haveRDRAND {
		klog().s("no RDRAND: getrandom uses a TSC-seeded generator, not fit for cryptography").print()
	}
}
