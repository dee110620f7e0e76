//go:build tamago && amd64

package xenpvh

import (
	"math"
	"runtime"
	"runtime/goos"
	_ "unsafe" // go:linkname

	"github.com/usbarmory/tamago/amd64"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/pv"
	"github.com/goxen/goxen/pvh"
)

// The runtime/goos hooks, defined as TamaGo's board packages define them.

// ramStart replaces package amd64's (build tag linkramstart).
//
//go:linkname ramStart runtime/goos.RamStart
var ramStart uint64 = RamStart

// ramSize is set by early from the start info's memory map.
//
//go:linkname ramSize runtime/goos.RamSize
var ramSize uint64

//go:linkname printk runtime/goos.Printk
func printk(c byte) { pvh.Putc(c) }

//go:linkname nanotime runtime/goos.Nanotime
func nanotime() int64 { return pvh.Now() }

// AMD64 is the boot CPU, for the amd64 package's services (exception
// handlers). Its timer is not used: time comes from Xen's pvclock.
var AMD64 = &amd64.CPU{}

// hwinit1 runs early in the runtime's setup, once the heap works.
//
//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	setHooks()
	reportBoot(pvh.Now())
}

// setHooks installs Exit and Idle. early calls it too, before the runtime
// starts, so that a fatal error in the runtime's own setup (out of
// memory, say) still shuts the domain down rather than spinning. Storing a
// top-level function allocates nothing.
func setHooks() {
	goos.Exit = exit
	goos.Idle = idle
}

func init() {
	// Exceptions print a Go stack trace instead of triple-faulting. A PV
	// guest has no IDT (LIDT faults in ring 3): package pv's trap table
	// reports its faults.
	if !pvMode {
		AMD64.EnableExceptions()
	}
	pvEntryAt = pvEntryAddr()
}

// pvEntry and pvStart are start_tamago_amd64.s's PV entry and its
// continuation.
func pvEntry()
func pvStart()

// pvEntryAddr returns pvEntry's address. Nothing else refers to pvEntry
// (Xen enters it through the ENTRY note), so init keeps it in the image
// by taking its address.
func pvEntryAddr() uintptr

var pvEntryAt uintptr

func setRamSize(n uint64)  { ramSize = n }
func setBloc(a uint64)     { goos.Bloc = uintptr(a) }
func ramStartAddr() uint64 { return ramStart }
func stackOffset() uint64  { return uint64(goos.RamStackOffset) }

// imageEnd is the end of the loaded image (.noptrbss is last).
func imageEnd() uint64 {
	_, end := runtime.DataRegion()
	return end
}

// exit ends the domain: SHUTDOWN_poweroff for status 0, SHUTDOWN_crash
// otherwise, so that a toolstack sees a failure.
func exit(code int32) {
	if code == 0 {
		pvh.Shutdown(hypercall.SHUTDOWN_poweroff)
	}
	var b [24]byte
	pvh.Fatal("exit status ", numfmt.AppendInt(b[:0], int64(code)))
}

// idle sleeps in Xen until the runtime's next timer (until, in Xen system
// time, which is what nanotime returns) or a console event. Sleeps are
// capped at a second so that a missed wakeup costs little.
func idle(until int64) {
	now := pvh.Now()
	if until <= now {
		return
	}
	if until == math.MaxInt64 || until-now > 1e9 {
		until = now + 1e9
	}
	if pvMode {
		pv.Idle(until) // SCHEDOP_block until VIRQ_TIMER or an event
		return
	}
	pvh.PollConsole(until)
}
