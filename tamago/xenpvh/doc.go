// Package xenpvh is a TamaGo board for Xen guests: importing it lets a Go
// program built with TamaGo's toolchain (GOOS=tamago) boot under Xen as a
// PVH or classic PV domU, or as a PVH or PV dom0, from one ELF.
//
// TamaGo runs Go on bare metal by letting a board fill in a few hooks of
// its runtime (package runtime/goos): where RAM is (RamStart, RamSize),
// how to print a byte (Printk), what time it is (Nanotime), what to do
// when there is nothing to run (Idle) and how to stop (Exit). On Xen each
// hook is a Xen mechanism:
//
//   - Printk collects a line and writes it to the console package pvh
//     found: the PV console ring (a domU), console_io (dom0) or port 0xe9.
//   - Nanotime reads Xen's pvclock in the shared info page (pvh.Now).
//   - RamStart and RamSize come from the start info's memory map, which
//     pvh copied (from XENMEM_memory_map for a dom0); plan.go decides.
//   - Idle sleeps in SCHEDOP_poll until the runtime's next timer, so an
//     idle guest does not burn its vCPU; as a PV guest, in SCHEDOP_block
//     until VIRQ_TIMER (pv.Idle).
//   - Exit is SCHEDOP_shutdown: poweroff for status 0, crash otherwise.
//
// The bring-up before the runtime is package pvh's, shared with the
// stock-Go kernel. TamaGo's own cpuinit overwrites %ebx, the start info's
// address, so the board brings its own (build tag linkcpuinit): it calls
// pvh.Entry, then early, which runs pvh's steps and sizes the RAM.
//
// As a classic PV guest Xen enters pvEntry instead (the XEN_ELFNOTE_ENTRY
// note xenlink adds, tamago.mk), in 64-bit mode and ring 3: package pv's
// Entry and steps run, pv.MapRAM maps the RAM past Xen's bootstrap region,
// and earlyPV sizes the runtime's RAM as [RamStart, the mapped end) with
// the heap above everything Xen put behind the image. No IDT is loaded
// (pv's trap table reports faults), and pv repairs the one fault TamaGo's
// runtime makes on purpose at CPL 3 (its arch_prctl TLS request).
package xenpvh
