package linker

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// The ELF64 layouts and constants below are from the System V gABI
// (see also /usr/include/elf.h): Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr, Elf64_Sym.
// The package parses the raw bytes itself instead of using debug/elf so that
// it can rewrite headers in place and reject malformed input with precise
// errors; the tests use debug/elf as an independent reader.
const (
	ehdrSize = 64 // sizeof(Elf64_Ehdr)
	phdrSize = 56 // sizeof(Elf64_Phdr)
	shdrSize = 64 // sizeof(Elf64_Shdr)
	symSize  = 24 // sizeof(Elf64_Sym)

	elfMagic    = 0x7f454c46 // "\x7fELF", read big-endian for messages
	elfClass64  = 2          // ELFCLASS64
	elfDataLSB  = 1          // ELFDATA2LSB
	etExec      = 2          // ET_EXEC
	emX86_64    = 62         // EM_X86_64
	ptLoad      = 1          // PT_LOAD
	ptNote      = 4          // PT_NOTE
	ptGNUStack  = 0x6474e551 // PT_GNU_STACK
	pfX         = 1          // PF_X
	pfW         = 2          // PF_W
	pfR         = 4          // PF_R
	shtSymtab   = 2          // SHT_SYMTAB
	shtNote     = 7          // SHT_NOTE
	shtNobits   = 8          // SHT_NOBITS
	shnXindex   = 0xffff     // SHN_XINDEX
	shnLoreserv = 0xff00     // SHN_LORESERVE
)

// PVH enters the guest in 32-bit protected mode with paging off, so the
// image must sit below 4 GiB; the first MiB is left to legacy areas.
const (
	minPhys = 1 << 20
	maxPhys = 1 << 32
)

var le = binary.LittleEndian

// Byte offsets of the Elf64_Ehdr fields this package reads or writes.
const (
	offEType      = 16
	offEMachine   = 18
	offEPhoff     = 32
	offEShoff     = 40
	offEPhentsize = 54
	offEPhnum     = 56
	offEShentsize = 58
	offEShnum     = 60
	offEShstrndx  = 62
)

type prog struct { // Elf64_Phdr
	Type, Flags                             uint32
	Off, Vaddr, Paddr, Filesz, Memsz, Align uint64
}

func readProg(b []byte) prog {
	return prog{
		Type: le.Uint32(b[0:]), Flags: le.Uint32(b[4:]),
		Off: le.Uint64(b[8:]), Vaddr: le.Uint64(b[16:]), Paddr: le.Uint64(b[24:]),
		Filesz: le.Uint64(b[32:]), Memsz: le.Uint64(b[40:]), Align: le.Uint64(b[48:]),
	}
}

func (p prog) put(b []byte) {
	le.PutUint32(b[0:], p.Type)
	le.PutUint32(b[4:], p.Flags)
	le.PutUint64(b[8:], p.Off)
	le.PutUint64(b[16:], p.Vaddr)
	le.PutUint64(b[24:], p.Paddr)
	le.PutUint64(b[32:], p.Filesz)
	le.PutUint64(b[40:], p.Memsz)
	le.PutUint64(b[48:], p.Align)
}

type sect struct { // Elf64_Shdr
	Name, Type             uint32
	Flags, Addr, Off, Size uint64
	Link, Info             uint32
	Addralign, Entsize     uint64
}

func readSect(b []byte) sect {
	return sect{
		Name: le.Uint32(b[0:]), Type: le.Uint32(b[4:]),
		Flags: le.Uint64(b[8:]), Addr: le.Uint64(b[16:]), Off: le.Uint64(b[24:]), Size: le.Uint64(b[32:]),
		Link: le.Uint32(b[40:]), Info: le.Uint32(b[44:]),
		Addralign: le.Uint64(b[48:]), Entsize: le.Uint64(b[56:]),
	}
}

