package mm

import (
	"strings"
	"testing"
)

const anon = MAP_PRIVATE | MAP_ANONYMOUS

func mustMmap(t *testing.T, s *Space, addr VAddr, length uint64, prot Prot, flags uint32) VAddr {
	t.Helper()
	a, r := s.Mmap(addr, length, prot, flags)
	if r != 0 {
		t.Fatalf("Mmap(%#x, %#x, %d, %#x) = %s", addr, length, prot, flags, ErrnoName(r))
	}
	if a&pageMask != 0 || a < s.Lo || a+VAddr(length) > s.Hi {
		t.Fatalf("Mmap returned %#x, outside [%#x, %#x) or unaligned", a, s.Lo, s.Hi)
	}
	return a
}

func checkRegions(t *testing.T, s *Space, want ...Region) {
	t.Helper()
	got := s.Regions()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i] == want[i]
	}
	if !ok {
		t.Fatalf("regions:\n%s\nwant %v", s.Format(make([]byte, 0, 4096)), want)
	}
}

// TestGoRuntimePattern replays what a Go 1.26 hello asks for: PROT_NONE
// reservations, a hinted heap arena, RW commits inside them, first touches,
// scavenging with MADV_DONTNEED, and unmapping it all.
func TestGoRuntimePattern(t *testing.T) {
	e := newEnv(t, 16<<20, testLo, testHi)
	s := e.sp
	const M = 1 << 20

	// Page-summary levels and the scavenge index: 1.16 GiB of address space.
	var res []VAddr
	var sizes = []uint64{128 << 10, 1 * M, 8 * M, 64 * M, 512 * M, 512 * M}
	for _, n := range sizes {
		res = append(res, mustMmap(t, s, 0, n, ProtNone, anon))
	}
	for i := range res {
		for j := range res {
			if i != j && res[i] < res[j]+VAddr(sizes[j]) && res[j] < res[i]+VAddr(sizes[i]) {
				t.Fatalf("reservations %d and %d overlap", i, j)
			}
		}
	}

	// The heap arena at a random hint below 2^47: honoured when free.
	hint := VAddr(0x2b4c_0000_0000)
	arena := mustMmap(t, s, hint, 64*M, ProtNone, anon)
	if arena != hint {
		t.Fatalf("free hint %#x not honoured: got %#x", hint, arena)
	}
	// A hint that is taken gets another address, like Linux.
	other := mustMmap(t, s, hint+32*M, 64*M, ProtNone, anon)
	if other == hint+32*M || (other < arena+64*M && arena < other+64*M) {
		t.Fatalf("busy hint: got %#x, overlapping the arena at %#x", other, arena)
	}
	if r := s.Munmap(other, 64*M); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	// Top-down placement packs the reservations together and equal
	// neighbours merge, as Linux merges VMAs: one block, and the arena.
	if n, _ := s.Stats(); n != 2 {
		t.Fatalf("%d regions, want 2 (the merged reservations, the arena)", n)
	}
	t.Logf("after reserving:\n%s", s.Format(make([]byte, 0, 2048)))

	// Commits: the runtime maps RW FIXED over parts of its reservations.
	if a := mustMmap(t, s, arena, 4*M, ProtRead|ProtWrite, anon|MAP_FIXED); a != arena {
		t.Fatalf("FIXED returned %#x, want %#x", a, arena)
	}
	idx := res[4] + 256*M
	mustMmap(t, s, idx, 64<<10, ProtRead|ProtWrite, anon|MAP_FIXED)
	if n, _ := s.Stats(); n != 5 {
		t.Fatalf("%d regions after commits, want 5 (arena split in 2, reservations in 3)", n)
	}
	// A plain RW allocation (the runtime's persistentalloc chunks).
	chunk := mustMmap(t, s, 0, 256<<10, ProtRead|ProtWrite, anon)

	// Nothing is touched yet: demand-zero.
	free := e.fr.FreeCount()
	if _, pages := s.Stats(); pages != 0 {
		t.Fatalf("%d pages backed before any touch", pages)
	}
	// First touches: zeroed frames, then the program writes.
	touched := []VAddr{arena, arena + 5*PageSize, arena + 4*M - PageSize, idx + 60<<10, chunk, chunk + 128<<10}
	for i, va := range touched {
		p := e.touch(t, va+12, i%2 == 0)
		if !isZero(p) {
			t.Fatalf("fresh page at %#x not zeroed", va)
		}
		for k := range p {
			p[k] = uint64(va) + uint64(k)
		}
	}
	if _, pages := s.Stats(); pages != uint64(len(touched)) {
		t.Fatalf("%d pages backed, want %d", pages, len(touched))
	}
	used := free - e.fr.FreeCount()
	t.Logf("%d touches used %d frames (leaves + tables)", len(touched), used)
	// One frame per page, plus one table per distinct 2 MiB, 1 GiB and
	// 512 GiB slot touched.
	slots := map[[2]VAddr]bool{}
	for _, va := range touched {
		for _, sh := range []uint{21, 30, 39} {
			slots[[2]VAddr{VAddr(sh), va >> sh}] = true
		}
	}
	if want := uint64(len(touched) + len(slots)); used != want {
		t.Fatalf("frames used = %d, want %d", used, want)
	}
	// Data stays.
	if p := e.touch(t, arena+5*PageSize, false); p[7] != uint64(arena+5*PageSize)+7 {
		t.Fatal("written data lost")
	}

	// The scavenger: MADV_DONTNEED must give zeros on the next touch.
	if r := s.Madvise(arena, 1*M, MADV_DONTNEED); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if e.frame(arena) != nil || e.frame(arena+5*PageSize) != nil {
		t.Fatal("DONTNEED left pages mapped")
	}
	if _, pages := s.Stats(); pages != uint64(len(touched))-2 {
		t.Fatalf("%d pages after DONTNEED, want %d", pages, len(touched)-2)
	}
	if p := e.touch(t, arena+5*PageSize, true); !isZero(p) {
		t.Fatal("page after DONTNEED not zero")
	}
	// Pages outside the advised range keep their data.
	if p := e.touch(t, arena+4*M-PageSize, false); p[0] != uint64(arena+4*M-PageSize) {
		t.Fatal("DONTNEED dropped a page outside its range")
	}
	// NOHUGEPAGE: accepted, nothing happens.
	if r := s.Madvise(arena, 64*M, MADV_NOHUGEPAGE); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if p := e.frame(arena + 4*M - PageSize); p == nil || p[0] != uint64(arena+4*M-PageSize) {
		t.Fatal("NOHUGEPAGE changed memory")
	}

	// The runtime's sysFault/sysFree: FIXED PROT_NONE over committed pages
	// drops them.
	mustMmap(t, s, chunk, 256<<10, ProtNone, anon|MAP_FIXED)
	if e.frame(chunk) != nil {
		t.Fatal("FIXED over committed memory kept the page")
	}
	if r := s.Fault(chunk, false); r != EFAULT {
		t.Fatalf("Fault in PROT_NONE = %s, want EFAULT", ErrnoName(r))
	}

	// Unmap everything: every frame, tables included, comes back.
	for i, a := range res {
		if r := s.Munmap(a, sizes[i]); r != 0 {
			t.Fatal(ErrnoName(r))
		}
	}
	for _, a := range []VAddr{arena, chunk} {
		if r := s.Munmap(a, 64*M); r != 0 {
			t.Fatal(ErrnoName(r))
		}
	}
	e.checkNoLeak(t)
	if e.countTables() != e.tables {
		t.Fatalf("%d tables left, want the kernel's %d", e.countTables(), e.tables)
	}
	if pte, ok := s.PT.Lookup(0x20_0000); !ok || pte&PTEHuge == 0 {
		t.Fatal("the kernel's identity map was damaged")
	}
}

