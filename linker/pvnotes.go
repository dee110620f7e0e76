package linker

import (
	"errors"
	"fmt"
)

// Classic PV: the notes that let Xen's PV domain builder boot the same ELF
// that PHYS32_ENTRY boots as PVH, as Linux's vmlinux carries both sets.
//
// Xen's libelf (xen/common/libelf/libelf-dominfo.c) builds a PV guest
// only if LOADER is "generic" (or GUEST_OS "linux") and XEN_VERSION is
// "xen-3.0"; those two we always write. ENTRY is the 64-bit virtual
// address Xen jumps to with %rsi = start_info; without it Xen would enter
// e_entry, the Go runtime's Linux start code. VIRT_BASE 0 and
// PADDR_OFFSET 0 make every virtual address equal its pseudo-physical one
// (virt_offset = VIRT_BASE - PADDR_OFFSET is added to the PT_LOAD
// addresses), so the code runs at the addresses PVH's identity map gives
// it. HYPERCALL_PAGE names a page inside the image that Xen fills with a
// SYSCALL stub per hypercall before the guest starts (XEN_DOMCTL_hypercall_init
// for a domU, init_hypercall_page for dom0); it is the page PVH fills
// through the MSR, so package hypercall's Call works the same in both
// modes. A PVH (HVM) container ignores ENTRY, VIRT_BASE, PADDR_OFFSET and
// HYPERCALL_PAGE (libelf forces virt_base and paddr_offset to 0 and the
// entry to PHYS32_ENTRY when hvm; tools/libs/guest/xg_dom_x86.c sets
// virt_hypercall to -1).
const (
	XEN_ELFNOTE_ENTRY          = 1 // numeric: virtual address of the 64-bit PV entry
	XEN_ELFNOTE_HYPERCALL_PAGE = 2 // numeric: virtual address of the page Xen fills with hypercall stubs
	XEN_ELFNOTE_VIRT_BASE      = 3 // numeric: virtual address of pseudo-physical page 0
	XEN_ELFNOTE_PADDR_OFFSET   = 4 // numeric: subtracted from p_paddr to get the offset from VIRT_BASE
)

// DefaultPVEntrySymbol is the stock kernel's 64-bit PV entry (kernel.pvEntry).
const DefaultPVEntrySymbol = "github.com/goxen/goxen/kernel.pvEntry"

// DefaultHypercallPageSymbol is the buffer the hypercall page is carved
// from (package pvh's hypercallPageMem, two pages long): the note names
// its first page-aligned page, which both modes use.
const DefaultHypercallPageSymbol = "github.com/goxen/goxen/pvh.hypercallPageMem"

// Boot modes an ELF supports, as Modes names them.
const (
	ModePVH = "pvh"
	ModePV  = "pv"
)

// Modes says which of Xen's x86 boot modes the notes allow: "pvh" with a
// PHYS32_ENTRY note; "pv" with an ENTRY note, LOADER "generic" and
// XEN_VERSION "xen-3.0" (what libelf requires of a PV kernel).
func Modes(notes []Note) []string {
	var phys32, entry, loader, version bool
	for _, n := range notes {
		if n.Name != XenNoteName {
			continue
		}
		switch n.Type {
		case XEN_ELFNOTE_PHYS32_ENTRY:
			phys32 = true
		case XEN_ELFNOTE_ENTRY:
			entry = true
		case XEN_ELFNOTE_LOADER:
			loader = string(n.Desc) == "generic\x00"
		case XEN_ELFNOTE_XEN_VERSION:
			version = string(n.Desc) == "xen-3.0\x00"
		}
	}
	var m []string
	if phys32 {
		m = append(m, ModePVH)
	}
	if entry && loader && version {
		m = append(m, ModePV)
	}
	return m
}

// pvEntry is what the PV notes say, found from the symbols.
type pvEntry struct {
	Entry, HypercallPage uint64
	Symbol               string
}

// findPV looks up the PV entry and the hypercall page. No PV entry symbol
// means a PVH-only kernel (ok false, no error); an entry without a usable
// hypercall page, or an image whose virtual and physical addresses differ,
// is an error: VIRT_BASE 0 would load it at the wrong addresses.
func (f *file) findPV(opt Options) (pvEntry, bool, error) {
	var pv pvEntry
	names := []string{opt.PVEntrySymbol + ".abi0", opt.PVEntrySymbol}
	name, v, err := f.lookupSymbol(names)
	var se *SymbolError
	if errors.As(err, &se) {
		return pv, false, nil
	}
	if err != nil {
		return pv, false, err
	}
	if _, ok := f.virtToPhys(v); !ok {
		return pv, false, &EntryError{Entry: v, Symbol: name, Segments: f.loads()}
	}
	for i, p := range f.progs {
		if p.Type == ptLoad && p.Vaddr != p.Paddr {
			return pv, false, &PVError{Reason: fmt.Sprintf("PT_LOAD #%d has vaddr %#x != paddr %#x; PV with VIRT_BASE 0 needs them equal", i, p.Vaddr, p.Paddr)}
		}
	}
	hname, h, err := f.lookupSymbol([]string{opt.HypercallPageSymbol})
	if err != nil {
		return pv, false, &PVError{Reason: "PV entry " + name + " but no hypercall page: " + err.Error()}
	}
	page := (h + 4095) &^ 4095
	if !f.virtInLoad(page, 4096) {
		return pv, false, &PVError{Reason: fmt.Sprintf("hypercall page %#x (from %s) is not inside a PT_LOAD", page, hname)}
	}
	return pvEntry{Entry: v, HypercallPage: page, Symbol: name}, true, nil
}

// virtInLoad reports whether [v, v+n) lies inside one PT_LOAD's memory.
func (f *file) virtInLoad(v, n uint64) bool {
	for _, p := range f.progs {
		if p.Type == ptLoad && v >= p.Vaddr && v+n >= v && v+n <= p.Vaddr+p.Memsz {
			return true
		}
	}
	return false
}

// pvNotes are the notes a PV boot needs besides LOADER and XEN_VERSION.
func pvNotes(pv pvEntry) []Note {
	return []Note{
		{XenNoteName, XEN_ELFNOTE_ENTRY, le.AppendUint64(nil, pv.Entry)},
		{XenNoteName, XEN_ELFNOTE_HYPERCALL_PAGE, le.AppendUint64(nil, pv.HypercallPage)},
		{XenNoteName, XEN_ELFNOTE_VIRT_BASE, le.AppendUint64(nil, 0)},
		{XenNoteName, XEN_ELFNOTE_PADDR_OFFSET, le.AppendUint64(nil, 0)},
	}
}

// PVError says why an ELF with a PV entry cannot get the PV notes.
type PVError struct{ Reason string }

func (e *PVError) Error() string { return "PV notes: " + e.Reason }
