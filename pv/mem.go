package pv

// Pseudo-physical and machine frames. A PV guest sees two kinds of frame
// number: the pseudo-physical frames (PFN) of its own contiguous memory,
// [0, nr_pages), which its virtual addresses are laid out by, and the
// machine frames (MFN) of the host, which its page-table entries, the
// start info's *_mfn fields and grant entries hold. The P2M, an array of
// nr_pages MFNs that Xen's domain builder writes into the bootstrap region
// (start_info.mfn_list), translates one way; Xen's M2P, one PFN per
// machine frame mapped read-only into every 64-bit PV guest at
// MACH2PHYS_VIRT_START, the other. An M2P entry can belong to another
// domain or be stale, so PFNOf checks the round trip through the P2M.
//
// xen/include/public/xen.h (start_info mfn_list);
// xen/include/public/arch-x86/xen-x86_64.h (MACH2PHYS_VIRT_START).

// PFN is a pseudo-physical frame number: the guest's own numbering.
type PFN uint64

// MFN is a machine frame number: the host's.
type MFN uint64

// Addr is the virtual address of pseudo-physical frame p: VIRT_BASE is 0
// (package linker), so the bootstrap region maps page p at p<<12, like
// PVH's identity map.
func (p PFN) Addr() uintptr { return uintptr(p) << 12 }

// MA is the machine address of byte off of frame m.
func (m MFN) MA(off uint64) uint64 { return uint64(m)<<12 | off&0xfff }

// P2M is the guest's pseudo-physical to machine table, start_info.mfn_list.
type P2M []MFN

// MFN returns the machine frame behind p, or false if p is beyond nr_pages.
func (t P2M) MFN(p PFN) (MFN, bool) {
	if uint64(p) >= uint64(len(t)) {
		return 0, false
	}
	return t[p], true
}

// M2P is Xen's machine to pseudo-physical table, up to the host's highest
// RAM frame (XENMEM_maximum_ram_page).
type M2P []PFN

// PFNOf returns the guest frame behind machine frame m if m is one of the
// guest's own: in the table, and mapped back to m by the P2M.
func PFNOf(m2p M2P, p2m P2M, m MFN) (PFN, bool) {
	if uint64(m) >= uint64(len(m2p)) {
		return 0, false
	}
	p := m2p[m]
	if back, ok := p2m.MFN(p); !ok || back != m {
		return 0, false
	}
	return p, true
}
