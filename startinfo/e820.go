package startinfo

import "github.com/goxen/goxen/hypercall"

// SetMemmapE820 fills p's memory map from n entries of a XENMEM_memory_map
// buffer (xen/include/public/memory.h; entries decoded by
// hypercall.DecodeE820). A version 0 start info, which is what Xen gives a
// PVH dom0, carries no memory map, so the guest asks Xen for one. The e820
// type numbers are the XEN_HVM_MEMMAP_TYPE_* numbers. Entries beyond
// MaxMemmap, or beyond what buf holds, are dropped. It returns the number
// of entries kept and does not allocate.
func (p *PVH) SetMemmapE820(buf []byte, n int) int {
	i := 0
	for ; i < n && i < len(p.Memmap); i++ {
		addr, size, typ, ok := hypercall.DecodeE820(buf, i)
		if !ok {
			break
		}
		p.Memmap[i] = MemmapEntry{Addr: addr, Size: size, Type: typ}
	}
	p.NMemmap = i
	return i
}
