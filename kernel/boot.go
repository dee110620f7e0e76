package kernel

import "github.com/goxen/goxen/pvh"

// boot is the kernel's path from the 64-bit entry to the Go runtime: the
// steps, in the order they happen, each in a file named for what it does.
// Package pvh's Entry calls it in long mode, on pvh's early stack and
// TLS: no heap, no maps, no interfaces holding new values, no panics.
// The steps that do not depend on which Go runtime runs on top are pvh's,
// shared with the TamaGo board.
func boot() {
	zeroBSS()                  // image.go: clear .bss, find the image's segments
	keepEarlyTLS()             // trap.go: pvh's TLS block stays the kernel's
	pvh.InstallHypercallPage() // pvh: Xen's CPUID leaves, the hypercall page
	reportEntry()              // startofday.go
	initTraps()                // trap.go: GDT, TSS, IDT: faults are reported
	pvh.ReadStartInfo()        // pvh: start info and memory map
	reportStartInfo()          // startinfo.go
	mapSharedInfo()            // clock.go: pvh maps shared info (events, pvclock)
	initMemory()               // mem.go: the frame allocator and address space
	guardLowMemory()           // mem.go: the first MiB unmapped (nil guard)
	protectImage()             // protect.go: text and rodata read-only
	initConsole()              // console.go: ring (domU) or console_io (dom0)
	startOfDay()               // startofday.go: what the kernel found
	initEvents()               // events.go: upcalls and the timer VIRQ
	initGrantTable()           // grants.go
	initXenstore()             // xenbus.go
	initThreads()              // sched.go
	initSyscalls()             // syscall.go: SYSCALL lands in syscallEntry
	enterGo()                  // process.go: the Linux process start
}

// booted is true once boot has run: package init code uses it to tell a
// real guest from a host test binary that merely imports this package.
var booted bool