func (s sect) put(b []byte) {
	le.PutUint32(b[0:], s.Name)
	le.PutUint32(b[4:], s.Type)
	le.PutUint64(b[8:], s.Flags)
	le.PutUint64(b[16:], s.Addr)
	le.PutUint64(b[24:], s.Off)
	le.PutUint64(b[32:], s.Size)
	le.PutUint32(b[40:], s.Link)
	le.PutUint32(b[44:], s.Info)
	le.PutUint64(b[48:], s.Addralign)
	le.PutUint64(b[56:], s.Entsize)
}

// file is a parsed view of an ELF64 little-endian image.
type file struct {
	b        []byte
	typ      uint16
	machine  uint16
	phoff    uint64
	shoff    uint64
	shstrndx uint16
	progs    []prog
	sects    []sect
}

// inFile reports whether [off, off+size) lies inside a file of n bytes,
// without overflowing.
func inFile(off, size uint64, n int) bool {
	return off <= uint64(n) && size <= uint64(n)-off
}

// parse reads the ELF header and both header tables. It checks only what
// every caller needs (ELF64, little-endian, tables in bounds); AddNotes adds
// the x86-64/ET_EXEC checks through checkTarget.
func parse(b []byte) (*file, error) {
	if len(b) < 4 || !bytes.Equal(b[:4], []byte("\x7fELF")) {
		var got uint64
		for i := 0; i < 4 && i < len(b); i++ {
			got |= uint64(b[i]) << (24 - 8*i)
		}
		return nil, &HeaderError{Field: "magic", Got: got, Want: elfMagic}
	}
	if len(b) < 6 {
		return nil, &BoundsError{What: "ELF header", Off: 0, Size: ehdrSize, FileSize: uint64(len(b))}
	}
	if b[4] != elfClass64 {
		return nil, &HeaderError{Field: "EI_CLASS", Got: uint64(b[4]), Want: elfClass64}
	}
	if b[5] != elfDataLSB {
		return nil, &HeaderError{Field: "EI_DATA", Got: uint64(b[5]), Want: elfDataLSB}
	}
	if len(b) < ehdrSize {
		return nil, &BoundsError{What: "ELF header", Off: 0, Size: ehdrSize, FileSize: uint64(len(b))}
	}
	f := &file{
		b:        b,
		typ:      le.Uint16(b[offEType:]),
		machine:  le.Uint16(b[offEMachine:]),
		phoff:    le.Uint64(b[offEPhoff:]),
		shoff:    le.Uint64(b[offEShoff:]),
		shstrndx: le.Uint16(b[offEShstrndx:]),
	}
	phnum := uint64(le.Uint16(b[offEPhnum:]))
	if phnum > 0 {
		if es := le.Uint16(b[offEPhentsize:]); es != phdrSize {
			return nil, &HeaderError{Field: "e_phentsize", Got: uint64(es), Want: phdrSize}
		}
		if !inFile(f.phoff, phnum*phdrSize, len(b)) {
			return nil, &BoundsError{What: "program header table", Off: f.phoff, Size: phnum * phdrSize, FileSize: uint64(len(b))}
		}
		for i := uint64(0); i < phnum; i++ {
			f.progs = append(f.progs, readProg(b[f.phoff+i*phdrSize:]))
		}
	}
	shnum := uint64(le.Uint16(b[offEShnum:]))
	if shnum == 0 && f.shoff != 0 {
		return nil, &HeaderError{Field: "e_shnum", Got: 0, Want: 1}
	}
	if shnum > 0 {
		if es := le.Uint16(b[offEShentsize:]); es != shdrSize {
			return nil, &HeaderError{Field: "e_shentsize", Got: uint64(es), Want: shdrSize}
		}
		if !inFile(f.shoff, shnum*shdrSize, len(b)) {
			return nil, &BoundsError{What: "section header table", Off: f.shoff, Size: shnum * shdrSize, FileSize: uint64(len(b))}
		}
		if uint64(f.shstrndx) >= shnum {
			// Also catches SHN_XINDEX, which this tool does not support.
			return nil, &HeaderError{Field: "e_shstrndx", Got: uint64(f.shstrndx), Want: shnum}
		}
		for i := uint64(0); i < shnum; i++ {
			f.sects = append(f.sects, readSect(b[f.shoff+i*shdrSize:]))
		}
	}
	return f, nil
}

