package mm

import "math/bits"

// MaxPhys bounds the guest-physical memory the frame allocator manages.
// Frames at or above it are ignored by AddFree; 4 GiB costs a 128 KiB bitmap.
const MaxPhys PAddr = 4 << 30

const maxFrames = uint64(MaxPhys) / PageSize

// Frames is a physical frame allocator: one bit per 4 KiB frame below
// MaxPhys, set when the frame is free. It has no pointers and no heap, so it
// can live in a global and be used from interrupt and syscall handlers.
// It does no locking: the caller serializes.
//
// The zero value manages nothing: every frame counts as in use until AddFree
// says otherwise.
type Frames struct {
	free  [maxFrames / 64]uint64 // bit set: frame is free
	nfree uint64                 // frames with their bit set
	total uint64                 // frames in the pool (free or handed out)
	hint  uint64                 // word where the next Alloc starts looking (next fit)
	bad   uint64                 // rejected Free calls: double frees, foreign frames
}

// AddFree gives the frames inside [start, end) to the allocator. Partial
// pages at either end are left out (the range is aligned inward), and so is
// anything at or above MaxPhys. Frames already free are not counted twice.
func (f *Frames) AddFree(start, end PAddr) {
	if end > MaxPhys {
		end = MaxPhys
	}
	if start >= end {
		return
	}
	s := (uint64(start) + pageMask) >> PageShift
	e := uint64(end) >> PageShift
	for n := s; n < e; n++ {
		w, b := n/64, n%64
		if f.free[w]&(1<<b) == 0 {
			f.free[w] |= 1 << b
			f.nfree++
			f.total++
		}
	}
}

// Reserve takes the frames touching [start, end) out of the pool for good:
// the kernel image, the start info page, the boot page tables. The range is
// aligned outward, because a frame that is partly in use is in use. Frames
// that are not free (already reserved, allocated, or never added) are left
// as they are.
func (f *Frames) Reserve(start, end PAddr) {
	if end > MaxPhys {
		end = MaxPhys
	}
	if start >= end {
		return
	}
	s := uint64(start) >> PageShift
	e := (uint64(end) + pageMask) >> PageShift
	for n := s; n < e; n++ {
		w, b := n/64, n%64
		if f.free[w]&(1<<b) != 0 {
			f.free[w] &^= 1 << b
			f.nfree--
			f.total--
		}
	}
}

// Alloc hands out one free frame. It does not zero it. ok is false when no
// frame is left.
func (f *Frames) Alloc() (p PAddr, ok bool) {
	if f.nfree == 0 {
		return 0, false
	}
	n := uint64(len(f.free))
	for i := uint64(0); i < n; i++ {
		w := f.hint + i
		if w >= n {
			w -= n
		}
		// kernel:nopanic w < n = the words in use, at most len(f.free)
		if x := f.free[w]; x != 0 {
			b := uint64(bits.TrailingZeros64(x))
			f.free[w] = x &^ (1 << b)
			f.nfree--
			f.hint = w
			return PAddr((w*64 + b) << PageShift), true
		}
	}
	// nfree said there was one: the counters are corrupt.
	return 0, false
}

// AllocRun hands out n free frames that are contiguous in physical
// memory, the highest such run, and returns the first. It does not zero
// them. Memory shared with another domain through /dev/xen/gntalloc needs
// this: the program sees the frames through the identity map, so they
// must be one run to look like one buffer. Taking them from the top keeps
// them apart from Alloc's demand-zero pages, which come from the bottom
// up. ok is false when no run of n frames is free (or n is 0). A scan of
// the bitmap: O(frames).
func (f *Frames) AllocRun(n uint64) (p PAddr, ok bool) {
	if n == 0 || n > f.nfree {
		return 0, false
	}
	var run uint64
	for i := maxFrames; i > 0; i-- {
		j := i - 1
		// kernel:nopanic j < the frames AllocRun scans, 64*len(f.free)
		w := f.free[j/64]
		if j%64 == 63 && w == 0 {
			run = 0
			i -= 63
			continue
		}
		if w&(1<<(j%64)) == 0 {
			run = 0
			continue
		}
		run++
		if run == n {
			for k := j; k < j+n; k++ {
				// kernel:nopanic k < j+n <= the frames scanned, 64*len(f.free)
				f.free[k/64] &^= 1 << (k % 64)
			}
			f.nfree -= n
			return PAddr(j << PageShift), true
		}
	}
	return 0, false
}

// Free returns frame p to the pool. It reports false, changes nothing and
// counts the mistake in BadFrees when p is unaligned, beyond MaxPhys,
// already free (a double free), or cannot be one of ours because every
// frame of the pool is already free. The kernel can panic on BadFrees != 0.
func (f *Frames) Free(p PAddr) bool {
	if p&pageMask != 0 || p >= MaxPhys || f.nfree >= f.total {
		f.bad++
		return false
	}
	n := uint64(p) >> PageShift
	w, b := n/64, n%64
	if f.free[w]&(1<<b) != 0 {
		f.bad++
		return false
	}
	f.free[w] |= 1 << b
	f.nfree++
	return true
}

// IsFree reports whether frame p is free.
func (f *Frames) IsFree(p PAddr) bool {
	if p >= MaxPhys {
		return false
	}
	n := uint64(p) >> PageShift
	return f.free[n/64]&(1<<(n%64)) != 0
}

// FreeCount is the number of free frames.
func (f *Frames) FreeCount() uint64 { return f.nfree }

// TotalCount is the number of frames in the pool, free or handed out.
func (f *Frames) TotalCount() uint64 { return f.total }

// BadFrees counts rejected Free calls. Nonzero means a bug in the caller.
func (f *Frames) BadFrees() uint64 { return f.bad }
