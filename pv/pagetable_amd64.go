//go:build amd64

package pv

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
)

// Xen is the kernel's Machine for PageTables: the guest's 1:1 mapping
// (virtual address = PFN<<12, VIRT_BASE 0), HYPERVISOR_mmu_update and
// HYPERVISOR_mmuext_op on DOMID_SELF, and pvh.Fatal.
type Xen struct{}

// xen is the Machine Init picks for nil: a global, so that the interface
// holds its address (no write barrier, no pointer wrapper).
var xen Xen

func (*Xen) Entry(table PFN, i uint64) uint64 {
	return (*[ptesPerTable]uint64)(at(table.Addr()))[i&(ptesPerTable-1)]
}

func (*Xen) Zero(p PFN) { clear((*[4096]byte)(at(p.Addr()))[:]) }

func (*Xen) MMUUpdate(reqs []hypercall.MMUUpdate) (done, rc int) {
	return hypercall.MMUUpdateBatch(reqs)
}

func (*Xen) MMUExtOp(ops []hypercall.MMUExtOp) (done, rc int) {
	return hypercall.MMUExtOpBatch(ops)
}

func (*Xen) Fatal(msg string, detail []byte) { pvh.Fatal(msg, detail) }
