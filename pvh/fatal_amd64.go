//go:build amd64

package pvh

import "github.com/goxen/goxen/hypercall"

// The fatal path, the same for every flavour and every stage of boot.

// Fatal writes "goxen: fatal: " msg detail as one line on every console
// and crashes the domain.
func Fatal(msg string, detail []byte) {
	out.fatal(msg, detail)
	Shutdown(hypercall.SHUTDOWN_crash)
}

// Shutdown flushes the console and asks Xen to end the domain
// (SHUTDOWN_poweroff, _reboot or _crash). Without a hypercall page (Xen
// was not found) it halts.
func Shutdown(reason uint32) {
	Flush()
	for {
		if hypercall.Page() != 0 {
			hypercall.SchedShutdown(reason)
		}
		halt()
	}
}

// halt stops the vCPU until the next interrupt (io_amd64.s).
func halt()

// outsb writes n bytes from p to an I/O port with REP OUTSB (io_amd64.s).
//
//go:noescape
func outsb(port uint16, p *byte, n int)
