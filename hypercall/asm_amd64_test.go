//go:build amd64

package hypercall

import (
	"testing"
)

// CPUID leaf 0 on any x86 host returns the vendor string in EBX, EDX, ECX.
func TestCPUIDHost(t *testing.T) {
	max, b, c, d := CPUID(0, 0)
	if max == 0 {
		t.Fatal("CPUID(0) reports max leaf 0")
	}
	vendor := make([]byte, 0, 12)
	for _, r := range []uint32{b, d, c} {
		vendor = append(vendor, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
	}
	for _, ch := range vendor {
		if ch < 0x20 || ch > 0x7e {
			t.Fatalf("vendor %q is not printable: registers mixed up?", vendor)
		}
	}
	// Leaf 1 ECX bit 31 is the "running under a hypervisor" bit; log what
	// Discover makes of this host.
	_, _, ecx, _ := CPUID(1, 0)
	x, err := Discover(CPUID)
	t.Logf("vendor %q, hypervisor bit %d, Discover: %+v %v", vendor, ecx>>31, x, err)
}

func TestRDTSCHost(t *testing.T) {
	a := RDTSC()
	b := RDTSC()
	if b < a {
		t.Fatalf("RDTSC went backwards: %d then %d", a, b)
	}
	if a == 0 {
		t.Fatal("RDTSC returned 0")
	}
}

func TestSetPage(t *testing.T) {
	defer SetPage(Page())
	SetPage(0x1234000)
	if Page() != 0x1234000 {
		t.Fatalf("Page() = %#x", Page())
	}
}

func TestPureFunctionsDoNotAllocate(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		_ = EINVAL.Name()
		_ = ErrnoName(-38)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}
