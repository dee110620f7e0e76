// Package evtchn is Xen's event channels: the guest's interrupts.
//
// An event channel is a numbered port. Xen (a timer, a virtual IRQ) or
// another domain (the console backend in dom0) "sends" on a port; the
// guest sends back with EVTCHNOP_send. Each port has two bits in the
// shared info page: pending (set by Xen when an event arrives) and mask
// (set by the guest to ignore the port for now). These are the 2-level
// ABI's bitmaps (xen/include/public/xen.h, "Event channel endpoints"):
//
//   - shared_info.evtchn_pending[64] and evtchn_mask[64]: one bit per
//     port, 64 words of 64 bits, so 4096 ports on x86-64;
//   - vcpu_info.evtchn_pending_sel: one bit per word of evtchn_pending,
//     telling which words to look at (the first level);
//   - vcpu_info.evtchn_upcall_pending: "there is something", the bit that
//     makes Xen interrupt the vCPU when evtchn_upcall_mask is clear.
//
// A PVH guest asks Xen to deliver that interrupt at an IDT vector of its
// choice (HVM_PARAM_CALLBACK_IRQ with the vector type, see SetVector).
// The handler clears upcall_pending, then walks the selector and the
// pending words, clearing each pending bit it handles (Scan).
//
// A guest may also never take interrupts and instead sleep in
// SCHEDOP_poll, which returns when one of the given ports is pending, and
// call Scan afterwards. The goxen kernel does both: interrupts while the
// Go program runs, polling while every thread sleeps.
package evtchn
