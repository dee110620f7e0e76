package hypercall

// Hypercall page geometry: one 4 KiB page of 32-byte entry points, one per
// hypercall number.
// xen/include/public/arch-x86/xen-x86_64.h: "call hypercall_page + nr * 32"
const (
	PageSize = 4096
	SlotSize = 32
	NumSlots = PageSize / SlotSize
)

// Vendor says which instruction a hypercall page uses to leave the guest.
type Vendor int

const (
	VendorUnknown Vendor = iota
	VendorIntel          // vmcall, 0f 01 c1 (VT-x)
	VendorAMD            // vmmcall, 0f 01 d9 (SVM)
)

func (v Vendor) String() string {
	switch v {
	case VendorIntel:
		return "vmcall"
	case VendorAMD:
		return "vmmcall"
	}
	return "unknown"
}

// StubLen is the length of Xen's stub in a slot: "mov $nr, %eax" (b8
// imm32, 5 bytes), vmcall or vmmcall (3), ret (c3, 1). The rest of a slot
// is int3 (0xcc) since Xen 4.13 and untouched guest memory before, so it
// is not compared.
const StubLen = 9

// ExpectedStub is the code Xen writes at the start of slot nr of an HVM
// or PVH guest's hypercall page, and its length: "mov $nr, %eax;
// vmcall; ret" (or vmmcall for VendorAMD), and for HYPERVISOR_iret, which
// only PV guests have, ud2 (0f 0b).
//
// xen/arch/x86/hvm/vmx/vmx.c: vmx_init_hypercall_page;
// xen/arch/x86/hvm/svm/svm.c: svm_init_hypercall_page.
func ExpectedStub(nr int, v Vendor) (stub [StubLen]byte, n int) {
	if nr == HYPERVISOR_iret {
		stub[0], stub[1] = 0x0f, 0x0b
		return stub, 2
	}
	last := byte(0xc1) // vmcall
	if v == VendorAMD {
		last = 0xd9 // vmmcall
	}
	stub = [StubLen]byte{0xb8, byte(nr), byte(nr >> 8), byte(nr >> 16), byte(nr >> 24), 0x0f, 0x01, last, 0xc3}
	return stub, StubLen
}

// CheckPage compares a hypercall page, byte for byte, with the stubs Xen
// writes (ExpectedStub). Slot 0 decides the vendor; every other slot must
// then hold its own number's stub for the same vendor. It returns the
// vendor and -1, or the number of the first slot that differs. It does
// not allocate: the boot path runs it before the Go runtime exists.
// (The smoke test also disassembles the page, with a disassembler that
// stays out of the kernel.)
func CheckPage(page *[PageSize]byte) (v Vendor, badSlot int) {
	switch page[7] {
	case 0xc1:
		v = VendorIntel
	case 0xd9:
		v = VendorAMD
	default:
		return VendorUnknown, 0
	}
	for nr := 0; nr < NumSlots; nr++ {
		want, n := ExpectedStub(nr, v)
		slot := page[nr*SlotSize:]
		for i := 0; i < n; i++ {
			if slot[i] != want[i] {
				return VendorUnknown, nr
			}
		}
	}
	return v, -1
}
