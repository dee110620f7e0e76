package mm

import (
	"sort"
	"testing"
)

// The fuzz target drives a Space with random operation sequences and checks
// it against a page-by-page model after every step.
//
// Each operation takes 4 bytes: op, where, length, prot/flags. Addresses
// fall in four clusters placed on page-table boundaries (the start of the
// window, a 2 MiB boundary, a 1 GiB boundary, the end of the window), so
// splits, merges and table reclaim all get exercised.

const (
	fuzzLo  = testLo
	fuzzHi  = testLo + 2<<30
	fuzzRAM = 2 << 20 // 512 frames: running out is part of the game
)

var fuzzClusters = [4]VAddr{
	fuzzLo,
	fuzzLo + 2<<20 - 32*PageSize,
	fuzzLo + 1<<30 - 32*PageSize,
	fuzzHi - 64*PageSize,
}

type model struct {
	prot map[VAddr]Prot   // mapped pages
	tag  map[VAddr]uint64 // last value written to word 0; absent = zero
	next uint64
}

func (m *model) covered(a, b VAddr) bool {
	for p := a; p < b; p += PageSize {
		if _, ok := m.prot[p]; !ok {
			return false
		}
	}
	return true
}

func (m *model) free(a, b VAddr) bool {
	for p := a; p < b; p += PageSize {
		if _, ok := m.prot[p]; ok {
			return false
		}
	}
	return true
}

func (m *model) set(a, b VAddr, prot Prot) {
	for p := a; p < b; p += PageSize {
		m.prot[p] = prot
		delete(m.tag, p)
	}
}

func (m *model) unmap(a, b VAddr) {
	for p := a; p < b; p += PageSize {
		delete(m.prot, p)
		delete(m.tag, p)
	}
}

// regions returns the maximal runs of equal protection.
func (m *model) regions() []Region {
	pages := make([]VAddr, 0, len(m.prot))
	for p := range m.prot {
		pages = append(pages, p)
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i] < pages[j] })
	var rs []Region
	for _, p := range pages {
		if n := len(rs); n > 0 && rs[n-1].End == p && rs[n-1].Prot == m.prot[p] {
			rs[n-1].End += PageSize
			continue
		}
		rs = append(rs, Region{p, p + PageSize, m.prot[p]})
	}
	return rs
}

