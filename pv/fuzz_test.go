package pv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goxen/goxen/kernel/mm"
)

// FuzzPVSpace runs random operation sequences on a Space through
// PageTables and the simulated Xen, and checks after every step what only
// a PV backend can get wrong: Xen refused nothing, the TLB holds no
// translation the tables do not, every leaf mm sees maps the machine frame
// the P2M gives, every frame is accounted for, and free frames are plain
// writable pages. (Package mm's FuzzSpace checks the contents against a
// model; its corpus seeds this target too, with the same 4-byte encoding:
// op, where, length, prot/flags.)
func FuzzPVSpace(f *testing.F) {
	f.Add([]byte{1, 0x00, 8, 3, 5, 0x01, 0, 1, 4, 0x00, 8, 8, 5, 0x01, 0, 0, 3, 0x00, 4, 0, 2, 0x00, 8, 0})
	f.Add([]byte{1, 0x50, 63, 3, 6, 0x5c, 15, 3, 3, 0x60, 2, 1, 2, 0x62, 1, 0, 1, 0x5f, 3, 9, 6, 0x9e, 10, 3, 1, 0x9e, 20, 3})
	corpus, _ := filepath.Glob("../kernel/mm/testdata/fuzz/FuzzSpace/*")
	for _, name := range corpus {
		if b, ok := readCorpusBytes(name); ok {
			f.Add(b)
		}
	}
	if len(corpus) == 0 {
		f.Fatal("package mm's FuzzSpace corpus is gone: seed this target another way")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newPVEnv(nil)
		s := e.sp
		clusters := [4]mm.VAddr{spaceLo, spaceLo + 2<<20 - 32*mm.PageSize, spaceLo + 1<<30 - 32*mm.PageSize, spaceLo + 2<<30 - 64*mm.PageSize}
		for step := 0; len(data) >= 4 && step < 200; step++ {
			op, c, x, y := data[0]%7, data[1], data[2], data[3]
			data = data[4:]
			addr := clusters[c>>6] + mm.VAddr(c&63)*mm.PageSize
			npages := uint64(x%64) + 1
			if x >= 0xf0 {
				npages = 512
			}
			size := npages * mm.PageSize
			prot := mm.Prot(y & 7)
			switch op {
			case 0:
				hint := mm.VAddr(0)
				if y&8 != 0 {
					hint = addr
				}
				s.Mmap(hint, size, prot, anon)
			case 1:
				s.Mmap(addr, size, prot, anon|mm.MAP_FIXED)
			case 2:
				s.Munmap(addr, size)
			case 3:
				s.Mprotect(addr, size, prot)
			case 4:
				s.Madvise(addr, size, mm.MADV_DONTNEED)
			case 5, 6:
				n, stride := uint64(1), mm.VAddr(mm.PageSize)
				if op == 6 {
					n = min(npages, 16)
				}
				if npages == 512 {
					stride = 32 * mm.PageSize
				}
				for i := range n {
					va := addr + mm.VAddr(i)*stride
					if _, r := e.access(va, y&1 != 0, uint64(va)); r < 0 {
						t.Fatalf("step %d: access %#x: Fault said retry, the MMU faulted again", step, va)
					}
				}
			}
			e.checkPV(t, step)
		}
		s.Munmap(spaceLo, uint64(spaceHi-spaceLo))
		e.checkPV(t, -1)
		if got := e.fr.FreeCount(); got != e.free0 {
			t.Fatalf("after unmapping everything %d frames free, want %d", got, e.free0)
		}
	})
}

// readCorpusBytes decodes a "go test fuzz v1" file holding one []byte.
func readCorpusBytes(name string) ([]byte, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, false
	}
	q, ok := strings.CutPrefix(lines[1], "[]byte(")
	q, ok2 := strings.CutSuffix(q, ")")
	if !ok || !ok2 {
		return nil, false
	}
	v, err := strconv.Unquote(q)
	return []byte(v), err == nil
}

// checkPV checks the invariants FuzzPVSpace promises.
func (e *pvEnv) checkPV(t *testing.T, step int) {
	t.Helper()
	s := e.sim
	if len(s.problems) > 0 {
		t.Fatalf("step %d: %s", step, strings.Join(s.problems, "\n"))
	}
	for _, te := range s.tlb {
		if !te.valid {
			continue
		}
		m, rw, ok := s.walk(te.page << 12)
		if !ok || m != te.mfn || te.rw && !rw {
			t.Fatalf("step %d: stale TLB entry for %#x: frame %#x rw %v, the tables say %#x rw %v present %v", step, te.page<<12, te.mfn, te.rw, m, rw, ok)
		}
	}
	// Walk Xen's tables under the Space: leaves and tables.
	var leaves, tables uint64
	var walk func(m MFN, lvl int, base uint64)
	walk = func(m MFN, lvl int, base uint64) {
		for i, x := range s.mem[m] {
			va := base + uint64(i)<<(12+9*uint(lvl-1))
			if va+1<<(12+9*uint(lvl-1)) <= uint64(spaceLo) || va >= uint64(spaceHi) || x == 0 {
				continue
			}
			if lvl == 1 {
				leaves++
				pte, present := e.sp.PT.Lookup(mm.VAddr(va))
				switch {
				case present != (x&pteP != 0):
					t.Fatalf("step %d: %#x: mm says present %v, Xen holds %#x", step, va, present, x)
				case present && e.sim.p2m[PFN(pte&mm.PTEAddrMask>>12)] != MFN(x&addrMask>>12):
					t.Fatalf("step %d: %#x: mm's entry %#x, Xen's %#x: not the P2M's frame", step, va, pte, x)
				case !present && x&addrMask < l1tfSafe:
					t.Fatalf("step %d: %#x: held entry %#x names RAM", step, va, x)
				}
				continue
			}
			if x&pteP != 0 {
				child := MFN(x & addrMask >> 12)
				if va >= uint64(spaceLo) {
					tables++
					if s.typ[child] != ptype(int(typeL1)+lvl-2) {
						t.Fatalf("step %d: the table at %#x is %v to Xen", step, va, s.typ[child])
					}
				}
				walk(child, lvl-1, va)
			}
		}
	}
	walk(s.root, 4, 0)
	if e.fr.FreeCount()+leaves+tables != e.free0 {
		t.Fatalf("step %d: frames not conserved: %d free + %d leaves + %d tables != %d", step, e.fr.FreeCount(), leaves, tables, e.free0)
	}
	if bad := e.checkFreeFrames(); len(bad) > 0 {
		t.Fatalf("step %d: %s", step, strings.Join(bad, "\n"))
	}
}
