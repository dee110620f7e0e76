package hypercall

import (
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// xenPage builds a hypercall page the way Xen (4.13 and later) does: fill
// with int3 (0xcc), then per 32-byte slot "b8 <nr:le32> 0f 01 c1|d9 c3",
// except slot 23 (iret) which gets ud2 (0f 0b). It is written out here
// independently of ExpectedStub.
// xen/arch/x86/domain.c: init_hypercall_page;
// xen/arch/x86/hvm/vmx/vmx.c, xen/arch/x86/hvm/svm/svm.c.
func xenPage(v Vendor) *[PageSize]byte {
	p := new([PageSize]byte)
	for i := range p {
		p[i] = 0xcc
	}
	last := byte(0xc1)
	if v == VendorAMD {
		last = 0xd9
	}
	for nr := 0; nr < NumSlots; nr++ {
		s := p[nr*SlotSize:]
		if nr == HYPERVISOR_iret {
			s[0], s[1] = 0x0f, 0x0b
			continue
		}
		s[0] = 0xb8
		binary.LittleEndian.PutUint32(s[1:], uint32(nr))
		s[5], s[6], s[7], s[8] = 0x0f, 0x01, last, 0xc3
	}
	return p
}

// TestExpectedStubDisassembles decodes every expected stub with x86asm
// (which knows neither vmcall nor vmmcall, so those three bytes are
// compared by hand): "mov eax, nr; vmcall|vmmcall; ret", or ud2.
func TestExpectedStubDisassembles(t *testing.T) {
	for _, v := range []Vendor{VendorIntel, VendorAMD} {
		for nr := 0; nr < NumSlots; nr++ {
			stub, n := ExpectedStub(nr, v)
			b := stub[:n]
			if nr == HYPERVISOR_iret {
				in, err := x86asm.Decode(b, 64)
				if err != nil || in.Op != x86asm.UD2 || in.Len != n {
					t.Errorf("iret slot: % x is %v, %v; want ud2", b, in, err)
				}
				continue
			}
			mov, err := x86asm.Decode(b, 64)
			if err != nil || mov.Op != x86asm.MOV || mov.Args[0] != x86asm.EAX || mov.Args[1] != x86asm.Imm(nr) {
				t.Fatalf("slot %d: % x starts with %v, %v; want mov eax, %#x", nr, b, mov, err, nr)
			}
			call := b[mov.Len : mov.Len+3]
			want := map[Vendor]string{VendorIntel: "0f 01 c1", VendorAMD: "0f 01 d9"}[v]
			if got := fmt.Sprintf("% x", call); got != want {
				t.Fatalf("slot %d (%v): call is %s, want %s", nr, v, got, want)
			}
			ret, err := x86asm.Decode(b[mov.Len+3:], 64)
			if err != nil || ret.Op != x86asm.RET || ret.Args[0] != nil || mov.Len+3+ret.Len != n {
				t.Fatalf("slot %d: tail % x is %v, %v; want a plain ret ending the stub", nr, b[mov.Len+3:], ret, err)
			}
		}
	}
}

func TestCheckPage(t *testing.T) {
	for _, v := range []Vendor{VendorIntel, VendorAMD} {
		if got, bad := CheckPage(xenPage(v)); got != v || bad != -1 {
			t.Errorf("%v page: CheckPage = %v, %d", v, got, bad)
		}
	}
	// Before Xen 4.13 the rest of a slot was the guest's own memory.
	p := xenPage(VendorIntel)
	for nr := 0; nr < NumSlots; nr++ {
		for i := StubLen; i < SlotSize; i++ {
			p[nr*SlotSize+i] = byte(nr + i)
		}
	}
	if _, bad := CheckPage(p); bad != -1 {
		t.Errorf("padding: bad slot %d", bad)
	}
	for _, c := range []struct {
		name   string
		vendor Vendor
		mutate func(p *[PageSize]byte)
		bad    int
	}{
		{"zero page", VendorIntel, func(p *[PageSize]byte) { *p = [PageSize]byte{} }, 0},
		{"wrong number in slot 17", VendorIntel, func(p *[PageSize]byte) { p[17*32+1] = 18 }, 17},
		{"int3 where ret should be", VendorAMD, func(p *[PageSize]byte) { p[34*32+8] = 0xcc }, 34},
		{"mixed vendors", VendorIntel, func(p *[PageSize]byte) { p[40*32+7] = 0xd9 }, 40},
		{"iret slot not ud2", VendorIntel, func(p *[PageSize]byte) { p[23*32+1] = 0xcc }, 23},
		{"last slot", VendorAMD, func(p *[PageSize]byte) { p[127*32] = 0x90 }, 127},
	} {
		p := xenPage(c.vendor)
		c.mutate(p)
		if v, bad := CheckPage(p); bad != c.bad || v != VendorUnknown {
			t.Errorf("%s: CheckPage = %v, %d; want unknown, %d", c.name, v, bad, c.bad)
		}
	}
}

func TestCheckPageDoesNotAllocate(t *testing.T) {
	p := xenPage(VendorAMD)
	if n := testing.AllocsPerRun(10, func() { CheckPage(p) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
