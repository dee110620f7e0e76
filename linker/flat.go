package linker

import "encoding/binary"

// FlatELFHeaders is the size of what WrapFlat writes at the front of a
// flat image: the ELF header, two program headers and the note.
const FlatELFHeaders = 0xB0 + 20

// WrapFlat turns a flat image, loaded at physical address base, into the
// smallest PVH kernel ELF: an ELF64 header (System V gABI), one RWX
// PT_LOAD over the whole image, and, with note, a PT_NOTE holding
// XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h: 18, name "Xen",
// the 32-bit entry address) for entry, an offset in the image. The first
// FlatELFHeaders bytes of img are overwritten; the code and data go after
// them. Hand-assembled test guests use it (the box's probe, the bench's
// floor guest); without the note Xen's loader must refuse the image.
func WrapFlat(img []byte, base, entry uint32, note bool) []byte {
	le := binary.LittleEndian
	copy(img, "\x7fELF")
	img[4], img[5], img[6] = 2, 1, 1 // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
	le.PutUint16(img[16:], 2)        // ET_EXEC
	le.PutUint16(img[18:], 62)       // EM_X86_64
	le.PutUint32(img[20:], 1)
	le.PutUint64(img[24:], uint64(base+entry)) // e_entry
	le.PutUint64(img[32:], 64)                 // e_phoff
	le.PutUint16(img[52:], 64)                 // e_ehsize
	le.PutUint16(img[54:], 56)                 // e_phentsize
	nph := uint16(1)
	if note {
		nph = 2
	}
	le.PutUint16(img[56:], nph)
	ph := img[64:] // PT_LOAD over the whole file, RWX
	le.PutUint32(ph[0:], 1)
	le.PutUint32(ph[4:], 7)
	le.PutUint64(ph[8:], 0)
	le.PutUint64(ph[16:], uint64(base))
	le.PutUint64(ph[24:], uint64(base))
	le.PutUint64(ph[32:], uint64(len(img)))
	le.PutUint64(ph[40:], uint64(len(img)))
	le.PutUint64(ph[48:], 0x1000)
	if note {
		const noteOff = 0xB0
		n := img[noteOff:]
		le.PutUint32(n[0:], 4)  // namesz
		le.PutUint32(n[4:], 4)  // descsz
		le.PutUint32(n[8:], 18) // XEN_ELFNOTE_PHYS32_ENTRY
		copy(n[12:], "Xen\x00")
		le.PutUint32(n[16:], base+entry)
		ph = img[64+56:]
		le.PutUint32(ph[0:], 4) // PT_NOTE
		le.PutUint32(ph[4:], 4)
		le.PutUint64(ph[8:], noteOff)
		le.PutUint64(ph[16:], uint64(base+noteOff))
		le.PutUint64(ph[24:], uint64(base+noteOff))
		le.PutUint64(ph[32:], 20)
		le.PutUint64(ph[40:], 20)
		le.PutUint64(ph[48:], 4)
	}
	return img
}