func FuzzSpace(f *testing.F) {
	f.Add([]byte{})
	// mmap FIXED rw, touch, DONTNEED, touch, mprotect none, munmap.
	f.Add([]byte{1, 0x00, 8, 3, 5, 0x01, 0, 1, 4, 0x00, 8, 8, 5, 0x01, 0, 0, 3, 0x00, 4, 0, 2, 0x00, 8, 0})
	// Across the 2 MiB and 1 GiB boundaries, with splits.
	f.Add([]byte{1, 0x50, 63, 3, 6, 0x5c, 15, 3, 3, 0x60, 2, 1, 2, 0x62, 1, 0, 1, 0x5f, 3, 9, 6, 0x9e, 10, 3, 1, 0x9e, 20, 3})
	// Hinted and unhinted mmaps, exhaustion of frames.
	f.Add([]byte{0, 0xc0, 63, 11, 0, 0xc0, 63, 11, 0, 0x00, 0xff, 3, 6, 0x00, 0xff, 3, 6, 0x10, 0xff, 3, 6, 0x20, 0xff, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEnv(t, fuzzRAM, fuzzLo, fuzzHi)
		s := e.sp
		m := &model{prot: map[VAddr]Prot{}, tag: map[VAddr]uint64{}}
		for step := 0; len(data) >= 4 && step < 200; step++ {
			op, c, x, y := data[0]%7, data[1], data[2], data[3]
			data = data[4:]
			addr := fuzzClusters[c>>6] + VAddr(c&63)*PageSize
			npages := uint64(x%64) + 1
			if x >= 0xf0 {
				npages = 512 // a whole 2 MiB
			}
			size := npages * PageSize
			end := addr + VAddr(size)
			prot := Prot(y & 7)
			switch op {
			case 0: // mmap, hinted or not
				hint := VAddr(0)
				if y&8 != 0 {
					hint = addr
				}
				a, r := s.Mmap(hint, size, prot, anon)
				if r != 0 {
					t.Fatalf("step %d: Mmap(%#x, %d pages) = %s", step, hint, npages, ErrnoName(r))
				}
				if a < fuzzLo || a+VAddr(size) > fuzzHi || !m.free(a, a+VAddr(size)) {
					t.Fatalf("step %d: Mmap placed %#x over a mapping or outside the window", step, a)
				}
				if hint != 0 && end <= fuzzHi && m.free(hint, end) && a != hint {
					t.Fatalf("step %d: free hint %#x not honoured (got %#x)", step, hint, a)
				}
				m.set(a, a+VAddr(size), prot)
			case 1: // mmap FIXED or FIXED_NOREPLACE
				flags := uint32(anon | MAP_FIXED)
				if y&8 != 0 {
					flags = anon | MAP_FIXED_NOREPLACE
				}
				want := 0
				switch {
				case end > fuzzHi:
					want = ENOMEM
				case flags&MAP_FIXED_NOREPLACE != 0 && !m.free(addr, end):
					want = EEXIST
				}
				a, r := s.Mmap(addr, size, prot, flags)
				if r != want || (r == 0 && a != addr) {
					t.Fatalf("step %d: Mmap FIXED(%#x) = %#x, %s; want %s", step, addr, a, ErrnoName(r), ErrnoName(want))
				}
				if r == 0 {
					m.set(addr, end, prot)
				}
			case 2:
				want := 0
				if end > fuzzHi {
					want = EINVAL // reaches beyond the Space: not the program's to free
				}
				if r := s.Munmap(addr, size); r != want {
					t.Fatalf("step %d: Munmap = %s, want %s", step, ErrnoName(r), ErrnoName(want))
				}
				if want == 0 {
					m.unmap(addr, end)
				}
			case 3:
				want := 0
				if end > fuzzHi || !m.covered(addr, end) {
					want = ENOMEM
				}
				if r := s.Mprotect(addr, size, prot); r != want {
					t.Fatalf("step %d: Mprotect = %s, want %s", step, ErrnoName(r), ErrnoName(want))
				}
				if want == 0 {
					for p := addr; p < end; p += PageSize {
						m.prot[p] = prot
					}
				}
			case 4:
				advice := MADV_NOHUGEPAGE
				if y&8 != 0 {
					advice = MADV_DONTNEED
				}
				want := 0
				if end > fuzzHi || !m.covered(addr, end) {
					want = ENOMEM
				}
				if r := s.Madvise(addr, size, advice); r != want {
					t.Fatalf("step %d: Madvise = %s, want %s", step, ErrnoName(r), ErrnoName(want))
				}
				if advice == MADV_DONTNEED {
					for p := addr; p < end; p += PageSize {
						delete(m.tag, p)
					}
				}
			case 5, 6:
				// op 6 touches up to 16 pages, 128 KiB apart for a 2 MiB length.
				n, stride := uint64(1), VAddr(PageSize)
				if op == 6 {
					n = min(npages, 16)
				}
				if npages == 512 {
					stride = 32 * PageSize
				}
				for i := range n {
					if va := addr + VAddr(i)*stride; va < fuzzHi {
						fuzzTouch(t, e, m, step, va, y&1 != 0, y&2 != 0)
					}
				}
			}
			fuzzCheck(t, e, m, step)
		}
		if r := s.Munmap(fuzzLo, uint64(fuzzHi-fuzzLo)); r != 0 {
			t.Fatal(ErrnoName(r))
		}
		e.checkNoLeak(t)
		if e.countTables() != e.tables {
			t.Fatalf("%d tables left after unmapping everything, want %d", e.countTables(), e.tables)
		}
	})
}

