package main

import (
	"fmt"

	"strings"

	"github.com/goxen/goxen/hypercall"

	"golang.org/x/arch/x86/x86asm"
)

// The smoke test's view of the hypercall page: it disassembles every
// slot with x86asm and says what it found, where the kernel's own boot
// check (hypercall.CheckPage) only compares bytes. The disassembler stays
// out of the kernel image this way.

// pageSizeError reports a page slice that is not exactly hypercall.PageSize bytes.
type pageSizeError struct{ Len int }

func (e *pageSizeError) Error() string {
	return fmt.Sprintf("hypercall page is %d bytes, want %d", e.Len, hypercall.PageSize)
}

// slotRangeError reports a hypercall number with no slot in the page.
type slotRangeError struct{ Nr int }

func (e *slotRangeError) Error() string {
	return fmt.Sprintf("hypercall slot %d out of range 0-%d", e.Nr, hypercall.NumSlots-1)
}

// slotError reports a slot whose code is not what Xen writes there.
type pageSlotError struct {
	Slot    int
	Got     []byte // the first stubLen bytes of the slot
	GotText string // their disassembly
	Want    string
}

func (e *pageSlotError) Error() string {
	return fmt.Sprintf("hypercall page slot %d: got % x (%s), want %s", e.Slot, e.Got, e.GotText, e.Want)
}

// stubLen is the length of Xen's stub: b8 imm32 (5), vmcall (3), c3 (1).
// The rest of a slot is 0xcc since Xen 4.13 and untouched guest memory
// before, so it is not checked.
const stubLen = 9

// inst is one decoded instruction.
type inst struct {
	x      x86asm.Inst
	vendor hypercall.Vendor // set for vmcall/vmmcall, which x86asm does not know
	n      int              // length in bytes; 0 if undecodable
	text   string
}

// decode decodes one 64-bit instruction. x86asm (v0.32.0) reports vmcall
// and vmmcall as unrecognized, so those two encodings are matched here
// first.
func decode(b []byte) inst {
	if len(b) >= 3 && b[0] == 0x0f && b[1] == 0x01 {
		switch b[2] {
		case 0xc1:
			return inst{vendor: hypercall.VendorIntel, n: 3, text: "vmcall"}
		case 0xd9:
			return inst{vendor: hypercall.VendorAMD, n: 3, text: "vmmcall"}
		}
	}
	x, err := x86asm.Decode(b, 64)
	// x86asm reports an instruction cut off by the end of b as Op 0
	// with no error.
	if err != nil || x.Len == 0 || x.Op == 0 {
		if len(b) == 0 {
			return inst{text: "(end of slot)"}
		}
		return inst{text: fmt.Sprintf("(bad %02x)", b[0])}
	}
	return inst{x: x, n: x.Len, text: x86asm.IntelSyntax(x, 0, nil)}
}

// disasm renders up to max instructions of code, stopping after one that
// ends the stub (ret, ud2, int3) or that cannot be decoded.
func disasm(code []byte, max int) string {
	var parts []string
	for len(code) > 0 {
		if len(parts) == max {
			parts = append(parts, "...")
			break
		}
		in := decode(code)
		parts = append(parts, in.text)
		if in.n == 0 || in.x.Op == x86asm.RET || in.x.Op == x86asm.UD2 || in.x.Op == x86asm.INT {
			break
		}
		code = code[in.n:]
	}
	return strings.Join(parts, "; ")
}

// checkStub decodes a slot and reports its vendor if it is exactly
// "mov eax, nr; vmcall|vmmcall; ret".
func checkStub(slot []byte, nr int) (hypercall.Vendor, bool) {
	mov := decode(slot)
	if mov.n == 0 || mov.x.Op != x86asm.MOV || mov.x.Args[0] != x86asm.EAX || mov.x.Args[1] != x86asm.Imm(nr) {
		return hypercall.VendorUnknown, false
	}
	call := decode(slot[mov.n:])
	if call.vendor == hypercall.VendorUnknown {
		return hypercall.VendorUnknown, false
	}
	ret := decode(slot[mov.n+call.n:])
	// A plain near ret: "ret imm16" (c2) would also pop the arguments.
	if ret.n == 0 || ret.x.Op != x86asm.RET || ret.x.Args[0] != nil {
		return hypercall.VendorUnknown, false
	}
	return call.vendor, true
}

