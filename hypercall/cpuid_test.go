package hypercall

import (
	"errors"
	"testing"
)

// fakeCPU answers CPUID from a table keyed by leaf (sub-leaf 0) and
// returns zeros elsewhere, as real CPUs do for unknown hypervisor leaves.
type fakeCPU map[uint32][4]uint32

func (c fakeCPU) cpuid(leaf, subleaf uint32) (a, b, cc, d uint32) {
	if subleaf != 0 {
		return 0, 0, 0, 0
	}
	r := c[leaf]
	return r[0], r[1], r[2], r[3]
}

// xenLeaves fills the leaves Xen presents at base (arch-x86/cpuid.h).
func xenLeaves(c fakeCPU, base, limit, version, msr, tscKHz uint32) {
	c[base] = [4]uint32{base + limit, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX}
	c[base+1] = [4]uint32{version, 0, 0, 0}
	c[base+2] = [4]uint32{1, msr, 0, 0}
	c[base+3] = [4]uint32{XEN_CPUID_HOST_TSC_RELIABLE, 0, tscKHz, 0}
}

func TestDiscoverPlain(t *testing.T) {
	c := fakeCPU{}
	xenLeaves(c, 0x40000000, 5, 4<<16|19, 0x40000000, 2_496_000)
	x, err := Discover(c.cpuid)
	if err != nil {
		t.Fatal(err)
	}
	want := Xen{Base: 0x40000000, Major: 4, Minor: 19, HypercallPages: 1, HypercallMSR: 0x40000000, TSCKHz: 2_496_000,
		TSCFlags: XEN_CPUID_HOST_TSC_RELIABLE}
	if x != want {
		t.Fatalf("Discover = %+v, want %+v", x, want)
	}
}

// With Viridian enabled Xen shows Hyper-V's "Microsoft Hv" at 0x40000000
// and moves its own leaves (and MSR) up by 0x100 (xen/arch/x86/cpuid.c).
func TestDiscoverViridian(t *testing.T) {
	c := fakeCPU{0x40000000: {0x40000006, 0x7263694d, 0x666f736f, 0x76482074}}
	xenLeaves(c, 0x40000100, 5, 4<<16|17, 0x40000200, 3_000_000)
	x, err := Discover(c.cpuid)
	if err != nil {
		t.Fatal(err)
	}
	if x.Base != 0x40000100 || x.HypercallMSR != 0x40000200 || x.Major != 4 || x.Minor != 17 || x.TSCKHz != 3_000_000 {
		t.Fatalf("Discover = %+v", x)
	}
}

// A toolstack may clamp Xen to 2 leaves beyond the base: no time leaf.
func TestDiscoverNoTimeLeaf(t *testing.T) {
	c := fakeCPU{}
	xenLeaves(c, 0x40000000, 2, 4<<16|20, 0x40000000, 1234)
	x, err := Discover(c.cpuid)
	if err != nil {
		t.Fatal(err)
	}
	if x.TSCKHz != 0 {
		t.Fatalf("TSCKHz = %d read from a leaf beyond the max", x.TSCKHz)
	}
}

func TestDiscoverErrors(t *testing.T) {
	tooSmall := fakeCPU{}
	xenLeaves(tooSmall, 0x40000000, 1, 0, 0, 0)

	// A short, broken Xen at 0x40000000 and a good one at 0x40000200:
	// the good one wins.
	skip := fakeCPU{}
	xenLeaves(skip, 0x40000000, 1, 0, 0, 0)
	xenLeaves(skip, 0x40000200, 3, 4<<16|1, 0x40000000, 0)
	if x, err := Discover(skip.cpuid); err != nil || x.Base != 0x40000200 {
		t.Fatalf("Discover past a short base = %+v, %v", x, err)
	}

	noPages := fakeCPU{}
	xenLeaves(noPages, 0x40000000, 3, 0, 0x40000000, 0)
	noPages[0x40000002] = [4]uint32{0, 0x40000000, 0, 0}

	// Only two of the three signature words right.
	almost := fakeCPU{0x40000000: {0x40000003, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, 0}}

	for _, c := range []struct {
		name string
		cpu  fakeCPU
		kind DiscoverErrorKind
		msg  string
	}{
		{"bare metal", fakeCPU{}, NoSignature, "no Xen signature found in CPUID leaves 0x40000000-0x4000ff00"},
		{"partial signature", almost, NoSignature, "no Xen signature found in CPUID leaves 0x40000000-0x4000ff00"},
		{"max leaf too small", tooSmall, MaxLeafTooSmall, "Xen CPUID leaf 0x40000000: max leaf 0x40000001 too small, need at least 0x40000002"},
		{"zero pages", noPages, NoHypercallPages, "Xen CPUID leaf 0x40000002: reports 0 hypercall pages"},
	} {
		_, err := Discover(c.cpu.cpuid)
		var de *DiscoverError
		if !errors.As(err, &de) || de.Kind != c.kind {
			t.Errorf("%s: err = %v, want kind %d", c.name, err, c.kind)
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, err.Error(), c.msg)
		}
	}
	if got := (&DiscoverError{Kind: 99}).Error(); got != "Xen CPUID discovery failed (kind 99)" {
		t.Errorf("unknown kind message %q", got)
	}
}