// fuzzTouch accesses one page the way the program would: it faults if the
// CPU would, checks the contents against the model, and writes a new tag.
func fuzzTouch(t *testing.T, e *env, m *model, step int, va VAddr, write, spurious bool) {
	s := e.sp
	prot, mapped := m.prot[va]
	allowed := mapped && prot != ProtNone && (!write || prot&ProtWrite != 0)
	pte, present := s.PT.Lookup(va)
	needFault := !present || write && pte&PTEWrite == 0
	if needFault || spurious {
		want := 0
		if !allowed {
			want = EFAULT
		}
		r := s.Fault(va, write)
		if r == ENOMEM && allowed && e.fr.FreeCount() < 4 {
			return // out of frames: a legitimate answer
		}
		if r != want {
			t.Fatalf("step %d: Fault(%#x, write=%v) = %s, want %s (prot %d mapped %v)", step, va, write, ErrnoName(r), ErrnoName(want), prot, mapped)
		}
	}
	if !allowed {
		return
	}
	pte, present = s.PT.Lookup(va)
	if !present || write && pte&PTEWrite == 0 {
		t.Fatalf("step %d: after Fault, PTE %#x does not allow the access", step, pte)
	}
	p := e.phys.page(PAddr(pte & PTEAddrMask))
	want := m.tag[va]
	if p[0] != want || p[100] != 0 || p[511] != 0 {
		t.Fatalf("step %d: page %#x holds %#x/%#x/%#x, want %#x/0/0", step, va, p[0], p[100], p[511], want)
	}
	if write {
		m.next++
		p[0] = m.next
		m.tag[va] = m.next
	}
}

// fuzzCheck verifies the invariants against the model.
func fuzzCheck(t *testing.T, e *env, m *model, step int) {
	s := e.sp
	if e.phys.dirty {
		t.Fatalf("step %d: the operation changed the page table and did not Flush", step)
	}
	if want := e.countTables() - e.tables; e.phys.tables != want {
		t.Fatalf("step %d: %d tables handed over by NewTable/FreeTable, %d in the page table", step, e.phys.tables, want)
	}
	got, want := s.Regions(), m.regions()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i] == want[i]
	}
	if !same {
		t.Fatalf("step %d: regions\n%s\nwant %v", step, s.Format(make([]byte, 0, 8192)), want)
	}
	for i, r := range got {
		if r.Start >= r.End || r.Start < s.Lo || r.End > s.Hi || r.Start&pageMask != 0 || r.End&pageMask != 0 {
			t.Fatalf("step %d: bad region %v", step, r)
		}
		if i > 0 && (got[i-1].End > r.Start || got[i-1].End == r.Start && got[i-1].Prot == r.Prot) {
			t.Fatalf("step %d: regions %v and %v overlap or should have merged", step, got[i-1], r)
		}
	}
	var pages uint64
	e.leaves(func(va VAddr, pte uint64) {
		pages++
		prot, ok := m.prot[va]
		switch {
		case !ok:
			t.Fatalf("step %d: page %#x backed outside every region", step, va)
		case prot == ProtNone && (pte&PTEPresent != 0 || pte&pteHeld == 0):
			t.Fatalf("step %d: PROT_NONE page %#x has PTE %#x", step, va, pte)
		case prot != ProtNone && (pte&PTEPresent == 0 || (pte&PTEWrite != 0) != (prot&ProtWrite != 0)):
			t.Fatalf("step %d: page %#x prot %d has PTE %#x", step, va, prot, pte)
		}
		if tag, ok := m.tag[va]; ok && e.phys.page(PAddr(pte & PTEAddrMask))[0] != tag {
			t.Fatalf("step %d: page %#x lost its data", step, va)
		}
	})
	for va := range m.tag {
		if _, ok := s.PT.Lookup(va); !ok {
			if pte, _ := s.PT.Lookup(va); pte&pteHeld == 0 {
				t.Fatalf("step %d: written page %#x no longer backed", step, va)
			}
		}
	}
	if _, n := s.Stats(); n != pages {
		t.Fatalf("step %d: Stats says %d pages, tables hold %d", step, n, pages)
	}
	tables := uint64(e.countTables() - e.tables)
	if e.fr.FreeCount()+pages+tables != e.free0 {
		t.Fatalf("step %d: frames not conserved: %d free + %d pages + %d tables != %d", step, e.fr.FreeCount(), pages, tables, e.free0)
	}
	if e.fr.BadFrees() != 0 {
		t.Fatalf("step %d: %d bad frees", step, e.fr.BadFrees())
	}
}