func TestSplitsAndMerges(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testHi)
	s := e.sp
	rw, ro := ProtRead|ProtWrite, ProtRead
	a := mustMmap(t, s, testLo, 10*PageSize, rw, anon|MAP_FIXED)
	pg := func(n int) VAddr { return a + VAddr(n)*PageSize }
	checkRegions(t, s, Region{pg(0), pg(10), rw})

	// Touch every page and tag it.
	for i := range 10 {
		e.touch(t, pg(i), true)[0] = uint64(i) + 1
	}
	// mprotect the middle: three regions, data kept, PTEs read-only.
	if r := s.Mprotect(pg(3), 2*PageSize, ro); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	checkRegions(t, s, Region{pg(0), pg(3), rw}, Region{pg(3), pg(5), ro}, Region{pg(5), pg(10), rw})
	if pte, _ := s.PT.Lookup(pg(3)); pte&PTEWrite != 0 || pte&PTEPresent == 0 {
		t.Fatalf("read-only page PTE = %#x", pte)
	}
	if r := s.Fault(pg(3), true); r != EFAULT {
		t.Fatalf("write fault on read-only = %s, want EFAULT", ErrnoName(r))
	}
	if r := s.Fault(pg(3), false); r != 0 {
		t.Fatalf("spurious read fault = %s, want 0", ErrnoName(r))
	}
	// PROT_NONE keeps the frame, hidden; back to RW brings it back.
	if r := s.Mprotect(pg(3), 2*PageSize, ProtNone); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if pte, ok := s.PT.Lookup(pg(4)); ok || pte&pteHeld == 0 {
		t.Fatalf("PROT_NONE page PTE = %#x present=%v", pte, ok)
	}
	if r := s.Fault(pg(4), false); r != EFAULT {
		t.Fatalf("Fault in PROT_NONE = %s", ErrnoName(r))
	}
	if _, pages := s.Stats(); pages != 10 {
		t.Fatalf("pages = %d, want 10 (PROT_NONE pages keep their frames)", pages)
	}
	if r := s.Mprotect(pg(3), 2*PageSize, rw); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	checkRegions(t, s, Region{pg(0), pg(10), rw})
	if p := e.frame(pg(4)); p == nil || p[0] != 5 {
		t.Fatal("contents lost across PROT_NONE")
	}

	// munmap the middle: two regions; FIXED into the hole: one again.
	if r := s.Munmap(pg(4), 2*PageSize); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	checkRegions(t, s, Region{pg(0), pg(4), rw}, Region{pg(6), pg(10), rw})
	mustMmap(t, s, pg(4), 2*PageSize, rw, anon|MAP_FIXED)
	checkRegions(t, s, Region{pg(0), pg(10), rw})
	if !isZero(e.touch(t, pg(4), false)) {
		t.Fatal("page remapped into the hole not zero")
	}
	// FIXED with a new prot across a boundary splits; FIXED same prot merges.
	mustMmap(t, s, pg(8), 4*PageSize, ro, anon|MAP_FIXED)
	checkRegions(t, s, Region{pg(0), pg(8), rw}, Region{pg(8), pg(12), ro})
	if e.frame(pg(9)) != nil {
		t.Fatal("FIXED kept an old page")
	}
	if p := e.frame(pg(7)); p == nil || p[0] != 8 {
		t.Fatal("FIXED dropped a page before its range")
	}
	// A new mapping adjacent on both sides with equal prot merges all three.
	mustMmap(t, s, pg(14), 2*PageSize, rw, anon|MAP_FIXED)
	mustMmap(t, s, pg(12), 2*PageSize, ro, anon|MAP_FIXED)
	checkRegions(t, s, Region{pg(0), pg(8), rw}, Region{pg(8), pg(14), ro}, Region{pg(14), pg(16), rw})
	if r := s.Mprotect(pg(8), 6*PageSize, rw); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	checkRegions(t, s, Region{pg(0), pg(16), rw})
	// munmap across several regions and holes, then all of it.
	if r := s.Munmap(pg(0), 20*PageSize); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	e.checkNoLeak(t)
}

