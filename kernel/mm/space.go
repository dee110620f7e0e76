package mm

// Prot is a mapping's protection, with Linux's PROT_* values.
// include/uapi/asm-generic/mman-common.h
type Prot uint8

const (
	ProtNone  Prot = 0x0
	ProtRead  Prot = 0x1
	ProtWrite Prot = 0x2
	ProtExec  Prot = 0x4
	protAll        = ProtRead | ProtWrite | ProtExec
)

// mmap flags. include/uapi/asm-generic/mman-common.h, include/uapi/linux/mman.h
const (
	MAP_SHARED          = 0x01
	MAP_PRIVATE         = 0x02
	MAP_SHARED_VALIDATE = 0x03
	MAP_TYPE            = 0x0f
	MAP_FIXED           = 0x10
	MAP_ANONYMOUS       = 0x20
	MAP_NORESERVE       = 0x4000
	MAP_HUGETLB         = 0x40000
	MAP_FIXED_NOREPLACE = 0x100000
)

// madvise advice values. include/uapi/asm-generic/mman-common.h
const (
	MADV_NORMAL          = 0
	MADV_DONTNEED        = 4
	MADV_FREE            = 8
	MADV_REMOVE          = 9
	MADV_HUGEPAGE        = 14
	MADV_NOHUGEPAGE      = 15
	MADV_DONTNEED_LOCKED = 24
	madvMax              = 25 // MADV_COLLAPSE, the highest Linux knows
)

// MaxRegions is the size of a Space's region table.
const MaxRegions = 1024

// Region is one mapping: [Start, End), page aligned, with one protection.
type Region struct {
	Start, End VAddr
	Prot       Prot
}

// Space is a program's address space: a sorted table of regions (what the
// program has mmapped) and the page table that backs them on demand.
//
// Everything lives in fixed arrays of integers, so a Space can be a global
// used from the syscall and page-fault paths without touching the Go heap.
// It does no locking: the caller serializes.
//
// Set PT, Lo and Hi before use. The kernel must keep its own mappings out of
// [Lo, Hi): page tables that cover only that range belong to the Space and
// are freed when they empty.
type Space struct {
	PT     PageTable
	Lo, Hi VAddr // mappings live in [Lo, Hi); Hi at most UserLimit
	User   bool  // set PTEUser in leaves (the program runs in ring 3)
	NX     bool  // set PTENoExec in leaves without ProtExec (needs EFER.NXE)

	regions [MaxRegions]Region // sorted, disjoint, never two adjacent with equal Prot
	n       int
	pages   uint64 // leaves holding a frame (present, or held under PROT_NONE)
}

// Regions returns the current regions, sorted. The slice aliases the
// Space's table: it is valid until the next change.
func (s *Space) Regions() []Region { return s.regions[:s.n] }

// Stats returns the number of regions and of pages holding a frame.
func (s *Space) Stats() (regions int, mappedPages uint64) { return s.n, s.pages }

func (s *Space) hi() VAddr {
	if s.Hi > UserLimit {
		return UserLimit
	}
	return s.Hi
}

// pageRound rounds length up to whole pages; ok is false on overflow.
func pageRound(length uint64) (uint64, bool) {
	r := (length + pageMask) &^ pageMask
	return r, r >= length
}

