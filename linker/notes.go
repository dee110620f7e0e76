package linker

import (
	"fmt"
	"strings"
)

// Xen ELF note types, from xen/include/public/elfnote.h. Only the ones this
// tool writes or reports are listed; all of them use the note name "Xen".
const (
	XEN_ELFNOTE_XEN_VERSION  = 5  // string: Xen ABI the guest was built for
	XEN_ELFNOTE_GUEST_OS     = 6  // string: name of the guest operating system
	XEN_ELFNOTE_LOADER       = 8  // string: loader type ("generic")
	XEN_ELFNOTE_PHYS32_ENTRY = 18 // numeric: physical address of the 32-bit PVH entry point
)

// XenNoteName is the owner name every Xen note carries
// (xen/include/public/elfnote.h).
const XenNoteName = "Xen"

// Note is one ELF note. Name is the owner without its NUL terminator; Desc
// is the raw descriptor (for string notes it includes the terminating NUL).
type Note struct {
	Name string
	Type uint32
	Desc []byte
}

// TypeName returns Xen's name for a Xen note type, or "" if unknown here.
func TypeName(t uint32) string {
	switch t {
	case XEN_ELFNOTE_ENTRY:
		return "XEN_ELFNOTE_ENTRY"
	case XEN_ELFNOTE_HYPERCALL_PAGE:
		return "XEN_ELFNOTE_HYPERCALL_PAGE"
	case XEN_ELFNOTE_VIRT_BASE:
		return "XEN_ELFNOTE_VIRT_BASE"
	case XEN_ELFNOTE_PADDR_OFFSET:
		return "XEN_ELFNOTE_PADDR_OFFSET"
	case XEN_ELFNOTE_XEN_VERSION:
		return "XEN_ELFNOTE_XEN_VERSION"
	case XEN_ELFNOTE_GUEST_OS:
		return "XEN_ELFNOTE_GUEST_OS"
	case XEN_ELFNOTE_LOADER:
		return "XEN_ELFNOTE_LOADER"
	case XEN_ELFNOTE_PHYS32_ENTRY:
		return "XEN_ELFNOTE_PHYS32_ENTRY"
	}
	return ""
}

// String renders a note for humans (xenlink -show).
func (n Note) String() string {
	name := TypeName(n.Type)
	if name == "" {
		name = fmt.Sprintf("type %d", n.Type)
	}
	num := len(n.Desc) == 1 || len(n.Desc) == 2 || len(n.Desc) == 4 || len(n.Desc) == 8
	switch {
	case num && n.Type <= XEN_ELFNOTE_PADDR_OFFSET, num && n.Type == XEN_ELFNOTE_PHYS32_ENTRY:
		return fmt.Sprintf("%s %s %#x", n.Name, name, numeric(n.Desc))
	case isText(n.Desc):
		return fmt.Sprintf("%s %s %q", n.Name, name, strings.TrimRight(string(n.Desc), "\x00"))
	case num:
		return fmt.Sprintf("%s %s %#x", n.Name, name, numeric(n.Desc))
	}
	return fmt.Sprintf("%s %s % x", n.Name, name, n.Desc)
}

// isText reports whether d is a NUL-terminated printable string.
func isText(d []byte) bool {
	if len(d) == 0 || d[len(d)-1] != 0 {
		return false
	}
	s := strings.TrimRight(string(d), "\x00")
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return len(s) > 0
}

