package kernel

import "github.com/goxen/goxen/pvh"

// The kernel's own image: where it is loaded, its segments, and .bss,
// which the kernel clears itself.

var (
	imageStart, imageEnd uintptr // the loaded ELF image, page-rounded
	goEntry              uintptr // e_entry: _rt0_amd64_linux
)

// zeroBSS finds the kernel's own ELF header (Xen loads it with the first
// segment, just below the text) and clears each writable segment's memory
// past its file contents: .bss and .noptrbss. Xen's loader clears them
// too; doing it here keeps the kernel correct under any loader. It skips
// pvh's early regions (pvh.EarlyRegions), which lie in .noptrbss: it runs
// on that early stack, with CR3 pointing at those page tables.
func zeroBSS() { findImage(true) }

// findImage finds the kernel's ELF header below the entry point and its
// PT_LOAD segments, and clears .bss if clear is set (PVH: all but pvh's
// early page tables and stack, in use). A PV guest's .bss was cleared by
// Xen's domain builder, which loads PT_LOAD segments as a loader does
// (xen/common/libelf/libelf-loader.c: elf_load_image), and holds package
// pv's state by now: findImagePV leaves it.
func findImage(clearBSS bool) {
	holes := pvh.EarlyRegions()
	h := pvh.EntryAddr() &^ 0xfff
	for n := 0; ; n++ {
		if *(*uint32)(at(h)) == 0x464c457f { // "\x7fELF"
			break
		}
		if n > 8192 || h < 0x100000 {
			pvh.Fatal("no ELF header below the entry point", nil)
		}
		h -= 0x1000
	}
	entry := uintptr(*(*uint64)(at(h + 24)))
	var end uintptr
	var segs [len(imageSegs)]loadSeg
	nsegs := 0
	phoff := uintptr(*(*uint64)(at(h + 32)))
	phentsize := uintptr(*(*uint16)(at(h + 54)))
	phnum := int(*(*uint16)(at(h + 56)))
	for i := 0; i < phnum; i++ {
		ph := h + phoff + uintptr(i)*phentsize
		typ := *(*uint32)(at(ph))
		flags := *(*uint32)(at(ph + 4))
		vaddr := uintptr(*(*uint64)(at(ph + 16)))
		filesz := uintptr(*(*uint64)(at(ph + 32)))
		memsz := uintptr(*(*uint64)(at(ph + 40)))
		if typ != 1 { // PT_LOAD
			continue
		}
		if e := (vaddr + memsz + 0xfff) &^ 0xfff; e > end {
			end = e
		}
		if nsegs < len(segs) {
			// kernel:nopanic nsegs < len(segs), checked on the line above
			segs[nsegs] = loadSeg{vaddr: vaddr, memsz: memsz, writable: flags&2 != 0}
			nsegs++
		}
		if clearBSS && flags&2 != 0 && memsz > filesz { // PF_W
			var parts [len(holes) + 1]pvh.Region
			n := bssParts(pvh.Region{Start: vaddr + filesz, End: vaddr + memsz}, holes[:], parts[:])
			// kernel:nopanic bssParts returns at most len(parts)
			for _, p := range parts[:n] {
				clear(bytesAt(p.Start, int(p.End-p.Start)))
			}
		}
	}
	// Only now, with .bss clear, may .bss variables be set.
	imageStart, imageEnd, goEntry = h, end, entry
	imageSegs, nImageSegs = segs, nsegs
}

// bssParts writes to out the parts of r that no hole covers, in address
// order, and returns how many there are. Holes may come in any order,
// overlap, or lie partly or wholly outside r; out needs room for
// len(holes)+1 parts. It is zeroBSS's arithmetic, kept apart so that a
// host test can check it: it runs before the Go runtime, so it allocates
// nothing.
func bssParts(r pvh.Region, holes []pvh.Region, out []pvh.Region) int {
	n := 0
	cur := r.Start
	for cur < r.End {
		// The hole that starts first among those still ahead of cur.
		next := -1
		for i, h := range holes {
			if h.Start < h.End && h.End > cur && h.Start < r.End &&
				// kernel:nopanic next is -1 (tested first) or an index of holes
				(next < 0 || h.Start < holes[next].Start) {
				next = i
			}
		}
		if next < 0 {
			// kernel:nopanic n < len(out): out holds len(holes)+1 parts and each hole adds at most one
			out[n] = pvh.Region{Start: cur, End: r.End}
			return n + 1
		}
		// kernel:nopanic next >= 0 here, an index of holes
		h := holes[next]
		if h.Start > cur {
			// kernel:nopanic n < len(out): out holds len(holes)+1 parts and each hole adds at most one
			out[n] = pvh.Region{Start: cur, End: h.Start}
			n++
		}
		cur = h.End // > cur, so the loop ends
	}
	return n
}
