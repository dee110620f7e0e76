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
// too; doing it here keeps the kernel correct under any loader.
func zeroBSS() {
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
			segs[nsegs] = loadSeg{vaddr: vaddr, memsz: memsz, writable: flags&2 != 0}
			nsegs++
		}
		if flags&2 != 0 && memsz > filesz { // PF_W
			clear(bytesAt(vaddr+filesz, int(memsz-filesz)))
		}
	}
	// Only now, with .bss clear, may .bss variables be set.
	imageStart, imageEnd, goEntry = h, end, entry
	imageSegs, nImageSegs = segs, nsegs
}