func TestMmapHints(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testLo+1<<30)
	s := e.sp
	// Without a hint: top-down from Hi.
	if a := mustMmap(t, s, 0, PageSize, ProtRead, anon); a != s.Hi-PageSize {
		t.Fatalf("first mapping at %#x, want %#x", a, s.Hi-PageSize)
	}
	// An unaligned free hint is rounded up.
	if a := mustMmap(t, s, testLo+0x10_0123, PageSize, ProtRead, anon); a != testLo+0x10_1000 {
		t.Fatalf("unaligned hint gave %#x", a)
	}
	// Hints outside [Lo, Hi) are ignored.
	for _, h := range []VAddr{0x40_0000, testLo - PageSize, s.Hi - PageSize, 1 << 47, ^VAddr(0) - 10} {
		if a := mustMmap(t, s, h, 2*PageSize, ProtRead, anon); a == h {
			t.Fatalf("hint %#x outside [Lo, Hi) honoured", h)
		}
	}
	// NOREPLACE at a free address works like FIXED; over a mapping it fails.
	if a := mustMmap(t, s, testLo, PageSize, ProtRead, anon|MAP_FIXED_NOREPLACE); a != testLo {
		t.Fatalf("NOREPLACE gave %#x", a)
	}
	e.touch(t, testLo, false)
	before := s.Regions()[0]
	for _, f := range []uint32{MAP_FIXED_NOREPLACE, MAP_FIXED | MAP_FIXED_NOREPLACE} {
		if _, r := s.Mmap(testLo, 2*PageSize, ProtRead|ProtWrite, anon|f); r != EEXIST {
			t.Fatalf("NOREPLACE over a mapping = %s, want EEXIST", ErrnoName(r))
		} else {
			t.Logf("NOREPLACE over a mapping: %s", ErrnoName(r))
		}
	}
	if s.Regions()[0] != before || e.frame(testLo) == nil {
		t.Fatal("failed NOREPLACE changed the mapping")
	}
	// VA exhausted.
	if _, r := s.Mmap(0, 1<<30, ProtRead, anon); r != ENOMEM {
		t.Fatalf("Mmap larger than any gap = %s, want ENOMEM", ErrnoName(r))
	}
	if r := s.Munmap(s.Lo, uint64(s.Hi-s.Lo)); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	e.checkNoLeak(t)
	// Now the whole window fits exactly.
	if a := mustMmap(t, s, 0, 1<<30, ProtRead, anon); a != testLo {
		t.Fatalf("whole-window mapping at %#x", a)
	}
}

