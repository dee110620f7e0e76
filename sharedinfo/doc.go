// Package sharedinfo is the layout of Xen's shared info page and the clocks
// it carries: struct shared_info, struct vcpu_info, the per-vCPU pvclock
// (struct vcpu_time_info) and the wallclock, as in xen/include/public/xen.h
// and xen/include/public/arch-x86/xen.h.
//
// The shared info page (SharedInfo) is memory that Xen and the guest both
// see; the guest chooses where it appears with XENMEM_add_to_physmap. It
// holds the event-channel pending and mask bitmaps, one VcpuInfo per
// virtual CPU (an "upcall pending" flag and mask, and a clock record), and
// the wall-clock time at which Xen's system time was zero.
//
// The clock record, VcpuTimeInfo, is the paravirtual clock ("pvclock").
// Xen measures system time in nanoseconds since the host booted, and
// every so often stores the current system time together with the TSC
// value at that moment and a scale factor from TSC ticks to nanoseconds.
// The guest reads the TSC itself and extrapolates (SystemTime), which costs
// no trap. Because Xen may rewrite the record at any time, it increments a
// version counter before and after each update; a reader that sees an odd
// version, or a version that changed while it was reading, tries again
// (ReadTime, SharedInfo.Wallclock).
//
// A guest maps the page with package hypercall's AddToPhysmap
// (XENMAPSPACE_shared_info); package evtchn reads its bitmaps. Nothing
// here makes a hypercall or allocates: the boot path reads the clock
// before the Go runtime exists.
package sharedinfo