// checkTarget rejects anything that is not an x86-64 executable.
func (f *file) checkTarget() error {
	if f.machine != emX86_64 {
		return &HeaderError{Field: "e_machine", Got: uint64(f.machine), Want: emX86_64}
	}
	if f.typ != etExec {
		return &HeaderError{Field: "e_type", Got: uint64(f.typ), Want: etExec}
	}
	return nil
}

// sectionData returns the file bytes of section i.
func (f *file) sectionData(i int) ([]byte, error) {
	s := f.sects[i]
	if s.Type == shtNobits {
		return nil, nil
	}
	if !inFile(s.Off, s.Size, len(f.b)) {
		return nil, &BoundsError{What: "section " + f.sectionName(i), Off: s.Off, Size: s.Size, FileSize: uint64(len(f.b))}
	}
	return f.b[s.Off : s.Off+s.Size], nil
}

// shstrtab returns the section name string table, or nil if there is none
// or it lies outside the file.
func (f *file) shstrtab() []byte {
	if f.shstrndx == 0 || int(f.shstrndx) >= len(f.sects) {
		return nil
	}
	s := f.sects[f.shstrndx]
	if s.Type == shtNobits || !inFile(s.Off, s.Size, len(f.b)) {
		return nil
	}
	return f.b[s.Off : s.Off+s.Size]
}

// sectionName returns the name of section i, or "#i" if it has none.
func (f *file) sectionName(i int) string {
	if n := cstring(f.shstrtab(), uint64(f.sects[i].Name)); n != "" {
		return n
	}
	return "#" + strconv.Itoa(i)
}

// cstring returns the NUL-terminated string at off in tab ("" if out of range).
func cstring(tab []byte, off uint64) string {
	if off >= uint64(len(tab)) {
		return ""
	}
	s := tab[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// lookupSymbol returns the value of the first name found in .symtab.
func (f *file) lookupSymbol(names []string) (string, uint64, error) {
	var found bool
	for i, s := range f.sects {
		if s.Type != shtSymtab {
			continue
		}
		found = true
		syms, err := f.sectionData(i)
		if err != nil {
			return "", 0, err
		}
		if int(s.Link) >= len(f.sects) || s.Link == 0 {
			return "", 0, &HeaderError{Field: "sh_link of " + f.sectionName(i), Got: uint64(s.Link), Want: uint64(len(f.sects))}
		}
		strs, err := f.sectionData(int(s.Link))
		if err != nil {
			return "", 0, err
		}
		// Build a name -> value map once, then honour the preference order.
		want := make(map[string]bool, len(names))
		for _, n := range names {
			want[n] = true
		}
		vals := map[string]uint64{}
		for off := 0; off+symSize <= len(syms); off += symSize {
			n := cstring(strs, uint64(le.Uint32(syms[off:])))
			if want[n] {
				if _, dup := vals[n]; !dup {
					vals[n] = le.Uint64(syms[off+8:])
				}
			}
		}
		for _, n := range names {
			if v, ok := vals[n]; ok {
				return n, v, nil
			}
		}
	}
	return "", 0, &SymbolError{Tried: names, NoSymtab: !found}
}

// loads returns the PT_LOAD segments for error messages.
func (f *file) loads() []Segment {
	var segs []Segment
	for i, p := range f.progs {
		if p.Type == ptLoad {
			segs = append(segs, Segment{Index: i, Flags: p.Flags, Vaddr: p.Vaddr, Paddr: p.Paddr, Filesz: p.Filesz, Memsz: p.Memsz})
		}
	}
	return segs
}