func TestMmapErrors(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testLo+1<<30)
	s := e.sp
	for _, tc := range []struct {
		name   string
		addr   VAddr
		length uint64
		prot   Prot
		flags  uint32
		want   int
	}{
		{"unknown prot bit", 0, PageSize, 8, anon, EINVAL},
		{"neither private nor shared", 0, PageSize, ProtRead, MAP_ANONYMOUS, EINVAL},
		{"bad map type", 0, PageSize, ProtRead, 0x4 | MAP_ANONYMOUS, EINVAL},
		{"file mapping", 0, PageSize, ProtRead, MAP_PRIVATE, ENODEV},
		{"hugetlb", 0, PageSize, ProtRead, anon | MAP_HUGETLB, EINVAL},
		{"zero length", 0, 0, ProtRead, anon, EINVAL},
		{"length overflows when rounded", 0, ^uint64(0), ProtRead, anon, ENOMEM},
		{"unaligned FIXED", testLo + 1, PageSize, ProtRead, anon | MAP_FIXED, EINVAL},
		{"unaligned NOREPLACE", testLo + 1, PageSize, ProtRead, anon | MAP_FIXED_NOREPLACE, EINVAL},
		{"FIXED beyond Hi", testLo + 1<<30 - PageSize, 2 * PageSize, ProtRead, anon | MAP_FIXED, ENOMEM},
		{"FIXED wraps around", ^VAddr(0) &^ pageMask, 2 * PageSize, ProtRead, anon | MAP_FIXED, ENOMEM},
		{"FIXED below Lo", testLo - PageSize, PageSize, ProtRead, anon | MAP_FIXED, EPERM},
		{"no room", 0, 2 << 30, ProtRead, anon, ENOMEM},
	} {
		a, r := s.Mmap(tc.addr, tc.length, tc.prot, tc.flags)
		if r != tc.want || a != 0 {
			t.Errorf("Mmap [%s] = %#x, %s; want %s", tc.name, a, ErrnoName(r), ErrnoName(tc.want))
		} else {
			t.Logf("Mmap [%s]: %s", tc.name, ErrnoName(r))
		}
	}
	if n, _ := s.Stats(); n != 0 {
		t.Fatalf("failed Mmaps left %d regions", n)
	}
	// MAP_SHARED anonymous and the harmless flags are accepted.
	mustMmap(t, s, 0, PageSize, ProtRead, MAP_SHARED|MAP_ANONYMOUS|MAP_NORESERVE)
	mustMmap(t, s, 0, PageSize, ProtRead, MAP_SHARED_VALIDATE|MAP_ANONYMOUS)
	// An empty window.
	s2 := &Space{PT: s.PT, Lo: testLo, Hi: testLo}
	if _, r := s2.Mmap(0, PageSize, ProtRead, anon); r != ENOMEM {
		t.Fatalf("Mmap in an empty window = %s", ErrnoName(r))
	}
}

