package pv

import "testing"

func TestP2MM2P(t *testing.T) {
	// Four guest frames scattered over eight machine frames, as Xen hands
	// them out (a debug Xen makes dom0's deliberately non-contiguous).
	p2m := P2M{5, 2, 7, 0}
	m2p := make(M2P, 8)
	for i := range m2p {
		m2p[i] = 0x5555 // frames of other domains: garbage to us
	}
	for p, m := range p2m {
		m2p[m] = PFN(p)
	}
	m2p[3] = 1 // a stale entry: says frame 1, whose MFN is 2

	for p, m := range p2m {
		if got, ok := p2m.MFN(PFN(p)); !ok || got != m {
			t.Errorf("P2M.MFN(%d) = %d, %v", p, got, ok)
		}
		if got, ok := PFNOf(m2p, p2m, m); !ok || got != PFN(p) {
			t.Errorf("PFNOf(%d) = %d, %v; want %d", m, got, ok, p)
		}
	}
	if _, ok := p2m.MFN(4); ok {
		t.Error("P2M.MFN past nr_pages succeeded")
	}
	for _, m := range []MFN{1, 3, 4, 8, 1 << 40} {
		if p, ok := PFNOf(m2p, p2m, m); ok {
			t.Errorf("PFNOf(%d) = %d: not ours, or stale, or past the table", m, p)
		}
	}
	if PFN(0x101).Addr() != 0x101000 || MFN(0x1234).MA(0xff8) != 0x1234ff8 || MFN(1).MA(0x1008) != 0x1008 {
		t.Error("Addr/MA")
	}
}
