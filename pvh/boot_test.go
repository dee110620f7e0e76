package pvh

import "testing"

// A ring page the HVM params name must lie inside the identity map (the
// first 4 GiB) and above the first MiB, or the kernel would follow a
// pointer to nothing.
func TestIdentityPage(t *testing.T) {
	for _, c := range []struct {
		pfn uint64
		ok  bool
	}{
		{0xfefff, true},
		{0x100, true},
		{0xfffff, true},
		{0x100000, false}, // 4 GiB: beyond the map
		{1 << 40, false},
		{0, false},
		{0xff, false}, // below 1 MiB: unmapped as the nil guard
		{^uint64(0), false},
	} {
		if _, ok := IdentityPage(c.pfn); ok != c.ok {
			t.Errorf("IdentityPage(%#x) ok = %v, want %v", c.pfn, ok, c.ok)
		}
	}
}
