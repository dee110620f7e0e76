// Package xenpvh is a TamaGo board for Xen PVH guests: importing it lets a
// Go program built with TamaGo's toolchain (GOOS=tamago) boot under Xen as
// a domU or as a PVH dom0.
//
// TamaGo runs Go on bare metal by letting a board fill in a few hooks of
// its runtime (package runtime/goos): where RAM is (RamStart, RamSize),
// how to print a byte (Printk), what time it is (Nanotime), what to do
// when there is nothing to run (Idle) and how to stop (Exit). On Xen each
// hook is a Xen mechanism:
//
//   - Printk writes to the PV console ring and kicks its event channel
//     (a domU, which finds the ring with HVM_PARAM_CONSOLE_PFN), or uses
//     the console_io hypercall (dom0, which has no ring), or port 0xe9
//     before either is known. Package console does the ring.
//   - Nanotime reads Xen's pvclock, the vcpu_time_info in the shared info
//     page (package hypercall).
//   - RamStart and RamSize come from the start info's memory map
//     (package startinfo), or from XENMEM_memory_map for a dom0, whose
//     start info has none.
//   - Idle sleeps in SCHEDOP_poll until the runtime's next timer, so an
//     idle guest does not burn its vCPU.
//   - Exit is SCHEDOP_shutdown: poweroff for status 0, crash otherwise.
//
// The board uses the same hypercall, startinfo and console packages as
// the stock-Go kernel, unchanged: that is the proof that the Xen layer
// makes no assumptions about which Go runtime is on top.
//
// One thing TamaGo cannot do for a Xen guest is keep %ebx: PVH passes the
// start info's address there and TamaGo's own cpuinit overwrites it, and
// Xen puts the start info right where TamaGo's heap begins. So the board
// brings its own cpuinit (build tag linkcpuinit, entry_amd64.s) that
// keeps %ebx, identity-maps the first 4 GiB with 2 MiB pages (the console
// and xenstore pages sit just below 4 GiB), enters long mode, and runs a
// little Go (early.go) before the runtime: install the hypercall page,
// copy the start info, map shared info, choose the console, size RAM.
package xenpvh
