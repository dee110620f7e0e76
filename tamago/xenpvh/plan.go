package xenpvh

import (
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/startinfo"
)

// RamStart is where the runtime's memory begins: 1 MiB, the lowest
// address free of the PC's legacy areas. The image is linked just above it
// (tamago.mk: -T 0x101000), so a domU of a few MiB can hold it. TamaGo's
// own default, 0x10000000, would need 256 MiB.
const RamStart = 0x100000

// A TamaGo runtime lays out [RamStart, RamStart+RamSize) as: the image,
// the heap from Bloc upward, the boot stack, which grows down from
// RamStart+RamSize-RamStackOffset, and RamStackOffset unused bytes on top.
const (
	bootStack = 64 << 10 // the runtime carves g0's stack out of the boot stack
	minHeap   = 4 << 20  // the runtime's first heap arena is 4 MiB: less cannot work
	maxPhys   = 4 << 30  // pvhEntry identity-maps the first 4 GiB
)

// span is a physical address range [start, end).
type span struct{ start, end uint64 }

// memPlan is the runtime's memory, decided by planMemory.
type memPlan struct {
	RamSize uint64 // runtime/goos.RamSize
	Bloc    uint64 // runtime/goos.Bloc: first heap byte
	RAMEnd  uint64 // end of the RAM region holding RamStart (capped at 4 GiB)
}

type planKind uint8

const (
	planOK       planKind = iota
	planNoRAM             // no RAM entry of the memory map contains RamStart
	planTooSmall          // the RAM region cannot hold image, heap and stack
)

// planError says why planMemory failed. It is a value, built without the
// heap, and formatted only when printed.
type planError struct {
	Kind       planKind
	Start, End uint64 // the RAM region (planTooSmall)
	Need       uint64 // the smallest RAM end that would do (planTooSmall)
}

// Append formats the error onto b without allocating beyond b's capacity.
func (e planError) Append(b []byte) []byte {
	switch e.Kind {
	case planNoRAM:
		b = append(b, "no RAM at RamStart "...)
		b = numfmt.AppendHex64(b, RamStart)
		b = append(b, " in the memory map"...)
	case planTooSmall:
		b = append(b, "RAM ["...)
		b = numfmt.AppendHex64(b, e.Start)
		b = append(b, ", "...)
		b = numfmt.AppendHex64(b, e.End)
		b = append(b, ") is too small: image, 4 MiB of heap and the stack need it to reach "...)
		b = numfmt.AppendHex64(b, e.Need)
	default:
		b = append(b, "no error"...)
	}
	return b
}

func (e planError) Error() string { return string(e.Append(nil)) }

// planMemory gives the runtime the RAM region of the memory map that
// holds ramStart, up to 4 GiB. The heap starts after the image end and
// after any module (an initrd, say) that Xen loaded behind the image, so
// the heap does not overwrite it. stackOffset is RamStackOffset.
func planMemory(memmap []startinfo.MemmapEntry, ramStart, imageEnd, stackOffset uint64, keep []span) (memPlan, planError) {
	var region span
	found := false
	for _, e := range memmap {
		if e.Type == startinfo.XEN_HVM_MEMMAP_TYPE_RAM && e.Addr <= ramStart && ramStart < e.End() {
			region, found = span{e.Addr, e.End()}, true
			break
		}
	}
	if !found {
		return memPlan{}, planError{Kind: planNoRAM}
	}
	end := min(region.end, maxPhys)
	bloc := imageEnd
	for _, k := range keep {
		if k.end > bloc && k.start < end {
			bloc = k.end
		}
	}
	bloc = (bloc + 4095) &^ 4095
	need := bloc + minHeap + bootStack + stackOffset
	if need > end {
		return memPlan{}, planError{Kind: planTooSmall, Start: region.start, End: end, Need: need}
	}
	return memPlan{RamSize: end - ramStart, Bloc: bloc, RAMEnd: end}, planError{}
}
