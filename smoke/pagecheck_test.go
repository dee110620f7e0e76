package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/goxen/goxen/hypercall"
)

// xenPage builds a hypercall page the way Xen (4.13 and later) does:
// int3 (0xcc) everywhere, then each slot's stub (hypercall.ExpectedStub,
// whose bytes hypercall's own tests check against Xen's encoding).
// xen/arch/x86/domain.c: init_hypercall_page.
func xenPage(v hypercall.Vendor) []byte {
	p := make([]byte, hypercall.PageSize)
	for i := range p {
		p[i] = 0xcc
	}
	for nr := 0; nr < hypercall.NumSlots; nr++ {
		stub, n := hypercall.ExpectedStub(nr, v)
		copy(p[nr*hypercall.SlotSize:], stub[:n])
	}
	return p
}

func TestCheckPageGood(t *testing.T) {
	for _, v := range []hypercall.Vendor{hypercall.VendorIntel, hypercall.VendorAMD} {
		got, err := inspectPage(xenPage(v))
		if err != nil || got != v {
			t.Errorf("%v page: inspectPage = %v, %v", v, got, err)
		}
		if err := checkPage(xenPage(v)); err != nil {
			t.Errorf("%v page: %v", v, err)
		}
	}
}

// Before Xen 4.13 the page was not pre-filled: padding is whatever the
// guest left there. Only the stubs matter.
func TestCheckPageIgnoresPadding(t *testing.T) {
	p := xenPage(hypercall.VendorIntel)
	for nr := 0; nr < hypercall.NumSlots; nr++ {
		from := stubLen
		if nr == hypercall.HYPERVISOR_iret {
			from = 2
		}
		for i := from; i < hypercall.SlotSize; i++ {
			p[nr*hypercall.SlotSize+i] = 0
		}
	}
	if err := checkPage(p); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPageZero(t *testing.T) {
	err := checkPage(make([]byte, hypercall.PageSize))
	const want = "hypercall page slot 0: got 00 00 00 00 00 00 00 00 00 " +
		"(add byte ptr [rax], al; add byte ptr [rax], al; add byte ptr [rax], al; ...), " +
		"want mov eax, 0x0; vmcall|vmmcall; ret"
	if err == nil || err.Error() != want {
		t.Fatalf("zero page:\n got %v\nwant %s", err, want)
	}
	var se *pageSlotError
	if !errors.As(err, &se) || se.Slot != 0 {
		t.Fatalf("error %T %+v, want *pageSlotError for slot 0", err, err)
	}
}

func TestCheckPageCorrupt(t *testing.T) {
	for _, c := range []struct {
		name   string
		vendor hypercall.Vendor
		mutate func(p []byte)
		want   string
	}{
		{"wrong number in slot 17", hypercall.VendorIntel, func(p []byte) { p[17*32+1] = 18 },
			"hypercall page slot 17: got b8 12 00 00 00 0f 01 c1 c3 (mov eax, 0x12; vmcall; ret), want mov eax, 0x11; vmcall; ret"},
		{"int3 where ret should be", hypercall.VendorAMD, func(p []byte) { p[34*32+8] = 0xcc },
			"hypercall page slot 34: got b8 22 00 00 00 0f 01 d9 cc (mov eax, 0x22; vmmcall; int3), want mov eax, 0x22; vmmcall; ret"},
		{"ret imm16", hypercall.VendorIntel, func(p []byte) { p[5*32+8] = 0xc2 },
			"hypercall page slot 5: got b8 05 00 00 00 0f 01 c1 c2 (mov eax, 0x5; vmcall; ret 0xcccc), want mov eax, 0x5; vmcall; ret"},
		{"mixed vendors", hypercall.VendorIntel, func(p []byte) { p[40*32+7] = 0xd9 },
			"hypercall page slot 40: got b8 28 00 00 00 0f 01 d9 c3 (mov eax, 0x28; vmmcall; ret), want mov eax, 0x28; vmcall; ret"},
		{"unknown instruction", hypercall.VendorIntel, func(p []byte) { p[9*32+7] = 0xff },
			"hypercall page slot 9: got b8 09 00 00 00 0f 01 ff c3 (mov eax, 0x9; (bad 0f)), want mov eax, 0x9; vmcall; ret"},
		{"mov into ecx", hypercall.VendorIntel, func(p []byte) { p[1*32] = 0xb9 },
			"hypercall page slot 1: got b9 01 00 00 00 0f 01 c1 c3 (mov ecx, 0x1; vmcall; ret), want mov eax, 0x1; vmcall; ret"},
		{"iret slot not ud2", hypercall.VendorIntel, func(p []byte) { p[23*32+1] = 0xcc },
			"hypercall page slot 23: got 0f cc cc cc cc cc cc cc cc (bswap esp; int3), want ud2"},
		{"last slot", hypercall.VendorAMD, func(p []byte) { p[127*32] = 0x90 },
			"hypercall page slot 127: got 90 7f 00 00 00 0f 01 d9 c3 (nop; jnle .+0x0; add byte ptr [rax], al; ...), want mov eax, 0x7f; vmmcall; ret"},
	} {
		p := xenPage(c.vendor)
		c.mutate(p)
		err := checkPage(p)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, c.want)
		}
	}
}