func wantStub(nr int, v hypercall.Vendor) string {
	call := "vmcall|vmmcall"
	if v != hypercall.VendorUnknown {
		call = v.String()
	}
	return fmt.Sprintf("mov eax, %#x; %s; ret", nr, call)
}

// inspectPage checks a hypercall page as checkPage does and also reports
// whether it was written for Intel (vmcall) or AMD (vmmcall).
//
// Every slot must hold Xen's stub for its own number, all with the same
// instruction, except the slot of hypercall.HYPERVISOR_iret, which Xen fills with ud2
// because an HVM/PVH guest has no iret hypercall.
//
// xen/arch/x86/hvm/vmx/vmx.c: vmx_init_hypercall_page;
// xen/arch/x86/hvm/svm/svm.c: svm_init_hypercall_page;
// xen/arch/x86/domain.c: init_hypercall_page (0xcc fill)
func inspectPage(page []byte) (hypercall.Vendor, error) {
	if len(page) != hypercall.PageSize {
		return hypercall.VendorUnknown, &pageSizeError{Len: len(page)}
	}
	vendor := hypercall.VendorUnknown
	for nr := 0; nr < hypercall.NumSlots; nr++ {
		slot := page[nr*hypercall.SlotSize : (nr+1)*hypercall.SlotSize]
		if nr == hypercall.HYPERVISOR_iret {
			if slot[0] != 0x0f || slot[1] != 0x0b {
				return hypercall.VendorUnknown, slotError(nr, slot, "ud2")
			}
			continue
		}
		v, ok := checkStub(slot, nr)
		if !ok || (vendor != hypercall.VendorUnknown && v != vendor) {
			return hypercall.VendorUnknown, slotError(nr, slot, wantStub(nr, vendor))
		}
		vendor = v
	}
	return vendor, nil
}

func slotError(nr int, slot []byte, want string) error {
	return &pageSlotError{
		Slot:    nr,
		Got:     append([]byte(nil), slot[:stubLen]...),
		GotText: disasm(slot, 3),
		Want:    want,
	}
}

// inspectPVPage checks a classic PV guest's hypercall page: every slot
// holds, byte for byte, the stub Xen writes for its number
// (hypercall.ExpectedPVStub: push rcx; push r11; mov eax, nr; syscall;
// pop r11; pop rcx; ret, and for iret one that ends at its syscall). A
// slot that differs is reported with its disassembly and the stub's.
//
// xen/arch/x86/pv/hypercall.c: pv_ring3_init_hypercall_page
func inspectPVPage(page []byte) error {
	if len(page) != hypercall.PageSize {
		return &pageSizeError{Len: len(page)}
	}
	bad := hypercall.CheckPVPage((*[hypercall.PageSize]byte)(page))
	if bad < 0 {
		return nil
	}
	want, n := hypercall.ExpectedPVStub(bad)
	return slotError(bad, page[bad*hypercall.SlotSize:(bad+1)*hypercall.SlotSize], disasm(want[:n], 8))
}

// checkPage verifies that page (exactly hypercall.PageSize bytes) is a hypercall
// page as Xen writes it for an HVM/PVH guest. A nil result means every
// Call through it reaches Xen. See inspectPage for the rules.
func checkPage(page []byte) error {
	_, err := inspectPage(page)
	return err
}

// describeSlot disassembles slot nr of page (Intel syntax), e.g.
// "mov eax, 0x12; vmcall; ret". It stops at ret, ud2 or int3, at bytes it
// cannot decode, or after 8 instructions.
func describeSlot(page []byte, nr int) (string, error) {
	if len(page) != hypercall.PageSize {
		return "", &pageSizeError{Len: len(page)}
	}
	if nr < 0 || nr >= hypercall.NumSlots {
		return "", &slotRangeError{Nr: nr}
	}
	return disasm(page[nr*hypercall.SlotSize:(nr+1)*hypercall.SlotSize], 8), nil
}
