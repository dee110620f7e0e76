package evtchn

import (
	"math/bits"
	"sync/atomic"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/sharedinfo"
)

// NumPorts is how many ports the 2-level ABI has on x86-64: 64 words of
// 64 bits (xen/include/public/xen.h: EVTCHN_2L_NR_CHANNELS).
const NumPorts = 64 * 64

// Scan hands every pending, unmasked port of vCPU v to handle and clears
// its pending bit. It clears evtchn_upcall_pending first, so an event
// that arrives during the scan raises the upcall again rather than being
// lost. Masked pending ports stay pending. It does not allocate.
func Scan(s *sharedinfo.SharedInfo, v *sharedinfo.VcpuInfo, handle func(port uint32)) {
	atomic.StoreUint32(upcallWord(v), atomic.LoadUint32(upcallWord(v))&^0xff)
	sel := atomic.SwapUint64(&v.EvtchnPendingSel, 0)
	for sel != 0 {
		w := uint32(bits.TrailingZeros64(sel))
		sel &^= 1 << w
		for {
			ready := atomic.LoadUint64(&s.EvtchnPending[w]) &^ atomic.LoadUint64(&s.EvtchnMask[w])
			if ready == 0 {
				break
			}
			b := uint32(bits.TrailingZeros64(ready))
			if clearBit(&s.EvtchnPending[w], b) {
				handle(w*64 + b)
			}
		}
	}
}

// Waiting reports whether vCPU v has events a Scan would look at:
// evtchn_upcall_pending is set (with a callback vector, Xen raises the
// upcall for as long as it is, with interrupts enabled), or selector bits
// are left over from an upcall acknowledged without a scan.
func Waiting(v *sharedinfo.VcpuInfo) bool {
	return atomic.LoadUint32(upcallWord(v))&0xff != 0 || atomic.LoadUint64(&v.EvtchnPendingSel) != 0
}

// upcallWord is the 32-bit word holding evtchn_upcall_pending (byte 0)
// and evtchn_upcall_mask (byte 1), so the pending byte can be cleared
// atomically without touching the mask.
func upcallWord(v *sharedinfo.VcpuInfo) *uint32 {
	return (*uint32)(unsafePointer(&v.EvtchnUpcallPending))
}

// clearBit atomically clears bit b of *w and reports whether it was set.
func clearBit(w *uint64, b uint32) bool {
	for {
		old := atomic.LoadUint64(w)
		if old&(1<<b) == 0 {
			return false
		}
		if atomic.CompareAndSwapUint64(w, old, old&^(1<<b)) {
			return true
		}
	}
}

func setBit(w *uint64, b uint32) {
	for {
		old := atomic.LoadUint64(w)
		if atomic.CompareAndSwapUint64(w, old, old|1<<b) {
			return
		}
	}
}

// Pending reports whether port has an event waiting.
func Pending(s *sharedinfo.SharedInfo, port uint32) bool {
	return atomic.LoadUint64(&s.EvtchnPending[port/64])&(1<<(port%64)) != 0
}

// ClearPending drops a waiting event on port, if any.
func ClearPending(s *sharedinfo.SharedInfo, port uint32) bool {
	// kernel:nopanic port < NumPorts (callers check), so port/64 < len(EvtchnPending)
	return clearBit(&s.EvtchnPending[port/64], port%64)
}

// Mask stops events on port from raising the upcall.
// kernel:nopanic port < NumPorts (callers check: the kernel binds no port past it), so port/64 < len(EvtchnMask)
func Mask(s *sharedinfo.SharedInfo, port uint32) { setBit(&s.EvtchnMask[port/64], port%64) }

// Masked reports whether port is masked.
func Masked(s *sharedinfo.SharedInfo, port uint32) bool {
	return atomic.LoadUint64(&s.EvtchnMask[port/64])&(1<<(port%64)) != 0
}

// Unmask lets events on port through again. Xen does the unmasking
// (EVTCHNOP_unmask) so that an event that arrived while masked raises the
// upcall now instead of sitting unnoticed.
func Unmask(port uint32) error {
	return hypercall.Result(hypercall.EvtchnUnmask(port))
}

// BindVIRQ connects a virtual IRQ of vCPU 0 (VIRQ_TIMER...) to a new port.
func BindVIRQ(virq uint32) (uint32, error) {
	port, rc := hypercall.EvtchnBindVirq(virq, 0)
	return port, hypercall.Result(rc)
}

// SetVector asks Xen to raise the event upcall as interrupt vector vec
// (HVM_PARAM_CALLBACK_IRQ, type "vector", xen/include/public/hvm/params.h).
// This kind of callback needs no local APIC acknowledgement.
func SetVector(vec uint8) error {
	return hypercall.Result(hypercall.HVMSetParam(hypercall.HVM_PARAM_CALLBACK_IRQ, hypercall.CallbackVector(vec)))
}