func TestCheckPageSize(t *testing.T) {
	for _, n := range []int{0, 4095, 4097, 8192} {
		err := checkPage(make([]byte, n))
		var pe *pageSizeError
		if !errors.As(err, &pe) || pe.Len != n {
			t.Errorf("len %d: err %v", n, err)
		}
	}
	if got := checkPage(nil).Error(); got != "hypercall page is 0 bytes, want 4096" {
		t.Errorf("message %q", got)
	}
}

func TestDescribeSlot(t *testing.T) {
	intel, amd := xenPage(hypercall.VendorIntel), xenPage(hypercall.VendorAMD)
	for _, c := range []struct {
		page []byte
		nr   int
		want string
	}{
		{intel, hypercall.HYPERVISOR_console_io, "mov eax, 0x12; vmcall; ret"},
		{amd, hypercall.HYPERVISOR_hvm_op, "mov eax, 0x22; vmmcall; ret"},
		{intel, hypercall.HYPERVISOR_iret, "ud2"},
		{amd, 0, "mov eax, 0x0; vmmcall; ret"},
		{make([]byte, hypercall.PageSize), 3, "add byte ptr [rax], al; add byte ptr [rax], al; add byte ptr [rax], al; " +
			"add byte ptr [rax], al; add byte ptr [rax], al; add byte ptr [rax], al; add byte ptr [rax], al; " +
			"add byte ptr [rax], al; ..."},
	} {
		got, err := describeSlot(c.page, c.nr)
		if err != nil || got != c.want {
			t.Errorf("describeSlot(%d) = %q, %v; want %q", c.nr, got, err, c.want)
		}
	}
	// A slot whose last instruction runs off its end: six 5-byte movs,
	// a nop, and a mov opcode in the last byte.
	p := xenPage(hypercall.VendorIntel)
	s := p[2*hypercall.SlotSize : 3*hypercall.SlotSize]
	for i := 0; i < 30; i += 5 {
		copy(s[i:], []byte{0xb8, 1, 0, 0, 0})
	}
	s[30], s[31] = 0x90, 0xb8
	got, _ := describeSlot(p, 2)
	if want := strings.Repeat("mov eax, 0x1; ", 6) + "nop; (bad b8)"; got != want {
		t.Errorf("truncated slot: %q, want %q", got, want)
	}
}

func TestDescribeSlotErrors(t *testing.T) {
	page := xenPage(hypercall.VendorIntel)
	for _, c := range []struct {
		page []byte
		nr   int
		want string
	}{
		{page, -1, "hypercall slot -1 out of range 0-127"},
		{page, 128, "hypercall slot 128 out of range 0-127"},
		{page[:100], 0, "hypercall page is 100 bytes, want 4096"},
	} {
		_, err := describeSlot(c.page, c.nr)
		if err == nil || err.Error() != c.want {
			t.Errorf("describeSlot(len %d, %d) err %v, want %q", len(c.page), c.nr, err, c.want)
		}
	}
}

// FuzzCheckPage mutates one byte of a good page. A change inside a stub
// (the first 9 bytes of a slot, 2 for the iret slot) must be rejected with
// a slotError naming that slot; a change in the padding must be accepted.
func FuzzCheckPage(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), uint8(0))
	f.Add(uint8(1), uint8(23), uint8(1), uint8(0xcc))
	f.Add(uint8(0), uint8(40), uint8(7), uint8(0xd9))
	f.Add(uint8(1), uint8(127), uint8(20), uint8(0x00))
	f.Fuzz(func(t *testing.T, amd, slot, off, val uint8) {
		v := hypercall.VendorIntel
		if amd&1 == 1 {
			v = hypercall.VendorAMD
		}
		nr, i := int(slot)%hypercall.NumSlots, int(off)%hypercall.SlotSize
		p := xenPage(v)
		old := p[nr*hypercall.SlotSize+i]
		p[nr*hypercall.SlotSize+i] = val
		err := checkPage(p)
		inStub := i < stubLen
		if nr == hypercall.HYPERVISOR_iret {
			inStub = i < 2
		}
		if !inStub || val == old {
			if err != nil {
				t.Fatalf("harmless change at slot %d byte %d: %v", nr, i, err)
			}
			return
		}
		var se *pageSlotError
		if !errors.As(err, &se) || se.Slot != nr {
			t.Fatalf("slot %d byte %d %#x->%#x: err %v", nr, i, old, val, err)
		}
		if !strings.HasPrefix(err.Error(), "hypercall page slot ") {
			t.Fatalf("message %q", err)
		}
		if _, err := describeSlot(p, nr); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzDescribeSlot feeds arbitrary bytes into a slot: no panics, and the
// text is never empty.
func FuzzDescribeSlot(f *testing.F) {
	f.Add([]byte{0xb8, 0x11, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3}, 17)
	f.Add([]byte{0x0f, 0x0b}, 23)
	f.Add([]byte{0x66, 0x66, 0x66, 0x0f}, 200)
	f.Fuzz(func(t *testing.T, code []byte, nr int) {
		p := make([]byte, hypercall.PageSize)
		slot := ((nr % hypercall.NumSlots) + hypercall.NumSlots) % hypercall.NumSlots
		copy(p[slot*hypercall.SlotSize:(slot+1)*hypercall.SlotSize], code)
		s, err := describeSlot(p, slot)
		if err != nil || s == "" {
			t.Fatalf("describeSlot = %q, %v", s, err)
		}
		if _, err := describeSlot(p, nr); (err == nil) != (nr >= 0 && nr < hypercall.NumSlots) {
			t.Fatalf("describeSlot(%d) err %v", nr, err)
		}
	})
}
