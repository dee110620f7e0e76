package kernel

import (
	"testing"

	"github.com/goxen/goxen/startinfo"
)

// The grant table frames go in a hole of the guest-physical address space:
// inside the identity map, above the first MiB, and overlapping nothing
// the memory map names (RAM, reserved, ACPI...).
func TestGrantHole(t *testing.T) {
	domU := []startinfo.MemmapEntry{
		{Addr: 0, Size: 0x2000000, Type: 1},          // 32 MiB of RAM
		{Addr: 0xfc000000, Size: 0x4000000, Type: 2}, // reserved up to 4 GiB
	}
	dom0 := []startinfo.MemmapEntry{
		{Addr: 0, Size: 0x9f000, Type: 1},
		{Addr: 0x100000, Size: 0x20060f26 - 0x100000, Type: 1},
		{Addr: 0x20060f26, Size: 0x7a, Type: 3},
		{Addr: 0x20061000, Size: 0x3ffdf000 - 0x20061000, Type: 5},
		{Addr: 0x3ffdf000, Size: 0x21000, Type: 2},
		{Addr: 0xb0000000, Size: 0x10000000, Type: 2},
	}
	full := []startinfo.MemmapEntry{{Addr: 0, Size: 4 << 30, Type: 1}}
	for _, c := range []struct {
		name string
		mm   []startinfo.MemmapEntry
		n    int
		want uint64
		ok   bool
	}{
		{"domU", domU, 4, 0x2000000, true},
		{"dom0", dom0, 4, 0x40000000, true},
		{"dom0, an unaligned end", dom0[:3], 1, 0x20061000, true},
		{"no hole", full, 1, 0, false},
		{"too big for the hole", []startinfo.MemmapEntry{{Addr: 0, Size: 4<<30 - 0x2000, Type: 1}}, 4, 0, false},
	} {
		got, ok := grantHole(c.mm, c.n)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: grantHole(%d frames) = %#x, %v; want %#x, %v", c.name, c.n, got, ok, c.want, c.ok)
		}
	}
}

// A frame number is only given for a RAM frame of the guest: under PVH,
// the identity map below 4 GiB (a Go heap address above it has none).
func TestGrantFrameOutsideRAM(t *testing.T) {
	if f, ok := grantFrame(0x123000); !ok || f != 0x123 {
		t.Errorf("grantFrame(0x123000) = %#x, %v; want 0x123, true", f, ok)
	}
	if f, ok := grantFrame(5 << 30); ok {
		t.Errorf("grantFrame(5 GiB) = %#x, true; want false", f)
	}
}