func TestMunmapMprotectMadviseErrors(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testLo+1<<30)
	s := e.sp
	a := mustMmap(t, s, testLo+16*PageSize, 4*PageSize, ProtRead|ProtWrite, anon|MAP_FIXED)
	e.touch(t, a, true)[0] = 42

	check := func(name string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %s, want %s", name, ErrnoName(got), ErrnoName(want))
		} else {
			t.Logf("%s: %s", name, ErrnoName(got))
		}
	}
	check("Munmap unaligned", s.Munmap(a+1, PageSize), EINVAL)
	check("Munmap zero length", s.Munmap(a, 0), EINVAL)
	check("Munmap length overflows", s.Munmap(a, ^uint64(0)), EINVAL)
	check("Munmap beyond UserLimit", s.Munmap(UserLimit-PageSize, 2*PageSize), EINVAL)
	check("Munmap below Lo (not the Space's)", s.Munmap(0x1000, PageSize), EINVAL)
	check("Munmap of a hole", s.Munmap(a+64*PageSize, PageSize), 0)

	check("Mprotect unaligned", s.Mprotect(a+1, PageSize, ProtRead), EINVAL)
	check("Mprotect bad prot", s.Mprotect(a, PageSize, 0x10), EINVAL)
	check("Mprotect zero length", s.Mprotect(a, 0, ProtRead), 0)
	check("Mprotect length overflows", s.Mprotect(a, ^uint64(0), ProtRead), ENOMEM)
	check("Mprotect over a hole", s.Mprotect(a, 5*PageSize, ProtRead), ENOMEM)
	check("Mprotect wraps", s.Mprotect(^VAddr(0)&^pageMask, 2*PageSize, ProtRead), ENOMEM)

	check("Madvise unaligned", s.Madvise(a+1, PageSize, MADV_DONTNEED), EINVAL)
	check("Madvise unknown advice", s.Madvise(a, PageSize, 99), EINVAL)
	check("Madvise negative advice", s.Madvise(a, PageSize, -1), EINVAL)
	check("Madvise zero length", s.Madvise(a, 0, MADV_DONTNEED), 0)
	check("Madvise length overflows", s.Madvise(a, ^uint64(0), MADV_DONTNEED), EINVAL)
	check("Madvise wraps", s.Madvise(^VAddr(0)&^pageMask, 2*PageSize, MADV_DONTNEED), EINVAL)
	check("Madvise NOHUGEPAGE over a hole", s.Madvise(a+64*PageSize, PageSize, MADV_NOHUGEPAGE), ENOMEM)
	check("Madvise NORMAL", s.Madvise(a, PageSize, MADV_NORMAL), 0)
	check("Madvise HUGEPAGE", s.Madvise(a, PageSize, MADV_HUGEPAGE), 0)
	if p := e.frame(a); p == nil || p[0] != 42 {
		t.Fatal("no-op advice changed memory")
	}
	// DONTNEED over a hole still drops what is mapped, then reports ENOMEM.
	check("Madvise DONTNEED over a hole", s.Madvise(a-PageSize, 2*PageSize, MADV_DONTNEED), ENOMEM)
	if e.frame(a) != nil {
		t.Fatal("DONTNEED over a hole kept the mapped page")
	}
	for _, adv := range []int{MADV_FREE, MADV_REMOVE, MADV_DONTNEED_LOCKED} {
		e.touch(t, a, true)[0] = 7
		check("Madvise dropping advice", s.Madvise(a, PageSize, adv), 0)
		if !isZero(e.touch(t, a, false)) {
			t.Fatalf("advice %d did not zero", adv)
		}
	}
	if r := s.Munmap(a, 4*PageSize); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	e.checkNoLeak(t)
}

