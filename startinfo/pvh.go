package startinfo

import "iter"

// PVH is a decoded struct hvm_start_info
// (xen/include/public/arch-x86/hvm/start_info.h) together with the command
// line, module list and memory map it points to.
//
// All storage is fixed-size so that Decode can fill it without a heap.
type PVH struct {
	Paddr   uint64 // where the structure was read from (%ebx at entry)
	Version uint32
	Flags   uint32 // SIF_* flags
	RSDP    uint64 // physical address of the ACPI RSDP; 0 if absent

	Cmdline      [MaxCmdline]byte // the command line, NUL excluded
	CmdlineLen   int
	CmdlinePaddr uint64 // 0 if Xen passed no command line
	// A command line of MaxCmdline bytes or more is cut to MaxCmdline-1
	// (MAX_GUEST_CMDLINE counts the NUL): CmdlineTruncated says so, and
	// CmdlineFullLen is its length, or 0 if no NUL was found within
	// MaxCmdlineScan bytes or before memory ended.
	CmdlineTruncated bool
	CmdlineFullLen   int

	Modules  [MaxModules]Module
	NModules int
	// ModlistPaddr is where the module list was read from; 0 if none.
	ModlistPaddr uint64

	Memmap  [MaxMemmap]MemmapEntry
	NMemmap int
	// MemmapPaddr is where the memory map was read from; 0 if none (always
	// so for version 0, where the guest must ask Xen with XENMEM_memory_map).
	MemmapPaddr uint64

	// Err is the storage for the error Decode returns.
	Err Error

	scratch [hvmStartInfoSizeV1]byte
}

// Module is one struct hvm_modlist_entry
// (xen/include/public/arch-x86/hvm/start_info.h), without its reserved word.
type Module struct {
	Paddr        uint64 // physical address of the module's first byte
	Size         uint64 // size in bytes
	CmdlinePaddr uint64 // NUL-terminated command line; 0 if none. Not copied.
}

// MemmapEntry is one struct hvm_memmap_table_entry
// (xen/include/public/arch-x86/hvm/start_info.h), without its reserved word.
type MemmapEntry struct {
	Addr, Size uint64
	Type       uint32 // XEN_HVM_MEMMAP_TYPE_*
}

// End returns the first address after the entry. Decode has checked that
// it does not wrap.
func (e MemmapEntry) End() uint64 { return e.Addr + e.Size }

