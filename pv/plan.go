package pv

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/internal/numfmt"
)

// Mapping the RAM the bootstrap region leaves out.
//
// Xen's domain builder maps only the bootstrap region: the image, the
// P2M, start info, the xenstore and console pages, the page tables and
// a boot stack, then at least 512 KiB of padding, up to a 4 MiB boundary
// (xen/include/public/xen.h, "Start-of-day memory layout"). The rest of
// nr_pages is unmapped. In PV the page tables are Xen's business: every
// page-table page must be mapped read-only everywhere, and every entry is
// written by Xen on request (HYPERVISOR_mmu_update), which checks that it
// maps a frame of ours, with no PSE (2 MiB pages are refused:
// xen/arch/x86/mm.c). So mapping more RAM takes new L1 tables, one per
// 2 MiB, in frames we own:
//
//  1. the tables come from the padding after the boot stack, which the
//     bootstrap maps writable, so they can be filled with plain stores;
//  2. their own mappings are then made read-only, and their L2 entries
//     written, in one batch of mmu_update requests, in that order (Xen
//     refuses to make a frame a page table while it has a writable
//     mapping).
//
// This package maps at most the first GiB (one bootstrap L2; more would
// need new L2 tables), and as many tables as the padding holds: 512 KiB
// of padding, 128 tables, map 256 MiB beyond the bootstrap region. The
// plan says where it stopped.

// MaxMapped is the most RAM a PV guest maps here: the first GiB, the span
// of the bootstrap L2 table.
const MaxMapped PFN = 1 << 30 >> 12

// ptesPerTable is the number of entries in a page table.
const ptesPerTable = 512

// MapPlan says which frames become L1 tables and what they map.
type MapPlan struct {
	From, To PFN // frames newly mapped: [From, To)
	Tables   PFN // first frame of the new L1 tables, in the padding
	NTables  int // tables, one per 2 MiB of [From, To)
	// Capped is set when To is short of min(nr_pages, MaxMapped): the
	// padding ran out of frames for tables, or RAM goes past 1 GiB.
	Capped bool
	Want   PFN // min(nr_pages, MaxMapped): what a complete plan maps
}

// planKind says why PlanMapping refused.
type planKind uint8

const (
	planOK        planKind = iota
	planUnaligned          // the bootstrap mapping does not end on a 2 MiB boundary
	planNoPadding          // the free frames start past the mapped end
)

// PlanError is PlanMapping's error, a value formatted without the heap.
type PlanError struct {
	Kind                 planKind
	MappedEnd, FreeStart PFN
}

// OK reports whether there was no error.
func (e PlanError) OK() bool { return e.Kind == planOK }

// Append formats the error onto b.
func (e PlanError) Append(b []byte) []byte {
	switch e.Kind {
	case planUnaligned:
		b = append(b, "the bootstrap mapping ends at frame "...)
		b = numfmt.AppendHex64(b, uint64(e.MappedEnd))
		b = append(b, ", not on a 2 MiB boundary"...)
	case planNoPadding:
		b = append(b, "no padding: free frames start at "...)
		b = numfmt.AppendHex64(b, uint64(e.FreeStart))
		b = append(b, ", the bootstrap mapping ends at "...)
		b = numfmt.AppendHex64(b, uint64(e.MappedEnd))
	default:
		b = append(b, "no error"...)
	}
	return b
}

func (e PlanError) Error() string { return string(e.Append(nil)) }

// PlanMapping plans the mapping of [mappedEnd, min(nrPages, MaxMapped)):
// mappedEnd is where the bootstrap mapping stops, freeStart the first
// frame after the boot stack (the padding is [freeStart, mappedEnd)).
func PlanMapping(mappedEnd, nrPages, freeStart PFN) (MapPlan, PlanError) {
	p := MapPlan{From: mappedEnd, To: mappedEnd, Tables: freeStart, Want: min(nrPages, MaxMapped)}
	if mappedEnd%ptesPerTable != 0 {
		return p, PlanError{Kind: planUnaligned, MappedEnd: mappedEnd}
	}
	if freeStart > mappedEnd {
		return p, PlanError{Kind: planNoPadding, MappedEnd: mappedEnd, FreeStart: freeStart}
	}
	p.Capped = nrPages > MaxMapped
	if p.Want <= mappedEnd {
		return p, PlanError{}
	}
	n := int((p.Want - mappedEnd + ptesPerTable - 1) / ptesPerTable)
	if avail := int(mappedEnd - freeStart); n > avail {
		n, p.Capped = avail, true
	}
	p.NTables = n
	p.To = min(p.Want, mappedEnd+PFN(n)*ptesPerTable)
	return p, PlanError{}
}

// Table returns the frame of the i-th new L1 table and the first frame it
// maps.
func (p MapPlan) Table(i int) (table, first PFN) {
	return p.Tables + PFN(i), p.From + PFN(i)*ptesPerTable
}

// Page-table entry flags for what this package maps: present, writable,
// accessed and dirty (so the CPU need not set them); Xen adds the user
// bit a 64-bit PV guest's entries need (xen/arch/x86/pv/mm.h).
const (
	leafFlags  = hypercall.PTE_P | hypercall.PTE_RW | hypercall.PTE_A | hypercall.PTE_D
	tableFlags = hypercall.PTE_P | hypercall.PTE_RW | hypercall.PTE_US | hypercall.PTE_A | hypercall.PTE_D
	roFlags    = hypercall.PTE_P | hypercall.PTE_A | hypercall.PTE_D
)

// FillTable writes the i-th table's entries into t while t is still an
// ordinary writable page: frame first+k at entry k, up to p.To; the rest
// not present.
func (p MapPlan) FillTable(t *[ptesPerTable]uint64, i int, p2m P2M) bool {
	_, first := p.Table(i)
	for k := range t {
		t[k] = 0
		f := first + PFN(k)
		if f >= p.To {
			continue
		}
		m, ok := p2m.MFN(f)
		if !ok {
			return false
		}
		t[k] = m.MA(0) | leafFlags
	}
	return true
}

// Requests appends to out the mmu_update requests that hook tables
// [from, to) in, once filled: for each, its own PTE made read-only (bootL1
// says which bootstrap L1 maps a frame), then its entry in the bootstrap
// L2 (l2). It returns false if a frame has no MFN or out is too short.
func (p MapPlan) Requests(out []hypercall.MMUUpdate, from, to int, p2m P2M, bootL1 func(PFN) (MFN, bool), l2 MFN) ([]hypercall.MMUUpdate, bool) {
	for i := from; i < min(to, p.NTables); i++ {
		table, first := p.Table(i)
		m, ok1 := p2m.MFN(table)
		l1, ok2 := bootL1(table)
		if !ok1 || !ok2 || len(out)+2 > cap(out) {
			return out, false
		}
		out = append(out,
			hypercall.MMUUpdate{Ptr: l1.MA(uint64(table%ptesPerTable)*8) | hypercall.MMU_NORMAL_PT_UPDATE, Val: m.MA(0) | roFlags},
			hypercall.MMUUpdate{Ptr: l2.MA(uint64(first/ptesPerTable)*8) | hypercall.MMU_NORMAL_PT_UPDATE, Val: m.MA(0) | tableFlags},
		)
	}
	return out, true
}