// numeric decodes a little-endian numeric descriptor of 1, 2, 4 or 8 bytes,
// the sizes Xen accepts for numeric notes.
func numeric(d []byte) uint64 {
	var v uint64
	for i := len(d) - 1; i >= 0 && len(d) <= 8; i-- {
		v = v<<8 | uint64(d[i])
	}
	return v
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// encodeNotes lays notes out the way readers expect: Elf64_Nhdr (namesz,
// descsz, type, each 4 bytes), the name with its NUL, padding to 4, then
// the descriptor padded to 4. ELF64 Xen notes use 4-byte alignment too
// (Linux and Xen's libelf both do).
func encodeNotes(notes []Note) []byte {
	var out []byte
	for _, n := range notes {
		name := append([]byte(n.Name), 0)
		var h [12]byte
		le.PutUint32(h[0:], uint32(len(name)))
		le.PutUint32(h[4:], uint32(len(n.Desc)))
		le.PutUint32(h[8:], n.Type)
		out = append(out, h[:]...)
		out = append(out, name...)
		out = append(out, make([]byte, align4(uint64(len(name)))-uint64(len(name)))...)
		out = append(out, n.Desc...)
		out = append(out, make([]byte, align4(uint64(len(n.Desc)))-uint64(len(n.Desc)))...)
	}
	return out
}

// parseNotes decodes a note area. A tail shorter than a note header is
// accepted only if it is all zero padding.
func parseNotes(d []byte, where string) ([]Note, error) {
	var notes []Note
	off := uint64(0)
	n := uint64(len(d))
	for off < n {
		if n-off < 12 {
			for _, c := range d[off:] {
				if c != 0 {
					return nil, &NoteError{Where: where, Off: off, Reason: fmt.Sprintf("%d trailing bytes, too short for a note header", n-off)}
				}
			}
			break
		}
		namesz := uint64(le.Uint32(d[off:]))
		descsz := uint64(le.Uint32(d[off+4:]))
		typ := le.Uint32(d[off+8:])
		nameOff := off + 12
		descOff := nameOff + align4(namesz)
		if align4(namesz) > n-nameOff {
			return nil, &NoteError{Where: where, Off: off, Reason: fmt.Sprintf("name size %d runs past the end (%d bytes)", namesz, n)}
		}
		if align4(descsz) > n-descOff {
			// Tolerate a missing final pad, as some producers omit it.
			if descsz > n-descOff {
				return nil, &NoteError{Where: where, Off: off, Reason: fmt.Sprintf("descriptor size %d runs past the end (%d bytes)", descsz, n)}
			}
		}
		name := d[nameOff : nameOff+namesz]
		if i := indexZero(name); i >= 0 {
			name = name[:i]
		}
		notes = append(notes, Note{
			Name: string(name),
			Type: typ,
			Desc: append([]byte(nil), d[descOff:descOff+descsz]...),
		})
		off = descOff + align4(descsz)
	}
	return notes, nil
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// noteArea is one place notes live: a PT_NOTE segment or an SHT_NOTE section.
type noteArea struct {
	where string
	off   uint64 // file offset
	notes []Note
}

// noteSegments returns the notes of every PT_NOTE segment, in order.
func (f *file) noteSegments() ([]noteArea, []int, error) {
	var areas []noteArea
	var idx []int
	for i, p := range f.progs {
		if p.Type != ptNote {
			continue
		}
		where := "PT_NOTE #" + fmt.Sprint(i)
		if !inFile(p.Off, p.Filesz, len(f.b)) {
			return nil, nil, &BoundsError{What: where, Off: p.Off, Size: p.Filesz, FileSize: uint64(len(f.b))}
		}
		notes, err := parseNotes(f.b[p.Off:p.Off+p.Filesz], where)
		if err != nil {
			return nil, nil, err
		}
		areas = append(areas, noteArea{where: where, off: p.Off, notes: notes})
		idx = append(idx, i)
	}
	return areas, idx, nil
}

// noteSections returns the notes of every SHT_NOTE section, in order.
func (f *file) noteSections() ([]noteArea, []int, error) {
	var areas []noteArea
	var idx []int
	for i, s := range f.sects {
		if s.Type != shtNote {
			continue
		}
		d, err := f.sectionData(i)
		if err != nil {
			return nil, nil, err
		}
		where := "section " + f.sectionName(i)
		notes, err := parseNotes(d, where)
		if err != nil {
			return nil, nil, err
		}
		areas = append(areas, noteArea{where: where, off: s.Off, notes: notes})
		idx = append(idx, i)
	}
	return areas, idx, nil
}

func xenOnly(notes []Note) []Note {
	var out []Note
	for _, n := range notes {
		if n.Name == XenNoteName {
			out = append(out, n)
		}
	}
	return out
}

// XenNotes returns the Xen notes of an ELF64 file the way Xen's loader finds
// them: from the PT_NOTE segments if any of those carry Xen notes, otherwise
// from the SHT_NOTE sections.
func XenNotes(b []byte) ([]Note, error) {
	f, err := parse(b)
	if err != nil {
		return nil, err
	}
	segs, _, err := f.noteSegments()
	if err != nil {
		return nil, err
	}
	var out []Note
	for _, a := range segs {
		out = append(out, xenOnly(a.notes)...)
	}
	if len(out) > 0 {
		return out, nil
	}
	secs, _, err := f.noteSections()
	if err != nil {
		return nil, err
	}
	for _, a := range secs {
		out = append(out, xenOnly(a.notes)...)
	}
	return out, nil
}