// Decode reads the hvm_start_info at paddr, then the command line, the
// module list and (version 1 and newer) the memory map it points to. A
// version above KnownPVHVersion is decoded as that version. It returns nil,
// or &p.Err describing the first check that failed; on failure the other
// fields are unspecified. Decode does not allocate on any path.
func (p *PVH) Decode(m Memory, paddr uint64) error {
	*p = PVH{Paddr: paddr}
	b := p.scratch[:]

	// Read magic and version first, so a wrong pointer is reported as a bad
	// magic rather than as a short structure.
	if !inMemory(m, paddr, 8) {
		return fail(&p.Err, KindOutOfRange, PartStartInfo, -1, paddr, 8)
	}
	m.ReadAt(b[:8], paddr)
	if magic := le32(b[0:]); magic != XEN_HVM_START_MAGIC_VALUE {
		return fail(&p.Err, KindBadMagic, PartMagic, -1, uint64(magic), XEN_HVM_START_MAGIC_VALUE)
	}
	// Any version from 1 on is read as version 1 (see KnownPVHVersion).
	p.Version = le32(b[4:])
	size := uint64(hvmStartInfoSizeV0)
	if p.Version >= 1 {
		size = hvmStartInfoSizeV1
	}
	if !inMemory(m, paddr, size) {
		return fail(&p.Err, KindOutOfRange, PartStartInfo, -1, paddr, size)
	}
	m.ReadAt(b[:size], paddr)

	p.Flags = le32(b[8:])
	nModules := le32(b[12:])
	modlist := le64(b[16:])
	cmdline := le64(b[24:])
	p.RSDP = le64(b[32:])
	var memmap uint64
	var nMemmap uint32
	if p.Version >= 1 {
		memmap = le64(b[40:])
		nMemmap = le32(b[48:])
	}

	if cmdline != 0 {
		// The header has been read out of scratch: it serves as the
		// buffer for measuring a command line too long to keep.
		n, full, err := readCmdline(&p.Err, m, cmdline, p.Cmdline[:], p.scratch[:])
		if err != nil {
			return err
		}
		p.CmdlinePaddr, p.CmdlineLen = cmdline, n
		p.CmdlineTruncated, p.CmdlineFullLen = full != n, full
	}

	if nModules > MaxModules {
		return fail(&p.Err, KindCount, PartModules, -1, uint64(nModules), MaxModules)
	}
	if nModules > 0 {
		if !inMemory(m, modlist, uint64(nModules)*hvmModlistEntrySize) {
			return fail(&p.Err, KindOutOfRange, PartModuleList, -1, modlist, uint64(nModules)*hvmModlistEntrySize)
		}
		p.ModlistPaddr = modlist
		for i := 0; i < int(nModules); i++ {
			e := b[:hvmModlistEntrySize]
			m.ReadAt(e, modlist+uint64(i)*hvmModlistEntrySize)
			mod := Module{Paddr: le64(e[0:]), Size: le64(e[8:]), CmdlinePaddr: le64(e[16:])}
			if !inMemory(m, mod.Paddr, mod.Size) {
				return fail(&p.Err, KindOutOfRange, PartModule, i, mod.Paddr, mod.Size)
			}
			// Only the first byte is checked: the string's length is the
			// module consumer's business, and copying it would need storage
			// for MaxModules command lines.
			if mod.CmdlinePaddr != 0 && !inMemory(m, mod.CmdlinePaddr, 1) {
				return fail(&p.Err, KindOutOfRange, PartModuleCmdline, i, mod.CmdlinePaddr, 1)
			}
			p.Modules[i] = mod
			p.NModules = i + 1
		}
	}

	// Version 1 says memmap_entries is zero when there is no map.
	if nMemmap > MaxMemmap {
		return fail(&p.Err, KindCount, PartMemmap, -1, uint64(nMemmap), MaxMemmap)
	}
	if nMemmap > 0 {
		if !inMemory(m, memmap, uint64(nMemmap)*hvmMemmapEntrySize) {
			return fail(&p.Err, KindOutOfRange, PartMemmap, -1, memmap, uint64(nMemmap)*hvmMemmapEntrySize)
		}
		p.MemmapPaddr = memmap
		for i := 0; i < int(nMemmap); i++ {
			e := b[:hvmMemmapEntrySize]
			m.ReadAt(e, memmap+uint64(i)*hvmMemmapEntrySize)
			ent := MemmapEntry{Addr: le64(e[0:]), Size: le64(e[8:]), Type: le32(e[16:])}
			// The map describes memory rather than living in it, so it is
			// not checked against m; but a region that wraps past 2^64
			// cannot exist.
			if ent.Addr+ent.Size < ent.Addr {
				return fail(&p.Err, KindOutOfRange, PartMemmapEntry, i, ent.Addr, ent.Size)
			}
			p.Memmap[i] = ent
			p.NMemmap = i + 1
		}
	}
	return nil
}

