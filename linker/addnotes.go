package linker

import (
	"bytes"
	"fmt"
	"strings"
)

// DefaultEntrySymbol is the kernel's PVH entry point.
const DefaultEntrySymbol = "github.com/goxen/goxen/kernel.pvhEntry"

// DefaultGuestOS is the XEN_ELFNOTE_GUEST_OS value when Options.GuestOS is empty.
const DefaultGuestOS = "goxen"

// noteSectionName names the SHT_NOTE section that mirrors our PT_NOTE.
const noteSectionName = ".note.Xen"

// Options controls AddNotes.
type Options struct {
	Entry       uint64 // physical entry address; if 0, EntrySymbol is looked up in .symtab
	EntrySymbol string // default DefaultEntrySymbol; NAME+".abi0" is tried first
	GuestOS     string // default DefaultGuestOS
	// PVEntrySymbol is the 64-bit PV entry (default DefaultPVEntrySymbol).
	// If the file has no such symbol, it gets no PV notes and boots as
	// PVH only.
	PVEntrySymbol string
	// HypercallPageSymbol is the buffer whose first page-aligned page the
	// HYPERCALL_PAGE note names (default DefaultHypercallPageSymbol).
	HypercallPageSymbol string
}

// Result says what AddNotes did, for the one-line summary of xenlink.
type Result struct {
	Entry  uint64 // PHYS32_ENTRY of the output
	Source string // where Entry came from: "symbol NAME", "-entry", or the existing note's place
	Kept   bool   // a PHYS32_ENTRY note from another tool was found, validated and kept; nothing was added
	Notes  int    // number of Xen notes in the output, as XenNotes reports them
	Size   int    // size of the output in bytes
	// Modes are the boot modes the output's notes allow ("pvh", "pv").
	Modes []string
	// PVEntry and HypercallPage are the ENTRY and HYPERCALL_PAGE notes'
	// values, 0 without PV notes.
	PVEntry, HypercallPage uint64
}

// AddNotes returns a copy of in with Xen's PVH notes added. See Report.
func AddNotes(in []byte, opt Options) ([]byte, error) {
	out, _, err := Report(in, opt)
	return out, err
}