// The scan must reach the last base and must not run past it.
func TestDiscoverScanRange(t *testing.T) {
	var asked []uint32
	c := fakeCPU{}
	xenLeaves(c, 0x4000ff00, 2, 0, 0x4000ff00, 0)
	rec := func(leaf, sub uint32) (uint32, uint32, uint32, uint32) {
		asked = append(asked, leaf)
		return c.cpuid(leaf, sub)
	}
	if x, err := Discover(rec); err != nil || x.Base != 0x4000ff00 {
		t.Fatalf("Discover at the last base = %+v, %v", x, err)
	}
	asked = asked[:0]
	Discover(func(leaf, sub uint32) (uint32, uint32, uint32, uint32) {
		asked = append(asked, leaf)
		return 0, 0, 0, 0
	})
	if len(asked) != 256 || asked[0] != 0x40000000 || asked[255] != 0x4000ff00 {
		t.Fatalf("scanned %d leaves, first %#x last %#x; want 256 from 0x40000000 to 0x4000ff00",
			len(asked), asked[0], asked[len(asked)-1])
	}
}

// FuzzDiscover checks Discover against a model: Xen at base slot `slot`
// with the given max-leaf offset and page count, optionally with one
// signature word damaged.
func FuzzDiscover(f *testing.F) {
	f.Add(uint8(0), uint32(5), uint32(4<<16|19), uint32(1), uint32(0x40000000), uint32(2500000), uint8(0))
	f.Add(uint8(1), uint32(2), uint32(0), uint32(1), uint32(0x40000200), uint32(0), uint8(0))
	f.Add(uint8(0), uint32(1), uint32(0), uint32(1), uint32(0), uint32(0), uint8(0))
	f.Add(uint8(255), uint32(3), uint32(1), uint32(0), uint32(0), uint32(0), uint8(2))
	f.Fuzz(func(t *testing.T, slot uint8, limit, version, pages, msr, khz uint32, damage uint8) {
		base := XEN_CPUID_FIRST_LEAF + uint32(slot)*0x100
		c := fakeCPU{}
		c[base] = [4]uint32{base + limit, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX}
		c[base+1] = [4]uint32{version, 0, 0, 0}
		c[base+2] = [4]uint32{pages, msr, 0, 0}
		c[base+3] = [4]uint32{version & 7, pages & 3, khz, 0}
		if w := damage % 4; w != 0 {
			r := c[base]
			r[w] ^= 1
			c[base] = r
		}
		x, err := Discover(c.cpuid)
		var de *DiscoverError
		max := base + limit
		switch {
		case damage%4 != 0:
			if !errors.As(err, &de) || de.Kind != NoSignature {
				t.Fatalf("damaged signature: %+v, %v", x, err)
			}
		case max < base+2:
			if !errors.As(err, &de) || de.Kind != MaxLeafTooSmall || de.Base != base || de.MaxLeaf != max {
				t.Fatalf("max %#x: %+v, %v", max, x, err)
			}
		case pages == 0:
			if !errors.As(err, &de) || de.Kind != NoHypercallPages {
				t.Fatalf("zero pages: %+v, %v", x, err)
			}
		default:
			want := Xen{Base: base, Major: uint16(version >> 16), Minor: uint16(version), HypercallPages: pages, HypercallMSR: msr}
			if max >= base+3 {
				want.TSCKHz, want.TSCFlags, want.TSCMode = khz, version&7, pages&3
			}
			if err != nil || x != want {
				t.Fatalf("Discover = %+v, %v; want %+v", x, err, want)
			}
		}
	})
}

// The time leaf's flags and mode, as a guest of Xen's default tsc_mode on
// a host whose TSC Xen does not trust sees them, and as tsc_mode="native"
// shows them.
func TestDiscoverTSCMode(t *testing.T) {
	for _, tc := range []struct {
		flags, mode uint32
		emulated    bool
		name        string
	}{
		{XEN_CPUID_TSC_EMULATED, TSC_MODE_DEFAULT, true, "default"},
		{XEN_CPUID_HOST_TSC_RELIABLE | XEN_CPUID_RDTSCP_INSTR_AVAIL, TSC_MODE_DEFAULT, false, "default"},
		{XEN_CPUID_TSC_EMULATED, TSC_MODE_ALWAYS_EMULATE, true, "always_emulate"},
		{0, TSC_MODE_NEVER_EMULATE, false, "native"},
		{0, 7, false, "unknown"},
	} {
		c := fakeCPU{}
		xenLeaves(c, 0x40000000, 4, 4<<16|17, 0x40000000, 1_000_000)
		c[0x40000003] = [4]uint32{tc.flags, tc.mode, 1_000_000, 0}
		x, err := Discover(c.cpuid)
		if err != nil {
			t.Fatal(err)
		}
		if x.TSCEmulated() != tc.emulated || x.TSCModeName() != tc.name || x.TSCFlags != tc.flags || x.TSCMode != tc.mode {
			t.Errorf("flags %#x mode %d: emulated %v name %q (%+v), want %v %q", tc.flags, tc.mode,
				x.TSCEmulated(), x.TSCModeName(), x, tc.emulated, tc.name)
		}
	}
}
