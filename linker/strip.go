package linker

import (
	"fmt"
	"sort"
)

// Section header flags and the types whose sh_info names a section
// (System V gABI, "Sections"; /usr/include/elf.h).
const (
	shfAlloc    = 0x2  // SHF_ALLOC: occupies memory during execution
	shfInfoLink = 0x40 // SHF_INFO_LINK: sh_info holds a section index
	shtRela     = 4    // SHT_RELA
	shtRel      = 9    // SHT_REL
	shtDynsym   = 11   // SHT_DYNSYM
)

// DebugSuffix is appended to a kernel's file name for the unstripped
// copy that goxen build writes beside the stripped one (hello.elf and
// hello.elf.dbg), as Unikraft keeps NAME.dbg beside NAME: the boot image
// need not carry what only debuggers and symbol tools read.
const DebugSuffix = ".dbg"

// Strip returns a copy of in without what only debuggers and symbol tools
// read: every section without SHF_ALLOC (DWARF's .debug_*, .symtab,
// .strtab) except notes (SHT_NOTE) and the section name table, which is
// rebuilt with only the names still used. Xen's loader does not read
// those sections (see the package doc), and in a Go-linked kernel they
// are about 0.9 MB of a 2.8 MB hello.
//
// Every byte up to the end of the last PT_LOAD's file contents (the ELF
// and program headers and all loaded data) stays where it is, unchanged
// but for the fields that say where the rest of the file is: e_shoff,
// e_shnum and e_shstrndx in the ELF header, and p_offset of a program
// header whose contents move. So the stripped file loads as in does, and
// every address a debugger finds in in holds for it. What other program
// headers or kept sections point at beyond that, such as the PT_NOTE and
// .note.Xen that Report appends, moves to just behind it; then come the
// new name table and section header table. That is the layout Report
// writes, so Report of a stripped file rebuilds the notes in place, and
// Strip(Strip(x)) is Strip(x).
//
// Strip refuses, with a *StripError, a file whose kept sections would
// lose a section they link to or, having a dynamic symbol table, would be
// renumbered (its symbols name sections by number). A Go-linked static
// executable has neither.
func Strip(in []byte) ([]byte, error) {
	f, err := parse(in)
	if err != nil {
		return nil, err
	}

	// keepEnd: the headers and every loaded byte stay in place.
	keepEnd := uint64(ehdrSize)
	if len(f.progs) > 0 {
		keepEnd = max(keepEnd, f.phoff+uint64(len(f.progs))*phdrSize)
	}
	for i, p := range f.progs {
		if p.Filesz == 0 {
			continue
		}
		if !inFile(p.Off, p.Filesz, len(in)) {
			return nil, &BoundsError{What: fmt.Sprintf("program header #%d (type %#x)", i, p.Type), Off: p.Off, Size: p.Filesz, FileSize: uint64(len(in))}
		}
		if p.Type == ptLoad {
			keepEnd = max(keepEnd, p.Off+p.Filesz)
		}
	}

	// Which sections stay, and their new numbers.
	newIdx := make([]int, len(f.sects))
	var kept []int
	for i, s := range f.sects {
		if i == 0 || s.Flags&shfAlloc != 0 || s.Type == shtNote || (i == int(f.shstrndx) && f.shstrndx != 0) {
			newIdx[i] = len(kept)
			kept = append(kept, i)
		} else {
			newIdx[i] = -1
		}
	}
	hasDynsym := false
	for _, i := range kept {
		if f.sects[i].Type == shtDynsym {
			hasDynsym = true
		}
	}
	for _, i := range kept {
		s := f.sects[i]
		if hasDynsym && newIdx[i] != i {
			return nil, &StripError{Section: f.sectionName(i), Reason: fmt.Sprintf("it would become section %d, but the dynamic symbol table names sections by number", newIdx[i])}
		}
		if s.Link != 0 && (int(s.Link) >= len(f.sects) || newIdx[s.Link] < 0) {
			return nil, &StripError{Section: f.sectionName(i), Reason: fmt.Sprintf("its sh_link names section %d, which is dropped or does not exist", s.Link)}
		}
		infoIsIndex := s.Type == shtRel || s.Type == shtRela || s.Flags&shfInfoLink != 0
		if infoIsIndex && s.Info != 0 && (int(s.Info) >= len(f.sects) || newIdx[s.Info] < 0) {
			return nil, &StripError{Section: f.sectionName(i), Reason: fmt.Sprintf("its sh_info names section %d, which is dropped or does not exist", s.Info)}
		}
		if s.Type != shtNobits && s.Size > 0 && !inFile(s.Off, s.Size, len(in)) {
			return nil, &BoundsError{What: "section " + f.sectionName(i), Off: s.Off, Size: s.Size, FileSize: uint64(len(in))}
		}
	}

	// The file ranges beyond keepEnd that must survive: other program
	// headers' contents and kept sections (but the name table, rebuilt).
	// Overlapping ranges (a PT_NOTE and its .note.Xen) move as one.
	type span struct{ off, end, to uint64 }
	var spans []span
	for _, p := range f.progs {
		if p.Filesz > 0 && p.Off+p.Filesz > keepEnd {
			spans = append(spans, span{off: p.Off, end: p.Off + p.Filesz})
		}
	}
	for _, i := range kept {
		s := f.sects[i]
		if i != int(f.shstrndx) && s.Type != shtNobits && s.Size > 0 && s.Off+s.Size > keepEnd {
			spans = append(spans, span{off: s.Off, end: s.Off + s.Size})
		}
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].off < spans[b].off })
	var moved []span
	for _, s := range spans {
		if n := len(moved); n > 0 && s.off < moved[n-1].end {
			moved[n-1].end = max(moved[n-1].end, s.end)
			continue
		}
		moved = append(moved, s)
	}

	out := make([]byte, keepEnd, keepEnd+1024)
	copy(out, in)
	for k := range moved {
		m := &moved[k]
		// Keep each range's offset modulo 8, so whatever alignment up
		// to 8 its contents had (notes want 4) still holds.
		for uint64(len(out))%8 != m.off%8 {
			out = append(out, 0)
		}
		m.to = uint64(len(out))
		out = append(out, in[m.off:m.end]...)
	}
	relocate := func(off, size uint64) uint64 {
		if off+size <= keepEnd {
			return off
		}
		for _, m := range moved {
			if off >= m.off && off+size <= m.end {
				return off - m.off + m.to
			}
		}
		return off // not reached: every range beyond keepEnd is in moved
	}

	for i, p := range f.progs {
		if p.Filesz > 0 {
			p.Off = relocate(p.Off, p.Filesz)
			p.put(out[f.phoff+uint64(i)*phdrSize:])
		}
	}

	if len(f.sects) == 0 {
		le.PutUint64(out[offEShoff:], 0)
		return out, nil
	}

	// The new name table: the names of the kept sections, in order.
	var shstr []byte
	names := map[string]uint32{}
	if f.shstrndx != 0 {
		shstr = []byte{0}
		names[""] = 0
		old := f.shstrtab()
		for _, i := range kept {
			n := cstring(old, uint64(f.sects[i].Name))
			if _, ok := names[n]; !ok {
				names[n] = uint32(len(shstr))
				shstr = append(append(shstr, n...), 0)
			}
		}
	}

	sects := make([]sect, 0, len(kept))
	for _, i := range kept {
		s := f.sects[i]
		if f.shstrndx != 0 {
			s.Name = names[cstring(f.shstrtab(), uint64(s.Name))]
		}
		if s.Link != 0 {
			s.Link = uint32(newIdx[s.Link])
		}
		if (s.Type == shtRel || s.Type == shtRela || s.Flags&shfInfoLink != 0) && s.Info != 0 {
			s.Info = uint32(newIdx[s.Info])
		}
		switch {
		case i == int(f.shstrndx) && f.shstrndx != 0:
			s.Off = uint64(len(out))
			s.Size = uint64(len(shstr))
			out = append(out, shstr...)
		case s.Type != shtNobits && s.Size > 0:
			s.Off = relocate(s.Off, s.Size)
		}
		sects = append(sects, s)
	}
	out = appendSectionTable(out, sects)
	if f.shstrndx != 0 {
		le.PutUint16(out[offEShstrndx:], uint16(newIdx[f.shstrndx]))
	}
	return out, nil
}
