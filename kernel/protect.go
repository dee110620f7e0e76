package kernel

import (
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pvh"
)

// Read-only memory. Everything runs at ring 0, where the CPU ignores a
// page's missing write permission unless CR0.WP is set (Intel SDM vol. 3,
// 4.6.1). Without it, mprotect(PROT_READ) and a write into the program's
// read-only data (string literals, type descriptors) would succeed
// silently. protectImage maps the image's text and read-only data without
// write permission and then sets CR0.WP, so such a write faults and
// reaches the program as SIGSEGV, as on Linux.

// loadSeg is a PT_LOAD segment of the kernel's own ELF image.
type loadSeg struct {
	vaddr, memsz uintptr
	writable     bool
}

var (
	imageSegs  [16]loadSeg // filled by zeroBSS
	nImageSegs int
)

// readOnlyPage reports whether the 4 KiB page at p lies wholly inside a
// segment without PF_W and shares no byte with a writable one.
func readOnlyPage(segs []loadSeg, p uintptr) bool {
	inRO := false
	for _, s := range segs {
		end := s.vaddr + s.memsz
		if s.writable {
			if p < end && s.vaddr < p+mm.PageSize {
				return false
			}
		} else if s.vaddr <= p && p+mm.PageSize <= end {
			inRO = true
		}
	}
	return inRO
}

const cr0WP = 1 << 16

// protectImage clears the write permission of the image's read-only pages
// in the identity map (splitting the 2 MiB pages that hold them into
// 4 KiB pages) and turns on CR0.WP.
func protectImage() {
	// kernel:nopanic nImageSegs <= len(imageSegs): zeroBSS stops there
	segs := imageSegs[:nImageSegs]
	var ro uint64
	for chunk := imageStart &^ (2<<20 - 1); chunk < imageEnd; chunk += 2 << 20 {
		t := splitLargePage(chunk)
		for i := range t {
			p := chunk + uintptr(i)<<12
			if p >= imageStart && p < imageEnd && readOnlyPage(segs, p) {
				t[i] &^= mm.PTEWrite
				invlpg(p)
				ro++
			}
		}
	}
	writeCR0(readCR0() | cr0WP)
	klog().s("image: ").dec(int64(ro * 4)).s(" KiB of text and read-only data mapped read-only, CR0.WP set").print()
}

// splitLargePage returns the 4 KiB page table behind the 2 MiB page of the
// identity map at va (below 4 GiB), making one with the same mapping if
// the entry is still a large page.
func splitLargePage(va uintptr) *[512]uint64 {
	pd := identity{}.Table(mm.PAddr(pvh.PageTables() + 0x2000 + uint64(va>>30)<<12))
	e := &pd[va>>21&511]
	if *e&mm.PTEHuge == 0 {
		return identity{}.Table(mm.PAddr(*e & mm.PTEAddrMask))
	}
	pt, ok := frames.Alloc()
	if !ok {
		fatal("no frame to split a large page of the image", nil)
	}
	t := identity{}.Table(pt)
	base := uint64(va) &^ (2<<20 - 1)
	for i := range t {
		t[i] = base + uint64(i)<<12 | mm.PTEPresent | mm.PTEWrite
	}
	*e = uint64(pt) | mm.PTEPresent | mm.PTEWrite
	invlpg(va)
	return t
}
