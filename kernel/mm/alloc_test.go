package mm

import "testing"

// The memory manager runs in the kernel's syscall and page-fault paths,
// where the Go heap cannot be used: none of these may allocate.
func TestNoAllocs(t *testing.T) {
	e := newEnv(t, 4<<20, testLo, testHi)
	s := e.sp
	res := mustMmap(t, s, 0, 64<<20, ProtNone, anon)
	hint := VAddr(0x3000_0000_0000)
	buf := make([]byte, 0, 4096)
	faults := 0 // successful Faults, so the test cannot pass by doing nothing
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"Mmap+Munmap", func() {
			a, _ := s.Mmap(hint, 1<<20, ProtRead|ProtWrite, anon)
			s.Munmap(a, 1<<20)
		}},
		{"Mmap FIXED", func() {
			s.Mmap(res+1<<20, 64<<10, ProtRead|ProtWrite, anon|MAP_FIXED)
		}},
		{"Fault", func() {
			s.Fault(res+1<<20+5*PageSize, true)
		}},
		{"Madvise", func() {
			s.Madvise(res+1<<20, 64<<10, MADV_DONTNEED)
			s.Madvise(res, 64<<20, MADV_NOHUGEPAGE)
		}},
		{"Mprotect", func() {
			s.Mprotect(res+2<<20, 64<<10, ProtRead)
			s.Mprotect(res+2<<20, 64<<10, ProtNone)
		}},
		{"commit, touch, scavenge, release", func() {
			a, _ := s.Mmap(res+8<<20, 1<<20, ProtRead|ProtWrite, anon|MAP_FIXED)
			for va := a; va < a+1<<20; va += 64 << 10 {
				if s.Fault(va, true) == 0 {
					faults++
				}
			}
			s.Madvise(a, 1<<20, MADV_DONTNEED)
			s.Fault(a, false)
			s.Mmap(a, 1<<20, ProtNone, anon|MAP_FIXED)
		}},
		{"Frames", func() {
			p, _ := e.fr.Alloc()
			e.fr.Free(p)
		}},
		{"PageTable", func() {
			s.PT.Map(0x4000_0000_0000, 0x3000, PTEWrite)
			s.PT.Lookup(0x4000_0000_0000)
			s.PT.Unmap(0x4000_0000_0000)
		}},
		{"Format", func() { s.Format(buf[:0]) }},
	} {
		if n := testing.AllocsPerRun(50, tc.fn); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, n)
		}
	}
	// The loops above really did the work.
	if faults < 50*16 {
		t.Fatalf("%d successful faults, want %d: the test measured nothing", faults, 50*16)
	}
}
