package linker

import (
	"fmt"
	"strings"
)

// HeaderError reports an ELF header field that rules the file out: it is
// not an ELF file, not ELF64 little-endian, not x86-64, not an executable,
// or it uses a header layout this tool does not handle.
type HeaderError struct {
	Field string // "magic", "EI_CLASS", "EI_DATA", "e_machine", "e_type", ...
	Got   uint64
	Want  uint64
}

func (e *HeaderError) Error() string {
	switch e.Field {
	case "magic":
		return fmt.Sprintf("linker: not an ELF file: magic %#08x, want %#08x (\"\\x7fELF\")", e.Got, e.Want)
	case "EI_CLASS":
		return fmt.Sprintf("linker: not ELF64: EI_CLASS is %d, want %d (ELFCLASS64)", e.Got, e.Want)
	case "EI_DATA":
		return fmt.Sprintf("linker: not little-endian: EI_DATA is %d, want %d (ELFDATA2LSB)", e.Got, e.Want)
	case "e_machine":
		return fmt.Sprintf("linker: not x86-64: e_machine is %d, want %d (EM_X86_64)", e.Got, e.Want)
	case "e_type":
		return fmt.Sprintf("linker: not an executable: e_type is %d, want %d (ET_EXEC)", e.Got, e.Want)
	case "e_shnum":
		if e.Got == 0 {
			return "linker: e_shnum is 0 with e_shoff set: extended section numbering is not supported"
		}
		return fmt.Sprintf("linker: adding .note.Xen would make e_shnum %d; at most %d fit without extended section numbering", e.Got, e.Want)
	case "e_phentsize", "e_shentsize":
		return fmt.Sprintf("linker: ELF header field %s is %d, want %d", e.Field, e.Got, e.Want)
	}
	// e_shstrndx, sh_link: Want is the number of section headers.
	return fmt.Sprintf("linker: %s is %d, not a section index in 1..%d", e.Field, e.Got, e.Want-1)
}

// BoundsError reports a table or segment that does not fit in the file,
// for example after truncation.
type BoundsError struct {
	What     string // e.g. "program header table", "PT_LOAD #2", "section .symtab"
	Off      uint64
	Size     uint64
	FileSize uint64
}

func (e *BoundsError) Error() string {
	return fmt.Sprintf("linker: %s (offset %#x, size %#x) lies outside the file (%d bytes)",
		e.What, e.Off, e.Size, e.FileSize)
}

// SymbolError reports that the entry symbol is not in .symtab.
type SymbolError struct {
	Tried    []string // symbol names looked up, in order
	NoSymtab bool     // the file has no SHT_SYMTAB section at all (stripped with -s?)
}

func (e *SymbolError) Error() string {
	if e.NoSymtab {
		return fmt.Sprintf("linker: entry symbol %s: the file has no .symtab (was it linked with -s?); pass the address with -entry",
			strings.Join(e.Tried, " or "))
	}
	return fmt.Sprintf("linker: entry symbol not found in .symtab: tried %s", strings.Join(e.Tried, ", "))
}

// Segment describes one PT_LOAD in error messages.
type Segment struct {
	Index  int    // index in the program header table
	Flags  uint32 // PF_R|PF_W|PF_X
	Vaddr  uint64
	Paddr  uint64
	Filesz uint64
	Memsz  uint64
}

func (s Segment) String() string {
	fl := []byte("---")
	if s.Flags&pfR != 0 {
		fl[0] = 'R'
	}
	if s.Flags&pfW != 0 {
		fl[1] = 'W'
	}
	if s.Flags&pfX != 0 {
		fl[2] = 'X'
	}
	return fmt.Sprintf("#%d %s paddr [%#x, %#x)", s.Index, fl, s.Paddr, s.Paddr+s.Memsz)
}

// EntryError reports an entry address outside every executable PT_LOAD.
type EntryError struct {
	Entry    uint64 // the offending address
	Physical bool   // Entry is physical (from Options.Entry or a note) rather than a symbol's virtual address
	Symbol   string // symbol it came from, if any
	Note     string // where the existing PHYS32_ENTRY note lives, if it came from one
	Segments []Segment
}