// Report is AddNotes that also describes the result.
//
// It turns the PT_GNU_STACK program header into a PT_NOTE pointing at Xen
// notes appended to the file, and adds a ".note.Xen" SHT_NOTE section for
// tools that list notes by section (a new section header table and a new
// .shstrtab are appended; the old ones stay in place, unreferenced). If the
// file already carries that PT_NOTE from an earlier run, the appended region
// is rebuilt instead, so Report(Report(x)) gives the same bytes as Report(x).
//
// If the file already has a XEN_ELFNOTE_PHYS32_ENTRY note that some other
// tool put there (for example tamago's .note.go.pvh section), Report does
// not add a second one: Xen reads PT_NOTE segments and only falls back to
// sections when those have no Xen notes, so adding our PT_NOTE could hide a
// section-only note, and two entry notes would be ambiguous. It validates
// the existing entry and returns the file unchanged with Result.Kept set.
func Report(in []byte, opt Options) ([]byte, Result, error) {
	var res Result
	if opt.GuestOS == "" {
		opt.GuestOS = DefaultGuestOS
	}
	if strings.IndexByte(opt.GuestOS, 0) >= 0 {
		return nil, res, &OptionError{Option: "GuestOS", Value: opt.GuestOS, Reason: "contains a NUL byte"}
	}
	if opt.EntrySymbol == "" {
		opt.EntrySymbol = DefaultEntrySymbol
	}
	if opt.PVEntrySymbol == "" {
		opt.PVEntrySymbol = DefaultPVEntrySymbol
	}
	if opt.HypercallPageSymbol == "" {
		opt.HypercallPageSymbol = DefaultHypercallPageSymbol
	}
	f, err := parse(in)
	if err != nil {
		return nil, res, err
	}
	if err := f.checkTarget(); err != nil {
		return nil, res, err
	}

	// Every PT_LOAD must be in the file and in PVH-reachable memory.
	loadEnd := uint64(ehdrSize)
	for i, p := range f.progs {
		if p.Type != ptLoad {
			continue
		}
		if !inFile(p.Off, p.Filesz, len(in)) {
			return nil, res, &BoundsError{What: fmt.Sprintf("PT_LOAD #%d", i), Off: p.Off, Size: p.Filesz, FileSize: uint64(len(in))}
		}
		loadEnd = max(loadEnd, p.Off+p.Filesz)
		end := p.Paddr + p.Memsz
		if p.Paddr < minPhys || end < p.Paddr || end > maxPhys {
			return nil, res, &RangeError{Index: i, Start: p.Paddr, End: end}
		}
	}

	// Whatever points at file data must point inside the file: the bytes
	// behind the original end are ours to rebuild on the next run.
	for i, p := range f.progs {
		if p.Filesz > 0 && !inFile(p.Off, p.Filesz, len(in)) {
			return nil, res, &BoundsError{What: fmt.Sprintf("program header #%d (type %#x)", i, p.Type), Off: p.Off, Size: p.Filesz, FileSize: uint64(len(in))}
		}
	}
	for i, s := range f.sects {
		if s.Type != 0 && s.Type != shtNobits && s.Size > 0 && !inFile(s.Off, s.Size, len(in)) {
			return nil, res, &BoundsError{What: "section " + f.sectionName(i), Off: s.Off, Size: s.Size, FileSize: uint64(len(in))}
		}
	}

	segs, segIdx, err := f.noteSegments()
	if err != nil {
		return nil, res, err
	}
	secs, _, err := f.noteSections()
	if err != nil {
		return nil, res, err
	}

	// Find our PT_NOTE from an earlier run: only Xen notes, not mapped
	// (vaddr = paddr = 0), and behind every loaded byte of the file.
	ours := -1
	for k, a := range segs {
		p := f.progs[segIdx[k]]
		if p.Vaddr == 0 && p.Paddr == 0 && p.Off >= loadEnd && p.Off%8 == 0 &&
			len(a.notes) > 0 && len(xenOnly(a.notes)) == len(a.notes) {
			ours = segIdx[k]
			break
		}
	}
	var region uint64 // where the appended part starts
	if ours >= 0 {
		region = f.progs[ours].Off
	} else {
		region = (uint64(len(in)) + 7) &^ 7
	}

	pv, hasPV, err := f.findPV(opt)
	if err != nil {
		return nil, res, err
	}

	// A PHYS32_ENTRY note from elsewhere: keep and validate it. If the
	// file has a PV entry too, the PV notes are added beside it.
	var foreign []noteArea
	var (
		foreignEntry uint64
		foreignWhere string
		foreignSeg   bool
	)
	for k, a := range segs {
		if segIdx[k] != ours {
			foreign = append(foreign, a)
		}
	}
	for _, a := range secs {
		if ours < 0 || a.off < region {
			foreign = append(foreign, a)
		}
	}
	for _, a := range foreign {
		for _, n := range xenOnly(a.notes) {
			if n.Type != XEN_ELFNOTE_PHYS32_ENTRY {
				continue
			}
			if l := len(n.Desc); l != 1 && l != 2 && l != 4 && l != 8 {
				return nil, res, &NoteError{Where: a.where, Reason: fmt.Sprintf("XEN_ELFNOTE_PHYS32_ENTRY descriptor is %d bytes, want 4", l)}
			}
			e := numeric(n.Desc)
			if opt.Entry != 0 && opt.Entry != e {
				return nil, res, &ExistingEntryError{Where: a.where, Existing: e, Requested: opt.Entry}
			}
			if !f.physInExec(e) {
				return nil, res, &EntryError{Entry: e, Physical: true, Note: a.where, Segments: f.loads()}
			}
			if !hasPV {
				notes, err := XenNotes(in)
				if err != nil {
					return nil, res, err
				}
				out := append([]byte(nil), in...)
				return out, Result{Entry: e, Source: "existing note in " + a.where, Kept: true, Notes: len(notes), Size: len(out), Modes: Modes(notes)}, nil
			}
			if foreignEntry == 0 {
				foreignEntry, foreignWhere = e, a.where
				// Xen reads sections only when no PT_NOTE carries Xen
				// notes: a section-only PHYS32_ENTRY must be copied into
				// our PT_NOTE, one in a segment stays where it is.
				foreignSeg = strings.HasPrefix(a.where, "PT_NOTE")
			}
		}
	}
	// Note types a foreign PT_NOTE already carries are not repeated.
	have := map[uint32]bool{}
	if foreignSeg {
		for k, a := range segs {
			if segIdx[k] != ours {
				for _, n := range xenOnly(a.notes) {
					have[n.Type] = true
				}
			}
		}
	}

	slot := ours
	if slot < 0 {
		for i, p := range f.progs {
			if p.Type == ptGNUStack {
				slot = i
				break
			}
		}
	}
	if slot < 0 {
		var types []uint32
		for _, p := range f.progs {
			types = append(types, p.Type)
		}
		return nil, res, &NoSlotError{Phnum: len(f.progs), Types: types}
	}

	// The physical entry address.
	entry := opt.Entry
	res.Source = "-entry"
	if foreignEntry != 0 {
		entry, res.Source = foreignEntry, "existing note in "+foreignWhere
	} else if entry == 0 {
		// Prefer the ABI0 symbol: it is the assembly body itself. The
		// unsuffixed name, when both exist, is the linker's ABIInternal
		// wrapper, which is Go code and must not be entered in 32-bit mode.
		names := []string{opt.EntrySymbol + ".abi0", opt.EntrySymbol}
		if strings.HasSuffix(opt.EntrySymbol, ".abi0") {
			names = []string{opt.EntrySymbol}
		}
		name, v, err := f.lookupSymbol(names)
		if err != nil {
			return nil, res, err
		}
		p, ok := f.virtToPhys(v)
		if !ok {
			return nil, res, &EntryError{Entry: v, Symbol: name, Segments: f.loads()}
		}
		entry = p
		res.Source = "symbol " + name
	} else if !f.physInExec(entry) {
		return nil, res, &EntryError{Entry: entry, Physical: true, Segments: f.loads()}
	}

	// Anything in the region besides what we appended would be lost.
	var dropLast bool // the last section is our .note.Xen from an earlier run
	if ours >= 0 {
		for i, p := range f.progs {
			if i != ours && p.Filesz > 0 && p.Off+p.Filesz > region {
				return nil, res, &LayoutError{What: fmt.Sprintf("program header #%d (type %#x)", i, p.Type), Off: p.Off, Region: region}
			}
		}
		for i, s := range f.sects {
			if s.Type == 0 || s.Type == shtNobits || s.Size == 0 || s.Off+s.Size <= region {
				continue
			}
			switch {
			case i == int(f.shstrndx):
				// Ours; rebuilt below from its current contents.
			case i == len(f.sects)-1 && s.Type == shtNote && s.Off == region:
				dropLast = true
			default:
				return nil, res, &LayoutError{What: "section " + f.sectionName(i), Off: s.Off, Region: region}
			}
		}
	}

	var notes []Note
	for _, n := range []Note{
		{XenNoteName, XEN_ELFNOTE_PHYS32_ENTRY, le.AppendUint32(nil, uint32(entry))},
		{XenNoteName, XEN_ELFNOTE_GUEST_OS, append([]byte(opt.GuestOS), 0)},
		{XenNoteName, XEN_ELFNOTE_XEN_VERSION, []byte("xen-3.0\x00")},
		{XenNoteName, XEN_ELFNOTE_LOADER, []byte("generic\x00")},
	} {
		if !have[n.Type] {
			notes = append(notes, n)
		}
	}
	if hasPV {
		notes = append(notes, pvNotes(pv)...)
		res.PVEntry, res.HypercallPage = pv.Entry, pv.HypercallPage
	}
	blob := encodeNotes(notes)

	// Read what must survive before the region is cut off.
	sects := append([]sect(nil), f.sects...)
	if dropLast {
		sects = sects[:len(sects)-1]
	}
	shstr := append([]byte(nil), f.shstrtab()...)

	out := make([]byte, region, region+uint64(len(blob))+uint64(len(shstr))+64+uint64(len(sects)+1)*shdrSize)
	copy(out, in[:min(uint64(len(in)), region)])
	out = append(out, blob...)

	prog{
		Type: ptNote, Flags: pfR,
		Off: region, Filesz: uint64(len(blob)),
		Align: 4, // QEMU's PVH loader aligns the name by p_align
	}.put(out[f.phoff+uint64(slot)*phdrSize:])

	if len(sects) > 0 {
		if len(sects)+1 >= shnLoreserv {
			return nil, res, &HeaderError{Field: "e_shnum", Got: uint64(len(sects) + 1), Want: shnLoreserv - 1}
		}
		var nameOff uint32
		if f.shstrndx != 0 {
			if i := findName(shstr, noteSectionName); i >= 0 {
				nameOff = uint32(i)
			} else {
				if len(shstr) == 0 {
					shstr = []byte{0}
				}
				nameOff = uint32(len(shstr))
				shstr = append(append(shstr, noteSectionName...), 0)
			}
			sects[f.shstrndx].Off = uint64(len(out))
			sects[f.shstrndx].Size = uint64(len(shstr))
			out = append(out, shstr...)
		}
		sects = append(sects, sect{
			Name: nameOff, Type: shtNote,
			Off: region, Size: uint64(len(blob)), Addralign: 4,
		})
		out = appendSectionTable(out, sects)
	}

	all, err := XenNotes(out)
	if err != nil {
		return nil, res, err
	}
	res.Entry = entry
	res.Notes = len(all)
	res.Size = len(out)
	res.Modes = Modes(all)
	return out, res, nil
}