// search returns the index of the first region ending after va.
func (s *Space) search(va VAddr) int {
	lo, hi := 0, s.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		// kernel:nopanic lo <= m < hi <= s.n <= len(s.regions)
		if s.regions[m].End <= va {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the index of the region holding va, or -1.
func (s *Space) find(va VAddr) int {
	i := s.search(va)
	// kernel:nopanic i < s.n <= len(s.regions), checked first
	if i < s.n && s.regions[i].Start <= va {
		return i
	}
	return -1
}

// overlaps reports whether any region meets [a, b).
func (s *Space) overlaps(a, b VAddr) bool {
	i := s.search(a)
	// kernel:nopanic i < s.n <= len(s.regions), checked first
	return i < s.n && s.regions[i].Start < b
}

// covered reports whether regions cover [a, b) without holes.
func (s *Space) covered(a, b VAddr) bool {
	for i := s.search(a); a < b; i++ {
		// kernel:nopanic i < s.n <= len(s.regions), checked first
		if i >= s.n || s.regions[i].Start > a {
			return false
		}
		a = s.regions[i].End
	}
	return true
}

// replace makes [a, b) a single region with prot (fill) or a hole (!fill),
// splitting regions at a and b and merging equal neighbours. It checks the
// table has room before it changes anything: ENOMEM and no change if not.
func (s *Space) replace(a, b VAddr, prot Prot, fill bool) int {
	i := s.search(a) // first region ending after a
	j := i           // first region starting at or after b
	// kernel:nopanic j < s.n <= len(s.regions), checked first
	for j < s.n && s.regions[j].Start < b {
		j++
	}
	var mid [3]Region
	m := 0
	add := func(r Region) {
		// kernel:nopanic 0 < m <= 3 = len(mid): at most three regions are added
		if m > 0 && mid[m-1].End == r.Start && mid[m-1].Prot == r.Prot {
			mid[m-1].End = r.End
			return
		}
		// kernel:nopanic m < 3 = len(mid): at most three regions are added
		mid[m] = r
		m++
	}
	// kernel:nopanic i < j <= s.n <= len(s.regions)
	if i < j && s.regions[i].Start < a {
		add(Region{s.regions[i].Start, a, s.regions[i].Prot})
	}
	if fill {
		add(Region{a, b, prot})
	}
	// kernel:nopanic 0 <= i < j <= s.n <= len(s.regions)
	if i < j && s.regions[j-1].End > b {
		add(Region{b, s.regions[j-1].End, s.regions[j-1].Prot})
	}
	lo, hi := i, j
	// kernel:nopanic 0 < lo <= s.n and 0 < m <= len(mid)
	if m > 0 && lo > 0 && s.regions[lo-1].End == mid[0].Start && s.regions[lo-1].Prot == mid[0].Prot {
		mid[0].Start = s.regions[lo-1].Start
		lo--
	}
	// kernel:nopanic hi < s.n and 0 < m <= len(mid)
	if m > 0 && hi < s.n && mid[m-1].End == s.regions[hi].Start && mid[m-1].Prot == s.regions[hi].Prot {
		mid[m-1].End = s.regions[hi].End
		hi++
	}
	n := lo + m + s.n - hi
	if n > len(s.regions) {
		return ENOMEM
	}
	// kernel:nopanic lo+m+s.n-hi <= len(s.regions), checked above; hi <= s.n
	copy(s.regions[lo+m:], s.regions[hi:s.n])
	// kernel:nopanic lo+m <= len(s.regions), checked above; m <= len(mid)
	copy(s.regions[lo:], mid[:m])
	s.n = n
	return 0
}

// findGap returns the highest free range of size bytes in [Lo, Hi), the
// way Linux's top-down allocator places mappings without a usable hint.
func (s *Space) findGap(size uint64) (VAddr, bool) {
	top := s.hi()
	for k := s.n - 1; k >= -1; k-- {
		bottom := s.Lo
		if k >= 0 {
			// kernel:nopanic 0 <= k < s.n <= len(s.regions)
			bottom = s.regions[k].End
		}
		if top >= bottom && uint64(top-bottom) >= size {
			return top - VAddr(size), true
		}
		if k >= 0 {
			// kernel:nopanic 0 <= k < s.n <= len(s.regions)
			top = s.regions[k].Start
		}
	}
	return 0, false
}

func (s *Space) leafFlags(p Prot) uint64 {
	if p == ProtNone {
		return pteHeld
	}
	f := PTEPresent
	if p&ProtWrite != 0 {
		f |= PTEWrite
	}
	if s.User {
		f |= PTEUser
	}
	if s.NX && p&ProtExec == 0 {
		f |= PTENoExec
	}
	return f
}

// drop frees every page in [a, b) and the tables that empty with them.
func (s *Space) drop(a, b VAddr) {
	op := rangeOp{mode: opDrop, ownLo: s.Lo, ownHi: s.hi()}
	s.PT.walkRange(a, b, &op)
	s.pages -= op.pages
}

// protect rewrites the pages in [a, b) for prot, keeping their frames.
func (s *Space) protect(a, b VAddr, prot Prot) {
	op := rangeOp{mode: opProtect, flags: s.leafFlags(prot)}
	s.PT.walkRange(a, b, &op)
}

// Mmap creates an anonymous mapping and returns its address. No memory is
// touched: pages appear, zeroed, when Fault sees them first used.
//
// Without MAP_FIXED, addr is a hint, honoured when [addr, addr+length) is
// free and inside [Lo, Hi); otherwise the highest free range is used. With
// MAP_FIXED the mapping goes exactly at addr and replaces whatever was there
// (its pages are dropped); MAP_FIXED_NOREPLACE fails with EEXIST instead.
//
// Errors: EINVAL (unknown prot bits, neither MAP_PRIVATE nor MAP_SHARED,
// MAP_HUGETLB, zero length, unaligned fixed addr), ENODEV (not anonymous),
// ENOMEM (length overflows, no free range, fixed range above Hi, region
// table full), EPERM (fixed range below Lo), EEXIST (MAP_FIXED_NOREPLACE
// over a mapping).
func (s *Space) Mmap(addr VAddr, length uint64, prot Prot, flags uint32) (VAddr, int) {
	if prot&^protAll != 0 {
		return 0, EINVAL
	}
	switch flags & MAP_TYPE {
	case MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE:
		// One address space and no fork: shared and private behave alike.
	default:
		return 0, EINVAL
	}
	if flags&MAP_ANONYMOUS == 0 {
		return 0, ENODEV
	}
	if flags&MAP_HUGETLB != 0 || length == 0 {
		return 0, EINVAL
	}
	size, ok := pageRound(length)
	if !ok {
		return 0, ENOMEM
	}
	hi := s.hi()
	if flags&(MAP_FIXED|MAP_FIXED_NOREPLACE) != 0 {
		if addr&pageMask != 0 {
			return 0, EINVAL
		}
		end := addr + VAddr(size)
		if end < addr || end > hi {
			return 0, ENOMEM
		}
		if addr < s.Lo {
			return 0, EPERM
		}
		if flags&MAP_FIXED_NOREPLACE != 0 && s.overlaps(addr, end) {
			return 0, EEXIST
		}
		if e := s.replace(addr, end, prot, true); e != 0 {
			return 0, e
		}
		s.drop(addr, end)
		return addr, 0
	}
	a := (addr + pageMask) &^ pageMask
	end := a + VAddr(size)
	if addr == 0 || a < addr || a < s.Lo || end < a || end > hi || s.overlaps(a, end) {
		if a, ok = s.findGap(size); !ok {
			return 0, ENOMEM
		}
		end = a + VAddr(size)
	}
	// A free range holds no pages, so there is nothing to drop.
	if e := s.replace(a, end, prot, true); e != 0 {
		return 0, e
	}
	return a, 0
}

// Munmap removes the mappings in [addr, addr+length) and frees their pages.
// Holes inside [Lo, Hi) are fine, as on Linux. Memory outside [Lo, Hi) is
// not the Space's to free (the kernel's image and stacks live there):
// a range reaching outside is EINVAL, as Linux answers beyond TASK_SIZE.
// Errors: EINVAL (unaligned addr, zero length, range outside [Lo, Hi)),
// ENOMEM (a split needs a region slot and the table is full; nothing changed).
func (s *Space) Munmap(addr VAddr, length uint64) int {
	if addr&pageMask != 0 || length == 0 {
		return EINVAL
	}
	size, ok := pageRound(length)
	end := addr + VAddr(size)
	if !ok || end < addr || addr < s.Lo || end > s.hi() {
		return EINVAL
	}
	if e := s.replace(addr, end, 0, false); e != 0 {
		return e
	}
	s.drop(addr, end)
	return 0
}

// Mprotect changes the protection of [addr, addr+length). Pages keep their
// contents, even through PROT_NONE.
// Errors: EINVAL (unaligned addr, unknown prot bits), ENOMEM (length
// overflows, part of the range not mapped, region table full; nothing
// changed).
func (s *Space) Mprotect(addr VAddr, length uint64, prot Prot) int {
	if addr&pageMask != 0 || prot&^protAll != 0 {
		return EINVAL
	}
	if length == 0 {
		return 0
	}
	size, ok := pageRound(length)
	end := addr + VAddr(size)
	if !ok || end < addr || !s.covered(addr, end) {
		return ENOMEM
	}
	if e := s.replace(addr, end, prot, true); e != 0 {
		return e
	}
	s.protect(addr, end, prot)
	return 0
}

// Madvise acts on advice for [addr, addr+length). MADV_DONTNEED (and FREE,
// REMOVE, DONTNEED_LOCKED) drop the pages, so the next touch sees zeros: the
// Go runtime's scavenger relies on that. Other advice Linux knows is
// accepted and ignored.
// Errors: EINVAL (unaligned addr, length overflow, unknown advice), ENOMEM
// (part of the range not mapped; the mapped parts were still dropped).
func (s *Space) Madvise(addr VAddr, length uint64, advice int) int {
	if addr&pageMask != 0 || advice < 0 || advice > madvMax {
		return EINVAL
	}
	if length == 0 {
		return 0
	}
	size, ok := pageRound(length)
	end := addr + VAddr(size)
	if !ok || end < addr {
		return EINVAL
	}
	switch advice {
	case MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTNEED_LOCKED:
		// Pages exist only inside regions, so clipping to [Lo, Hi) is exact.
		if a, b := max(addr, s.Lo), min(end, s.hi()); a < b {
			s.drop(a, b)
		}
	}
	if !s.covered(addr, end) {
		return ENOMEM
	}
	return 0
}

// Fault resolves a page fault at va: the first touch of a page in an
// accessible region gets a fresh zeroed frame, mapped with the region's
// protection. It returns 0 when the program may retry the access, EFAULT
// for a real segmentation fault (no region, PROT_NONE, or a write to a
// region without ProtWrite), ENOMEM when no frame is left, or Map's errno.
func (s *Space) Fault(va VAddr, write bool) int {
	k := s.find(va)
	if k < 0 {
		return EFAULT
	}
	// kernel:nopanic find returns -1 (checked) or an index below s.n
	prot := s.regions[k].Prot
	if prot == ProtNone || write && prot&ProtWrite == 0 {
		return EFAULT
	}
	page := va &^ pageMask
	if pte, _ := s.PT.Lookup(page); pte != 0 {
		// Already backed: a stale TLB entry or a fault raced with another
		// CPU. Rewrite the entry for the region and let the access retry.
		if pte&PTEHuge != 0 {
			return EFAULT
		}
		s.protect(page, page+PageSize, prot)
		return 0
	}
	f, ok := s.PT.Frames.Alloc()
	if !ok {
		return ENOMEM
	}
	s.PT.Phys.Zero(f)
	if e := s.PT.Map(page, f, s.leafFlags(prot)); e != 0 {
		s.PT.Frames.Free(f)
		return e
	}
	s.pages++
	return 0
}

// Format appends one line per region to buf, like /proc/self/maps
// ("start-end rwx"), and a summary line. It never grows buf beyond its
// capacity (and so never allocates): output that does not fit is cut.
func (s *Space) Format(buf []byte) []byte {
	for i := 0; i < s.n; i++ {
		r := s.regions[i]
		buf = appendHex(buf, uint64(r.Start))
		buf = appendStr(buf, "-")
		buf = appendHex(buf, uint64(r.End))
		var p [4]byte
		p[0], p[1], p[2], p[3] = '-', '-', '-', '\n'
		if r.Prot&ProtRead != 0 {
			p[0] = 'r'
		}
		if r.Prot&ProtWrite != 0 {
			p[1] = 'w'
		}
		if r.Prot&ProtExec != 0 {
			p[2] = 'x'
		}
		buf = appendStr(buf, " ")
		for _, c := range p {
			buf = appendByte(buf, c)
		}
	}
	buf = appendDec(buf, uint64(s.n))
	buf = appendStr(buf, " regions, ")
	buf = appendDec(buf, s.pages)
	buf = appendStr(buf, " pages\n")
	return buf
}

func appendByte(b []byte, c byte) []byte {
	if n := len(b); n < cap(b) {
		b = b[:n+1] // reslice, not append: never a chance of growing
		b[n] = c
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = appendByte(b, s[i])
	}
	return b
}

func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for sh := 60; sh >= 0; sh -= 4 {
		b = appendByte(b, digits[v>>uint(sh)&15])
	}
	return b
}

func appendDec(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for ; i < len(d); i++ {
		b = appendByte(b, d[i])
	}
	return b
}
