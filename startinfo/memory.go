package startinfo

// Memory reads guest-physical memory. Host tests use Bytes; the kernel uses
// an identity map of low memory.
//
// Decode passes slices of its own receiver to ReadAt. Because an interface
// call lets its arguments escape, the PVH or PV value that Decode runs on
// must already live somewhere that is not the stack (a package-level
// variable, or memory the kernel owns); then decoding allocates nothing.
type Memory interface {
	// Contains reports whether [paddr, paddr+n) is memory the caller says
	// exists. n may be 0.
	Contains(paddr, n uint64) bool
	// ReadAt copies len(p) bytes from physical address paddr. It is called
	// only after Contains said yes for that range.
	ReadAt(p []byte, paddr uint64)
}

// Bytes is a Memory over a byte slice that starts at physical address Base.
//
// Its methods have pointer receivers on purpose: storing a *Bytes in a
// Memory interface costs nothing, while storing a Bytes value would copy it
// to the heap.
type Bytes struct {
	Base uint64
	Data []byte
}

// Contains reports whether [paddr, paddr+n) lies within Data. It never
// overflows: each comparison is done on offsets from Base.
func (b *Bytes) Contains(paddr, n uint64) bool {
	if paddr < b.Base {
		return false
	}
	off := paddr - b.Base
	size := uint64(len(b.Data))
	return off <= size && n <= size-off
}

// ReadAt copies len(p) bytes starting at paddr. It panics (index out of
// range) if the range was not first accepted by Contains.
func (b *Bytes) ReadAt(p []byte, paddr uint64) {
	off := paddr - b.Base
	copy(p, b.Data[off:off+uint64(len(p))])
}

// inMemory is the range check every decode step uses. Two rules sit on top
// of m.Contains:
//   - address 0 never holds a structure: start_info.h says nothing is loaded
//     at physical address 0 and a zero address means "not present";
//   - a range that wraps past 2^64 is never in memory, whatever m says.
func inMemory(m Memory, paddr, n uint64) bool {
	if paddr == 0 || paddr+n < paddr {
		return false
	}
	return m.Contains(paddr, n)
}

// le32 and le64 decode little-endian integers. They are written out by hand
// (rather than using encoding/binary) so the decode path depends on nothing
// but the language.
func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 {
	// kernel:nopanic callers pass 8 bytes or more (a bounds hint, as encoding/binary does)
	_ = b[7]
	return uint64(le32(b)) | uint64(le32(b[4:]))<<32
}
