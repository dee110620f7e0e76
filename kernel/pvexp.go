package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pv"
)

type pvPhys struct{}

func (pvPhys) Table(p mm.PAddr) *[512]uint64 { return (*[512]uint64)(at(uintptr(p))) }
func (pvPhys) Zero(p mm.PAddr)               { clear((*[4096]byte)(at(uintptr(p)))[:]) }

func (pvPhys) Get(t *[512]uint64, i uint64) uint64 {
	e := t[i]
	if e&mm.PTEAddrMask == 0 {
		return e
	}
	p, ok := pv.PFNOf(pv.M2PTable(), pv.P2MTable(), pv.MFN(e&mm.PTEAddrMask>>12))
	if !ok {
		return e
	}
	return e&^mm.PTEAddrMask | uint64(p)<<12
}

func (pvPhys) Set(t *[512]uint64, i uint64, e uint64) {
	va := uintptr(unsafe.Pointer(&t[i]))
	m, _ := pv.P2MTable().MFN(pv.PFN(va >> 12))
	val := e
	if a := e & mm.PTEAddrMask; a != 0 {
		vm, _ := pv.P2MTable().MFN(pv.PFN(a >> 12))
		val = e&^mm.PTEAddrMask | uint64(vm)<<12
	}
	req := [1]hypercall.MMUUpdate{{Ptr: m.MA(uint64(va)), Val: val}}
	if _, rc := hypercall.MMUUpdateBatch(req[:]); rc != 0 {
		klog().s("mmu_update va ").hex(uint64(va)).s(" val ").hex(val).s(" = ").dec(int64(rc)).fatal()
	}
}

func remap(f mm.PAddr, rw bool) {
	m, _ := pv.P2MTable().MFN(pv.PFN(f >> 12))
	pte := m.MA(0) | hypercall.PTE_P | hypercall.PTE_A | hypercall.PTE_US
	if rw {
		pte |= hypercall.PTE_RW | hypercall.PTE_D
	}
	if rc := hypercall.UpdateVAMapping(uintptr(f), pte, hypercall.UVMF_INVLPG|hypercall.UVMF_LOCAL); rc != 0 {
		klog().s("remap ").hex(uint64(f)).s(" = ").dec(int64(rc)).fatal()
	}
}

func (pvPhys) NewTable(f mm.PAddr)  { remap(f, false) }
func (pvPhys) FreeTable(f mm.PAddr) { remap(f, true) }

func pvInvlpg(va mm.VAddr) {
	op := [1]hypercall.MMUExtOp{{Cmd: hypercall.MMUEXT_INVLPG_LOCAL, Arg1: uint64(va)}}
	hypercall.MMUExtOpBatch(op[:])
}
