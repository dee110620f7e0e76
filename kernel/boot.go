package kernel

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
)

// bootSteps is the kernel's path from the 64-bit entry to the Go
// runtime: the steps, in the order they run, each in a file named for
// what it does. Package pvh's Entry calls boot in long mode, on pvh's
// early stack and TLS: no heap, no maps, no interfaces holding new
// values, no panics. The steps that do not depend on which Go runtime
// runs on top are pvh's, shared with the TamaGo board. Each step has a
// short name for the boot timeline (bootclock.go).
var bootSteps = [...]bootStep{
	{"bss", zeroBSS},                             // image.go: clear .bss, find the image's segments
	{"tls", keepEarlyTLS},                        // trap.go: pvh's TLS block stays the kernel's
	{"hypercall page", pvh.InstallHypercallPage}, // pvh: Xen's CPUID leaves, the hypercall page
	{"report entry", reportEntry},                // startofday.go
	{"traps", initTraps},                         // trap.go: GDT, TSS, IDT: faults are reported
	{"start info", pvh.ReadStartInfo},            // pvh: start info and memory map
	{"report start info", reportStartInfo},       // startinfo.go
	{"shared info", mapSharedInfo},               // clock.go: pvh maps shared info (events, pvclock)
	{"memory", initMemory},                       // mem.go: the frame allocator and address space
	{"low guard", guardLowMemory},                // mem.go: the first 64 KiB unmapped (nil guard)
	{"protect", protectImage},                    // protect.go: text and rodata read-only
	{"console", initConsole},                     // console.go: ring (domU) or console_io (dom0)
	{"start of day", startOfDay},                 // startofday.go: what the kernel found
	{"events", initEvents},                       // events.go: upcalls and the timer VIRQ
	{"grant table", initGrantTable},              // grants.go
	{"xenstore", initXenstore},                   // xenbus.go
	{"threads", initThreads},                     // sched.go
	{"syscalls", initSyscalls},                   // syscall.go: SYSCALL lands in syscallEntry
}

// boot is the PVH path: pvhEntry calls it.
func boot() { runSteps(bootSteps[:]) }

// runSteps runs the steps of one boot path (bootSteps, or pvBootSteps in
// pv.go), reading the TSC before each (the clock that converts it to time
// exists only from "shared info" on), reports the timeline and enters the
// Go runtime.
func runSteps(steps []bootStep) {
	for i := range steps {
		// kernel:nopanic len(steps) <= maxBootSteps = len(stepTSC)-1
		stepTSC[i] = hypercall.RDTSC()
		steps[i].run()
	}
	// kernel:nopanic len(steps) <= maxBootSteps = len(stepTSC)-1
	stepTSC[len(steps)] = hypercall.RDTSC()
	reportBoot(steps) // bootclock.go: the steps' times, from Xen's unpause
	enterGo()         // process.go: the Linux process start; never returns
}

// bootStep is one step of boot.
type bootStep struct {
	name string
	run  func()
}

// booted is true once boot has run: package init code uses it to tell a
// real guest from a host test binary that merely imports this package.
var booted bool