func (e *EntryError) Error() string {
	var segs []string
	for _, s := range e.Segments {
		segs = append(segs, s.String())
	}
	from := "physical address"
	if !e.Physical {
		from = "virtual address"
	}
	switch {
	case e.Symbol != "":
		from = "symbol " + e.Symbol + " at " + from
	case e.Note != "":
		from = "XEN_ELFNOTE_PHYS32_ENTRY in " + e.Note + ", " + from
	}
	return fmt.Sprintf("linker: entry (%s %#x) lies outside every executable PT_LOAD; PT_LOADs: %s",
		from, e.Entry, strings.Join(segs, "; "))
}

// RangeError reports a PT_LOAD whose physical range is not inside
// [1 MiB, 4 GiB): PVH starts the guest in 32-bit mode with paging off, so
// everything must be reachable with 32-bit physical addresses, and the
// first megabyte holds the real-mode legacy areas.
type RangeError struct {
	Index      int // program header index
	Start, End uint64
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("linker: PT_LOAD #%d physical range [%#x, %#x) is not inside [%#x, %#x); link with -ldflags='%s' or similar",
		e.Index, e.Start, e.End, uint64(minPhys), uint64(maxPhys), LDFlags())
}

// NoSlotError reports that there is no program header to reuse.
type NoSlotError struct {
	Phnum int
	Types []uint32 // p_type of every program header
}

func (e *NoSlotError) Error() string {
	var ts []string
	for _, t := range e.Types {
		ts = append(ts, fmt.Sprintf("%#x", t))
	}
	return fmt.Sprintf("linker: no PT_GNU_STACK program header to turn into the Xen PT_NOTE and no Xen PT_NOTE from an earlier run "+
		"(program header types: %s); the program header table cannot grow without moving the segments behind it, "+
		"so the Go linker's PT_GNU_STACK is the slot this tool reuses", strings.Join(ts, " "))
}

// NoteError reports a malformed note inside a PT_NOTE segment or SHT_NOTE section.
type NoteError struct {
	Where  string // "PT_NOTE #1", "section .note.Xen"
	Off    uint64 // offset of the bad note inside that segment or section
	Reason string
}

func (e *NoteError) Error() string {
	return fmt.Sprintf("linker: %s: malformed note at offset %#x: %s", e.Where, e.Off, e.Reason)
}

// LayoutError reports a file that carries our Xen PT_NOTE but also has
// other data in the region an earlier run appended, so rebuilding in place
// would destroy it.
type LayoutError struct {
	What   string
	Off    uint64
	Region uint64 // start of the appended region
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("linker: %s at offset %#x lies in the region appended by an earlier run (from %#x); refusing to rebuild it",
		e.What, e.Off, e.Region)
}

// ExistingEntryError reports that the file already has a PHYS32_ENTRY note
// from another tool and Options.Entry asks for a different address.
type ExistingEntryError struct {
	Where     string // where the existing note lives
	Existing  uint64
	Requested uint64
}

func (e *ExistingEntryError) Error() string {
	return fmt.Sprintf("linker: %s already has XEN_ELFNOTE_PHYS32_ENTRY=%#x, but entry %#x was requested; remove that note or drop the entry option",
		e.Where, e.Existing, e.Requested)
}

// OptionError reports an unusable option value.
type OptionError struct {
	Option string
	Value  string
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("linker: option %s=%q: %s", e.Option, e.Value, e.Reason)
}

// StripError reports a section that Strip cannot keep correct once the
// sections it drops are gone: one that links to a dropped section, or one
// that would be renumbered while a dynamic symbol table names sections by
// number.
type StripError struct {
	Section string
	Reason  string
}

func (e *StripError) Error() string {
	return fmt.Sprintf("linker: cannot strip section %s: %s", e.Section, e.Reason)
}
