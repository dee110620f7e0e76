package kernel

import "testing"

// Only pages wholly inside a segment without PF_W, and in no writable
// segment, become read-only: a page that a writable segment shares stays
// writable, so nothing the program may write is ever protected.
func TestReadOnlyPage(t *testing.T) {
	segs := []loadSeg{
		{vaddr: 0x1ff000, memsz: 0x1c1000, writable: false}, // headers + text: [0x1ff000, 0x3c0000)
		{vaddr: 0x3c0000, memsz: 0x0a0800, writable: false}, // rodata, ends mid-page: [0x3c0000, 0x460800)
		{vaddr: 0x460800, memsz: 0x100000, writable: true},  // data+bss from the middle of that page
	}
	for _, c := range []struct {
		page uintptr
		ro   bool
	}{
		{0x1ff000, true},
		{0x200000, true},
		{0x3bf000, true},
		{0x3c0000, true},
		{0x45f000, true},
		{0x460000, false}, // shared with the writable segment
		{0x461000, false},
		{0x1fe000, false}, // below the image
		{0x560000, false}, // the last writable page
		{0x561000, false}, // beyond the image
	} {
		if got := readOnlyPage(segs, c.page); got != c.ro {
			t.Errorf("readOnlyPage(%#x) = %v, want %v", c.page, got, c.ro)
		}
	}
}