// findName returns the offset of name as a whole NUL-terminated string in tab.
func findName(tab []byte, name string) int {
	pat := append([]byte(name), 0)
	for off := 0; off < len(tab); {
		i := bytes.Index(tab[off:], pat)
		if i < 0 {
			return -1
		}
		if at := off + i; at == 0 || tab[at-1] == 0 {
			return at
		}
		off += i + 1
	}
	return -1
}

// physInExec reports whether physical address a lies in the file-backed
// part of an executable PT_LOAD.
func (f *file) physInExec(a uint64) bool {
	for _, p := range f.progs {
		if p.Type == ptLoad && p.Flags&pfX != 0 && a >= p.Paddr && a-p.Paddr < p.Filesz {
			return true
		}
	}
	return false
}

// virtToPhys maps a virtual address inside an executable PT_LOAD to its
// physical address.
func (f *file) virtToPhys(v uint64) (uint64, bool) {
	for _, p := range f.progs {
		if p.Type == ptLoad && p.Flags&pfX != 0 && v >= p.Vaddr && v-p.Vaddr < p.Filesz {
			return v - p.Vaddr + p.Paddr, true
		}
	}
	return 0, false
}

// appendSectionTable appends a section header table of sects to out,
// 8-byte aligned, and points the ELF header's e_shoff and e_shnum at it.
// (Report and Strip both write a new table at the end of the file: the
// old one cannot grow or shrink in place.)
func appendSectionTable(out []byte, sects []sect) []byte {
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	shoff := uint64(len(out))
	for _, s := range sects {
		var b [shdrSize]byte
		s.put(b[:])
		out = append(out, b[:]...)
	}
	le.PutUint64(out[offEShoff:], shoff)
	le.PutUint16(out[offEShnum:], uint16(len(sects)))
	return out
}
