package kernel

import (
	"testing"

	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/startinfo"
)

// The allocator gets RAM from the end of the nil guard (64 KiB) up, not
// from 1 MiB: in 4 MiB, the 960 KiB between them are a third of what the
// program has (issue 15). Ranges are clipped to [nilGuard, mm.MaxPhys);
// other entry types are left out.
func TestFreeRAM(t *testing.T) {
	const ram, resv = startinfo.XEN_HVM_MEMMAP_TYPE_RAM, 2
	type r struct{ start, end mm.PAddr }
	for _, c := range []struct {
		name   string
		memmap []startinfo.MemmapEntry
		want   []r
	}{
		{"4 MiB", []startinfo.MemmapEntry{{Addr: 0, Size: 4 << 20, Type: ram}},
			[]r{{0x10000, 0x400000}}},
		{"guard only", []startinfo.MemmapEntry{{Addr: 0, Size: 0x10000, Type: ram}}, nil},
		{"starts inside the guard", []startinfo.MemmapEntry{{Addr: 0x8000, Size: 0x10000, Type: ram}},
			[]r{{0x10000, 0x18000}}},
		{"reserved and above 4 GiB", []startinfo.MemmapEntry{
			{Addr: 0, Size: 0x9f000, Type: ram},
			{Addr: 0x9f000, Size: 0x61000, Type: resv},
			{Addr: 0x100000, Size: 0xfff00000, Type: ram},
			{Addr: 0xfc000000, Size: 0x1000, Type: resv},
			{Addr: 1 << 32, Size: 1 << 30, Type: ram},
		}, []r{{0x10000, 0x9f000}, {0x100000, 1 << 32}}},
	} {
		var got []r
		freeRAM(c.memmap, func(start, end mm.PAddr) { got = append(got, r{start, end}) })
		if len(got) != len(c.want) {
			t.Errorf("%s: %#x, want %#x", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %#x, want %#x", c.name, got, c.want)
				break
			}
		}
	}
}

// The nil guard unmaps the pages below nilGuard and nothing else: the
// page table of the first 2 MiB keeps every other entry as it was (the
// image's read-only pages among them, if protectImage ran first).
func TestGuardLow(t *testing.T) {
	var pt [512]uint64
	for i := range pt {
		pt[i] = uint64(i)<<12 | mm.PTEPresent | mm.PTEWrite
	}
	pt[300] &^= mm.PTEWrite // a read-only page of the image
	want := pt
	for i := 0; i < 16; i++ {
		want[i] = 0
	}
	guardLow(&pt)
	if pt != want {
		for i := range pt {
			if pt[i] != want[i] {
				t.Errorf("entry %d (%#x) = %#x, want %#x", i, i<<12, pt[i], want[i])
			}
		}
	}
}

// checkFrame's verdict: a frame in the nil guard or the image has an
// owner already; the frames between them are the allocator's to give.
func TestFrameOwned(t *testing.T) {
	const start, end = 0x100000, 0x373000
	for _, c := range []struct {
		pa    uintptr
		owned bool
	}{
		{0, true},
		{0xf000, true},
		{0x10000, false},
		{0x9f000, false},
		{0xff000, false},
		{0x100000, true},
		{0x372000, true},
		{0x373000, false},
	} {
		if got := frameOwned(c.pa, start, end); got != c.owned {
			t.Errorf("frameOwned(%#x) = %v, want %v", c.pa, got, c.owned)
		}
	}
}
