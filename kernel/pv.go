package kernel

import (
	"github.com/goxen/goxen/pv"
	"github.com/goxen/goxen/pvh"
)

// Classic PV, part 1: the stock-Go kernel does not run as a PV guest yet
// (a Go program's SYSCALLs would be hypercalls in PV guest-kernel mode;
// part 2 runs the program in guest-user mode). Started with type = "pv",
// it says so in one line on its console and crashes the domain, rather
// than faulting at its first PVH-only instruction.

// pvEntry is the entry point named by the XEN_ELFNOTE_ENTRY note.
func pvEntry()

// pvEntryAddr returns the address of pvEntry itself.
func pvEntryAddr() uintptr

// PVNotYet is the line a stock-Go kernel started as a PV guest ends with.
const PVNotYet = `type = "pv" needs classic PV part 2: the stock-Go flavour boots only as PVH for now; use type = "pvh"`

// pvBoot is pv.Entry's continuation: package pv's bring-up up to the
// console, then the one line, and the domain is crashed.
func pvBoot() {
	pv.Early()
	pvh.Fatal(PVNotYet, nil)
}
