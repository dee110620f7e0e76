package startinfo

// PV is a decoded x86_64 start_info_t (xen/include/public/xen.h), the page
// Xen hands a classic PV guest in %rsi.
//
// The addresses in it are of several kinds, as the header says: shared_info
// is a machine address, the *_mfn fields are machine frame numbers, and
// pt_base, mfn_list and mod_start are virtual addresses in the guest's
// initial mapping (mod_start is a PFN when SIF_MOD_START_PFN is set).
// Decode records them; it does not follow them.
type PV struct {
	Paddr uint64 // where the structure was read from

	Magic    [pvMagicSize]byte // "xen-3.0-x86_64", NUL-padded
	MagicLen int               // bytes before the first NUL

	NrPages     uint64 // nr_pages: pages allocated to the domain
	SharedInfo  uint64 // shared_info: machine address of the shared info page
	Flags       uint32 // SIF_* flags
	StoreMFN    uint64 // store_mfn: xenstore ring page
	StoreEvtchn uint32 // store_evtchn
	// ConsoleMFN and ConsoleEvtchn are console.domU. For dom0
	// (SIF_INITDOMAIN) the same bytes are console.dom0; see Dom0Console.
	ConsoleMFN    uint64
	ConsoleEvtchn uint32
	PTBase        uint64 // pt_base: virtual address of the initial page tables
	NrPTFrames    uint64 // nr_pt_frames
	MFNList       uint64 // mfn_list: virtual address of the P->M list
	ModStart      uint64 // mod_start: initial ramdisk / module
	ModLen        uint64 // mod_len: its size in bytes
	FirstP2MPFN   uint64 // first_p2m_pfn
	NrP2MFrames   uint64 // nr_p2m_frames

	Cmdline      [MaxCmdline]byte // cmd_line up to its NUL
	CmdlineLen   int
	CmdlinePaddr uint64 // Paddr + 128, where cmd_line sits

	// Err is the storage for the error Decode returns.
	Err Error

	scratch [pvCmdlineOff]byte
}

// Decode reads the start_info_t at paddr. It returns nil, or &p.Err
// describing the first check that failed; on failure the other fields are
// unspecified. Decode does not allocate on any path.
func (p *PV) Decode(m Memory, paddr uint64) error {
	*p = PV{Paddr: paddr}

	if !inMemory(m, paddr, pvMagicSize) {
		return fail(&p.Err, KindOutOfRange, PartStartInfo, -1, paddr, pvMagicSize)
	}
	m.ReadAt(p.Magic[:], paddr)
	p.MagicLen = len(cstring(p.Magic[:]))
	if err := p.checkMagic(); err != nil {
		return err
	}
	if !inMemory(m, paddr, pvStartInfoSz) {
		return fail(&p.Err, KindOutOfRange, PartStartInfo, -1, paddr, pvStartInfoSz)
	}

	b := p.scratch[:]
	m.ReadAt(b, paddr)
	p.NrPages = le64(b[32:])
	p.SharedInfo = le64(b[40:])
	p.Flags = le32(b[48:])
	p.StoreMFN = le64(b[56:])
	p.StoreEvtchn = le32(b[64:])
	p.ConsoleMFN = le64(b[72:])
	p.ConsoleEvtchn = le32(b[80:])
	p.PTBase = le64(b[88:])
	p.NrPTFrames = le64(b[96:])
	p.MFNList = le64(b[104:])
	p.ModStart = le64(b[112:])
	p.ModLen = le64(b[120:])

	m.ReadAt(b[:16], paddr+pvP2MOff)
	p.FirstP2MPFN = le64(b[0:])
	p.NrP2MFrames = le64(b[8:])

	// cmd_line is an array inside the structure, so it is in memory; it
	// only has to hold its NUL.
	p.CmdlinePaddr = paddr + pvCmdlineOff
	m.ReadAt(p.Cmdline[:], p.CmdlinePaddr)
	n := len(cstring(p.Cmdline[:]))
	if n == MaxCmdline {
		return fail(&p.Err, KindCmdline, PartCmdline, -1, p.CmdlinePaddr, MaxCmdline)
	}
	clear(p.Cmdline[n:])
	p.CmdlineLen = n
	return nil
}

// checkMagic accepts exactly "xen-3.0-x86_64" followed by NUL.
func (p *PV) checkMagic() error {
	var what Part
	if string(p.Magic[:len(PVMagicPrefix)]) != PVMagicPrefix {
		what = PartPVMagic
	} else if string(p.Magic[:p.MagicLen]) != PVMagic {
		what = PartPVPlatform
	} else {
		return nil
	}
	p.Err = Error{Kind: KindBadMagic, What: what, Index: -1,
		Value: uint64(p.MagicLen), Limit: uint64(len(PVMagic)), Raw: p.Magic, hasRaw: true}
	return &p.Err
}

// ParsePV allocates a PV and decodes the start info at paddr into it.
func ParsePV(m Memory, paddr uint64) (*PV, error) {
	p := new(PV)
	if err := p.Decode(m, paddr); err != nil {
		return nil, err
	}
	return p, nil
}

// MagicString returns the magic up to its NUL (this allocates).
func (p *PV) MagicString() string { return string(p.Magic[:p.MagicLen]) }

// CmdlineBytes returns the command line without its NUL, as a slice of p.
func (p *PV) CmdlineBytes() []byte { return p.Cmdline[:p.CmdlineLen] }

// CmdlineString returns the command line as a string (this allocates).
func (p *PV) CmdlineString() string { return string(p.CmdlineBytes()) }

// Dom0Console returns console.dom0.info_off and info_size: for the initial
// domain the console union holds the offset and size of a
// dom0_vga_console_info inside the start info page instead of the domU ring
// (xen/include/public/xen.h). They share bytes 72..79 with ConsoleMFN.
func (p *PV) Dom0Console() (infoOff, infoSize uint32) {
	return uint32(p.ConsoleMFN), uint32(p.ConsoleMFN >> 32)
}

// cstring returns b up to its first NUL (all of b if there is none).
func cstring(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// Module returns where the initial module (mod_start, mod_len) lies in
// the guest's own address space: mod_start is a PFN when SIF_MOD_START_PFN
// is set, else a virtual address (xen/include/public/xen.h: start_info).
// goxen's PV kernels are linked with VIRT_BASE 0, so either way the result
// is also the pseudo-physical address. ok is false without a module, or
// if the range wraps.
func (p *PV) Module() (start, size uint64, ok bool) {
	if p.ModLen == 0 {
		return 0, 0, false
	}
	start = p.ModStart
	if p.Flags&SIF_MOD_START_PFN != 0 {
		if start > ^uint64(0)>>12 {
			return 0, 0, false
		}
		start <<= 12
	}
	if start+p.ModLen < start {
		return 0, 0, false
	}
	return start, p.ModLen, true
}
