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

// ExceptionNames names the x86 exception vectors for fault reports, in
// both flavours and both modes (the kernel's IDT, package pv's trap table).
var ExceptionNames = [32]string{
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD exception", "#VE virtualization",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
}
