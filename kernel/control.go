package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/xenstore"
)

// Toolstack control. `xl shutdown` and `xl reboot` write "poweroff" or
// "reboot" to control/shutdown in the guest's xenstore directory and wait
// for the guest to acknowledge by writing "" back (libxl's
// libxl__domain_shutdown and pvcontrol; docs/misc/xenstore-paths.pandoc,
// ~/control/shutdown). A guest advertises what it supports with
// control/feature-poweroff and -reboot.
//
// The kernel acknowledges at once and then does what Linux does for a
// process: it sends the program SIGTERM. A program that handles it (with
// signal.NotifyContext, say) finishes its work, and its exit with status 0
// ends the domain for the reason asked for; one that does not is ended at
// once, for that same reason (see exitGroup and terminate). Suspend is
// not offered, and refused if asked for anyway.

var (
	shutdownRequested bool
	shutdownReason    uint32 // SHUTDOWN_poweroff or SHUTDOWN_reboot
)

// xenstoreControl advertises poweroff and reboot and watches
// control/shutdown. A refused write is noted, not fatal. The watch is a
// flag for the pump (xsconn.go), which registers it again after a
// reconnect; its initial event makes the kernel read the key once.
func xenstoreControl() {
	for _, k := range [...]string{"control/feature-poweroff", "control/feature-reboot"} {
		if !xsCall(xenstore.XS_WRITE, k, "1", true) && !storeDead {
			// kernel:nopanic kernelReplyLen <= len(kernelReply): it is set from a copy into it
			klog().s("xenstore: could not write ").s(k).s(": ").bytes(trim0(kernelReply[:max(kernelReplyLen, 0)])).print()
		}
	}
	shutdownWatchNeeded, shutdownWatchSet = true, true
	xsPump()
}

// shutdownRequestRead takes the value of control/shutdown, read after its
// watch fired. It only records; shutdownReport prints and signals.
func shutdownRequestRead(h xenstore.Header, v []byte) {
	if h.Type == xenstore.XS_ERROR || len(v) == 0 {
		return // no request (ENOENT), or our own acknowledgement
	}
	n := &storeNews
	n.askedLen = copy(n.asked[:], v)
	var reason uint32
	switch string(v) {
	case "poweroff", "halt":
		reason = hypercall.SHUTDOWN_poweroff
	case "reboot":
		reason = hypercall.SHUTDOWN_reboot
	case "suspend":
		n.suspend = true
		return
	default:
		n.unknown = true
		return
	}
	if shutdownRequested {
		return
	}
	shutdownRequested, shutdownReason = true, reason
	shutdownAckNeeded = true
	n.shutdown = true
}

// shutdownReport says what the toolstack asked for and, for a shutdown,
// sends the program SIGTERM.
func shutdownReport() {
	n := &storeNews
	v := n.asked[:min(uint(n.askedLen), uint(len(n.asked)))]
	if n.suspend {
		n.suspend = false
		klog().s("the toolstack asks for suspend, which this kernel does not support (control/feature-suspend is not set): refused, running on").print()
	}
	if n.unknown {
		n.unknown = false
		klog().s("the toolstack asks for \"").bytes(v).s("\" in control/shutdown, which this kernel does not know: ignored").print()
	}
	if n.shutdown {
		n.shutdown = false
		klog().s("the toolstack asks for ").bytes(v).s(": acknowledged; SIGTERM to the program").print()
		sendProcessSignal(sigTERM)
	}
}

const sigTERM = 15

// shutdownReasonName names a SHUTDOWN_* reason the toolstack asked for.
func shutdownReasonName(r uint32) string {
	if r == hypercall.SHUTDOWN_reboot {
		return "reboot"
	}
	return "poweroff"
}
