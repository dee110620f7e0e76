package startinfo

import (
	"testing"

	"github.com/goxen/goxen/hypercall"
)

func putE820(buf []byte, i int, addr, size uint64, typ uint32) {
	b := buf[i*hypercall.E820EntrySize:]
	for j := 0; j < 8; j++ {
		b[j] = byte(addr >> (8 * j))
		b[8+j] = byte(size >> (8 * j))
	}
	for j := 0; j < 4; j++ {
		b[16+j] = byte(typ >> (8 * j))
	}
}

func TestSetMemmapE820(t *testing.T) {
	buf := make([]byte, 3*hypercall.E820EntrySize)
	putE820(buf, 0, 0, 0x9fc00, 1)
	putE820(buf, 1, 0xf0000, 0x10000, 2)
	putE820(buf, 2, 0x100000, 0x3ff00000, 1)
	var p PVH
	if n := p.SetMemmapE820(buf, 3); n != 3 || p.NMemmap != 3 {
		t.Fatalf("kept %d entries (NMemmap %d), want 3", n, p.NMemmap)
	}
	if p.Memmap[1] != (MemmapEntry{Addr: 0xf0000, Size: 0x10000, Type: 2}) {
		t.Errorf("entry 1 = %+v", p.Memmap[1])
	}
	// Xen claiming more entries than the buffer holds stops at the buffer.
	if n := p.SetMemmapE820(buf, 5); n != 3 {
		t.Errorf("converted %d entries from a 3-entry buffer, want 3", n)
	}
	// More entries than the table holds stop at the table.
	big := make([]byte, (MaxMemmap+2)*hypercall.E820EntrySize)
	for i := 0; i < MaxMemmap+2; i++ {
		putE820(big, i, uint64(i)<<20, 1<<20, 1)
	}
	if n := p.SetMemmapE820(big, MaxMemmap+2); n != MaxMemmap || p.NMemmap != MaxMemmap {
		t.Errorf("kept %d entries (NMemmap %d) into a %d-entry table", n, p.NMemmap, MaxMemmap)
	}
	if n := testing.AllocsPerRun(10, func() { p.SetMemmapE820(buf, 3) }); n != 0 {
		t.Errorf("SetMemmapE820 allocates %v times", n)
	}
}