// readCmdline copies the NUL-terminated string at paddr into dst (whose
// length is the bound) and returns its length n. A string that does not
// end within the bound is cut to len(dst)-1 bytes: full is then its whole
// length, or 0 if its NUL is not within MaxCmdlineScan bytes or memory
// ends first. Otherwise full == n. The string must be readable up to its
// NUL or the bound, whichever comes first.
//
// scratch is a buffer for that measuring: a local array would escape to
// the heap, as it is passed to m, and the decoder must not allocate.
func readCmdline(e *Error, m Memory, paddr uint64, dst, scratch []byte) (n, full int, err error) {
	bound := uint64(len(dst))
	// Fast path: the whole bound is readable, so read it in one go.
	if inMemory(m, paddr, bound) {
		m.ReadAt(dst, paddr)
		for i, c := range dst {
			if c == 0 {
				clear(dst[i:])
				return i, i, nil
			}
		}
		// kernel:nopanic dst is a fixed array, never empty
		dst[len(dst)-1] = 0
		return len(dst) - 1, cmdlineLength(m, paddr, bound, scratch), nil
	}
	// Slow path: memory ends within the bound, so go byte by byte and
	// require the NUL before the end of memory.
	for i := uint64(0); i < bound; i++ {
		if !inMemory(m, paddr+i, 1) {
			return 0, 0, fail(e, KindOutOfRange, PartCmdline, -1, paddr, i+1)
		}
		m.ReadAt(dst[i:i+1], paddr+i)
		if dst[i] == 0 {
			return int(i), int(i), nil
		}
	}
	// Not reached: if every byte of the bound were readable the fast path
	// would have taken it. Kept for a Memory whose answers are inconsistent.
	return 0, 0, fail(e, KindCmdline, PartCmdline, -1, paddr, bound)
}

// MaxCmdlineScan bounds the search for the end of a command line that is
// too long to keep, made only to say how long it was.
const MaxCmdlineScan = 64 << 10

// cmdlineLength finds the NUL of the string at paddr, known to have none
// in its first from bytes, reading through buf: its length, or 0 if not
// found within MaxCmdlineScan bytes or before memory ends.
func cmdlineLength(m Memory, paddr, from uint64, buf []byte) int {
	for i := from; i < MaxCmdlineScan; {
		k := uint64(len(buf))
		for k > 0 && !inMemory(m, paddr+i, k) {
			k /= 2 // near the end of memory: read less
		}
		if k == 0 {
			return 0
		}
		// kernel:nopanic k <= len(buf): it starts there and only halves
		m.ReadAt(buf[:k], paddr+i)
		for j, c := range buf[:k] {
			if c == 0 {
				return int(i) + j
			}
		}
		i += k
	}
	return 0
}

// ParsePVH allocates a PVH and decodes the start info at paddr into it.
func ParsePVH(m Memory, paddr uint64) (*PVH, error) {
	p := new(PVH)
	if err := p.Decode(m, paddr); err != nil {
		return nil, err
	}
	return p, nil
}

// CmdlineBytes returns the command line without its NUL, as a slice of p.
// kernel:nopanic CmdlineLen <= len(Cmdline): readCmdline caps it
func (p *PVH) CmdlineBytes() []byte { return p.Cmdline[:p.CmdlineLen] }

// CmdlineString returns the command line as a string (this allocates).
func (p *PVH) CmdlineString() string { return string(p.CmdlineBytes()) }

// ModuleList returns the decoded modules, as a slice of p.
// kernel:nopanic NModules <= len(Modules): the reader caps it
func (p *PVH) ModuleList() []Module { return p.Modules[:p.NModules] }

// MemoryMap returns the decoded memory map entries, as a slice of p.
// kernel:nopanic NMemmap <= len(Memmap): the reader caps it
func (p *PVH) MemoryMap() []MemmapEntry { return p.Memmap[:p.NMemmap] }

// RAM yields the memory map entries of type XEN_HVM_MEMMAP_TYPE_RAM, in
// map order.
func (p *PVH) RAM() iter.Seq[MemmapEntry] {
	return func(yield func(MemmapEntry) bool) {
		for _, e := range p.MemoryMap() {
			if e.Type == XEN_HVM_MEMMAP_TYPE_RAM && !yield(e) {
				return
			}
		}
	}
}

// TotalRAM sums the sizes of the RAM entries of the memory map. Decode has
// checked each entry; the sum saturates rather than wrap.
func (p *PVH) TotalRAM() uint64 {
	var total uint64
	for _, e := range p.MemoryMap() {
		if e.Type != XEN_HVM_MEMMAP_TYPE_RAM {
			continue
		}
		if total+e.Size < total {
			return ^uint64(0)
		}
		total += e.Size
	}
	return total
}
