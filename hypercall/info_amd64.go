//go:build amd64

package hypercall

import "unsafe"

// Wrappers for what a program asks Xen about itself (the smoke test):
// version strings, memory reservations, and a loopback event channel.
// Like the other wrappers they are NOSPLIT and pass the address of a
// structure on their own stack (or of the caller's buffer), so nothing
// moves while Xen reads or writes it, and nothing is allocated.

// XenVersionInfo makes xen_version sub-operation cmd (XENVER_extraversion,
// XENVER_changeset, XENVER_compile_info, ...) with buf as its argument
// and returns Xen's result (0 or -Errno). buf must be at least as large
// as the sub-operation's structure (XenExtraversionSize,
// XenChangesetSize, XenCompileInfoSize); Xen writes the whole structure.
//
// xen/include/public/version.h: "NB. All ops return zero on success,
// except XENVER_version"; xen_extraversion_t, xen_changeset_info_t,
// xen_compile_info_t
//
//go:nosplit
func XenVersionInfo(cmd uint32, buf []byte) int {
	if len(buf) < xenVersionArgSize(cmd) {
		return -int(EINVAL)
	}
	return rc(Call(HYPERVISOR_xen_version, uintptr(cmd), uintptr(unsafe.Pointer(&buf[0])), 0, 0, 0))
}

// MemoryReservation makes XENMEM_current_reservation or
// XENMEM_maximum_reservation for DOMID_SELF: the domain's current or
// maximum allocation, in pages, or -Errno.
//
// xen/include/public/memory.h: XENMEM_current_reservation,
// XENMEM_maximum_reservation ("arg == addr of domid_t")
//
//go:nosplit
func MemoryReservation(op uint32) int {
	if op != XENMEM_current_reservation && op != XENMEM_maximum_reservation {
		return -int(EINVAL)
	}
	d := uint16(DOMID_SELF)
	return rc(Call(HYPERVISOR_memory_op, uintptr(op), uintptr(unsafe.Pointer(&d)), 0, 0, 0))
}

// EvtchnBindInterdomain binds a new local port to remotePort of domain
// remote, which must have been allocated unbound for this domain
// (EvtchnAllocUnbound). remote may be DOMID_SELF: a loopback channel.
//
// xen/include/public/event_channel.h: EVTCHNOP_bind_interdomain,
// struct evtchn_bind_interdomain
//
//go:nosplit
func EvtchnBindInterdomain(remote uint16, remotePort uint32) (local uint32, r int) {
	a := EvtchnBindInterdomainArg{RemoteDom: remote, RemotePort: remotePort}
	r = rc(Call(HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
	return a.LocalPort, r
}