func TestFaultErrors(t *testing.T) {
	e := newEnv(t, 256<<10, testLo, testHi) // 64 frames
	s := e.sp
	if r := s.Fault(testLo, false); r != EFAULT {
		t.Fatalf("Fault outside any region = %s, want EFAULT", ErrnoName(r))
	}
	ro := mustMmap(t, s, testLo, PageSize, ProtRead, anon|MAP_FIXED)
	if r := s.Fault(ro, true); r != EFAULT {
		t.Fatalf("write Fault on read-only = %s, want EFAULT", ErrnoName(r))
	}
	if r := s.Fault(ro, false); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if pte, _ := s.PT.Lookup(ro); pte&(PTEWrite|PTEUser|PTENoExec) != 0 {
		t.Fatalf("read-only PTE = %#x", pte)
	}
	// Leaf flags follow User and NX.
	s.User, s.NX = true, true
	x := mustMmap(t, s, testLo+PageSize, 2*PageSize, ProtRead|ProtExec, anon|MAP_FIXED)
	e.touch(t, x, false)
	if pte, _ := s.PT.Lookup(x); pte&PTEUser == 0 || pte&PTENoExec != 0 {
		t.Fatalf("exec PTE = %#x", pte)
	}
	if r := s.Mprotect(x, PageSize, ProtRead|ProtWrite); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if pte, _ := s.PT.Lookup(x); pte&PTENoExec == 0 || pte&PTEWrite == 0 {
		t.Fatalf("RW PTE with NX = %#x", pte)
	}

	// Out of frames for the leaf.
	big := mustMmap(t, s, 0, 1<<20, ProtRead|ProtWrite, anon)
	var n int
	for ; ; n++ {
		if r := s.Fault(big+VAddr(n)*PageSize, true); r != 0 {
			if r != ENOMEM {
				t.Fatalf("Fault when memory runs out = %s, want ENOMEM", ErrnoName(r))
			}
			t.Logf("after %d pages: %s", n, ErrnoName(r))
			break
		}
	}
	if e.fr.FreeCount() != 0 {
		t.Fatalf("ENOMEM with %d frames free", e.fr.FreeCount())
	}
	// Out of frames for a table: free one leaf and fault in a new 2 MiB.
	far := mustMmap(t, s, testLo+1<<30, PageSize, ProtRead|ProtWrite, anon|MAP_FIXED)
	if r := s.Madvise(big, PageSize, MADV_DONTNEED); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if r := s.Fault(far, true); r != ENOMEM {
		t.Fatalf("Fault needing a table with one frame left = %s, want ENOMEM", ErrnoName(r))
	}
	if e.fr.FreeCount() != 1 || e.fr.BadFrees() != 0 {
		t.Fatalf("failed Fault leaked: free %d bad %d", e.fr.FreeCount(), e.fr.BadFrees())
	}
	if r := s.Munmap(testLo, uint64(testHi-testLo)); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	e.checkNoLeak(t)
	if e.countTables() != e.tables {
		t.Fatalf("%d tables left after munmap, want %d", e.countTables(), e.tables)
	}
}

