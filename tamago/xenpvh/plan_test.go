package xenpvh

import (
	"testing"

	"github.com/goxen/goxen/startinfo"
)

const mib = 1 << 20

// A PVH domU of 16 MiB: RAM from 0, the special pages far above.
var domU8 = []startinfo.MemmapEntry{
	{Addr: 0, Size: 16 * mib, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RAM},
	{Addr: 0xfc000000, Size: 0x4000000, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RESERVED},
}

func TestPlanDomU(t *testing.T) {
	p, err := planMemory(domU8, RamStart, 0x3ff123, mib, nil)
	if err.Kind != planOK {
		t.Fatalf("planMemory: %s", err.Error())
	}
	if p.RamSize != 15*mib || p.Bloc != 0x400000 || p.RAMEnd != 16*mib {
		t.Errorf("got %+v, want RamSize 15 MiB, Bloc 0x400000 (image end rounded up), RAMEnd 16 MiB", p)
	}
}

// A module loaded behind the image pushes the heap past it; one below the
// image or outside the region does not.
func TestPlanKeepsModules(t *testing.T) {
	keep := []span{{0x400000, 0x480010}, {0x80000, 0x90000}, {0x10000000, 0x10001000}}
	p, err := planMemory(domU8, RamStart, 0x3ff000, mib, keep)
	if err.Kind != planOK {
		t.Fatalf("planMemory: %s", err.Error())
	}
	if p.Bloc != 0x481000 {
		t.Errorf("Bloc %#x, want 0x481000", p.Bloc)
	}
}

// RAM beyond 4 GiB is not identity-mapped, so it is cut off.
func TestPlanCapsAt4G(t *testing.T) {
	mm := []startinfo.MemmapEntry{{Addr: mib, Size: 8 << 30, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RAM}}
	p, err := planMemory(mm, RamStart, 0x400000, mib, nil)
	if err.Kind != planOK || p.RAMEnd != 4<<30 || p.RamSize != 4<<30-RamStart {
		t.Errorf("got %+v, %v; want RAMEnd 4 GiB", p, err.Kind)
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mm   []startinfo.MemmapEntry
		want string
	}{
		{"no RAM", []startinfo.MemmapEntry{
			{Addr: 0, Size: 0xa0000, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RAM},
			{Addr: 0x100000, Size: 8 * mib, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RESERVED},
		}, "no RAM at RamStart 0x100000 in the memory map"},
		{"empty map", nil, "no RAM at RamStart 0x100000 in the memory map"},
		{"too small", []startinfo.MemmapEntry{{Addr: 0, Size: 5 * mib, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RAM}},
			"RAM [0x0, 0x500000) is too small: image, 4 MiB of heap and the stack need it to reach 0x910000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planMemory(tc.mm, RamStart, 0x400000, mib, nil)
			if err.Kind == planOK {
				t.Fatal("planMemory succeeded")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error %q, want %q", got, tc.want)
			}
		})
	}
	if got := (planError{}).Error(); got != "no error" {
		t.Errorf("zero planError says %q", got)
	}
}

// planError.Append must not allocate: early prints it before the heap exists.
func TestPlanErrorAppendNoAlloc(t *testing.T) {
	e := planError{Kind: planTooSmall, Start: 0, End: 5 * mib, Need: 0x910000}
	var b [160]byte
	if n := testing.AllocsPerRun(10, func() { e.Append(b[:0]) }); n != 0 {
		t.Errorf("Append allocates %v times", n)
	}
}

func TestBootLine(t *testing.T) {
	var b [160]byte
	got := string(bootLine(b[:0], "pv", 1e9, 1e9+12_345_678, 1e9+40e6, 1e9+41_999_999))
	if want := "goxen: boot (pv): first console byte 12.34 ms, TamaGo runtime entered 40.00 ms, up 41.99 ms after the unpause\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = string(bootLine(b[:0], "pvh", 1e9, 0, 1e9+40e6, 1e9+41e6))
	if want := "goxen: boot (pvh): TamaGo runtime entered 40.00 ms, up 41.00 ms after the unpause\n"; got != want {
		t.Errorf("no console byte: got %q", got)
	}
	if n := testing.AllocsPerRun(5, func() { bootLine(b[:0], "pv", 1, 2, 3, 4) }); n != 0 {
		t.Errorf("bootLine allocates %v times", n)
	}
}