func TestRegionTableFull(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testHi)
	s := e.sp
	rw, ro := ProtRead|ProtWrite, ProtRead
	// MaxRegions regions of 3 pages, alternating protection.
	for i := range MaxRegions {
		p := rw
		if i%2 == 1 {
			p = ro
		}
		mustMmap(t, s, testLo+VAddr(3*i)*PageSize, 3*PageSize, p, anon|MAP_FIXED)
	}
	if n, _ := s.Stats(); n != MaxRegions {
		t.Fatalf("%d regions, want %d", n, MaxRegions)
	}
	mid := testLo + PageSize // the middle page of region 0 (rw)
	e.touch(t, mid, true)[0] = 99
	var snap [MaxRegions]Region
	copy(snap[:], s.Regions())

	if _, r := s.Mmap(0, PageSize, rw, anon); r != ENOMEM {
		t.Errorf("Mmap with a full table = %s, want ENOMEM", ErrnoName(r))
	}
	if _, r := s.Mmap(mid, PageSize, ro, anon|MAP_FIXED); r != ENOMEM {
		t.Errorf("FIXED split with a full table = %s, want ENOMEM", ErrnoName(r))
	}
	if r := s.Munmap(mid, PageSize); r != ENOMEM {
		t.Errorf("Munmap split with a full table = %s, want ENOMEM", ErrnoName(r))
	}
	if r := s.Mprotect(mid, PageSize, ro); r != ENOMEM {
		t.Errorf("Mprotect split with a full table = %s, want ENOMEM", ErrnoName(r))
	}
	if [MaxRegions]Region(s.Regions()) != snap {
		t.Fatal("failed operations changed the region table")
	}
	if p := e.frame(mid); p == nil || p[0] != 99 {
		t.Fatal("failed FIXED dropped the page")
	}
	// What needs no new slot still works: FIXED with the same prot, changes
	// at region edges, and merges.
	if a, r := s.Mmap(mid, PageSize, rw, anon|MAP_FIXED); r != 0 || a != mid {
		t.Fatalf("FIXED same prot with a full table = %s", ErrnoName(r))
	}
	if r := s.Mprotect(testLo+2*PageSize, PageSize, ro); r != 0 {
		t.Fatalf("Mprotect at an edge with a full table = %s", ErrnoName(r))
	}
	// Now [0,2) rw, [2,6) ro, [6,9) rw: making [2,6) rw merges all three.
	if r := s.Mprotect(testLo+2*PageSize, 4*PageSize, rw); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if n, _ := s.Stats(); n != MaxRegions-2 {
		t.Fatalf("%d regions after merge, want %d", n, MaxRegions-2)
	}
	if r := s.Munmap(testLo, uint64(3*MaxRegions)*PageSize); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	e.checkNoLeak(t)
}

func TestFormat(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testHi)
	s := e.sp
	mustMmap(t, s, testLo, PageSize, ProtRead|ProtWrite|ProtExec, anon|MAP_FIXED)
	mustMmap(t, s, testLo+2*PageSize, PageSize, ProtNone, anon|MAP_FIXED)
	e.touch(t, testLo, true)
	got := string(s.Format(make([]byte, 0, 256)))
	want := "0000001000000000-0000001000001000 rwx\n" +
		"0000001000002000-0000001000003000 ---\n" +
		"2 regions, 1 pages\n"
	if got != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", got, want)
	}
	// A short buffer is filled, never grown.
	buf := make([]byte, 3, 10)
	out := s.Format(buf)
	if len(out) != 10 || cap(out) != 10 || &out[0] != &buf[0] || string(out[3:]) != want[:7] {
		t.Fatalf("Format into a short buffer = %q", out)
	}
	if !strings.HasPrefix(string(s.Format(nil)), "") || len(s.Format(nil)) != 0 {
		t.Fatal("Format(nil) wrote")
	}
	if ErrnoName(0) != "ok" || ErrnoName(1234) != "errno?" || ErrnoName(EBUSY) != "EBUSY" || ErrnoName(ENODEV) != "ENODEV" || ErrnoName(EPERM) != "EPERM" {
		t.Fatal("ErrnoName")
	}
}
