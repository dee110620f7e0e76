package startinfo

import "strconv"

// Everything here appends to a caller's buffer with strconv's Append
// functions and constant strings, so a dump costs no allocation when the
// buffer is big enough.

// MaxFormatLen bounds the length of a PVH or PV Format dump: a buffer with
// this capacity never has to grow. The worst case (a 1023-byte command line
// of unprintable bytes, 64 modules and 128 memory map entries, all with
// 64-bit values) is about 27 KiB; a real dump is a few hundred bytes.
const MaxFormatLen = 32 << 10

// MemmapTypeName returns a short name for a XEN_HVM_MEMMAP_TYPE_* value,
// or "unknown".
func MemmapTypeName(t uint32) string {
	switch t {
	case XEN_HVM_MEMMAP_TYPE_RAM:
		return "RAM"
	case XEN_HVM_MEMMAP_TYPE_RESERVED:
		return "reserved"
	case XEN_HVM_MEMMAP_TYPE_ACPI:
		return "ACPI"
	case XEN_HVM_MEMMAP_TYPE_NVS:
		return "ACPI NVS"
	case XEN_HVM_MEMMAP_TYPE_UNUSABLE:
		return "unusable"
	case XEN_HVM_MEMMAP_TYPE_DISABLED:
		return "disabled"
	case XEN_HVM_MEMMAP_TYPE_PMEM:
		return "PMEM"
	case XEN_HVM_MEMMAP_TYPE_SHARED_INFO:
		return "Xen shared info"
	case XEN_HVM_MEMMAP_TYPE_GRANT_TABLE:
		return "Xen grant table"
	case XEN_HVM_MEMMAP_TYPE_GNTTAB_STATUS:
		return "Xen grant status"
	case XEN_HVM_MEMMAP_TYPE_FOREIGN_REG:
		return "Xen foreign region"
	}
	return "unknown"
}

// sifNames lists the single-bit SIF_* flags in bit order.
var sifNames = [...]struct {
	bit  uint32
	name string
}{
	{SIF_PRIVILEGED, "SIF_PRIVILEGED"},
	{SIF_INITDOMAIN, "SIF_INITDOMAIN"},
	{SIF_MULTIBOOT_MOD, "SIF_MULTIBOOT_MOD"},
	{SIF_MOD_START_PFN, "SIF_MOD_START_PFN"},
	{SIF_VIRT_P2M_4TOOLS, "SIF_VIRT_P2M_4TOOLS"},
}

// AppendFlags appends flags as names joined by '|', in bit order, e.g.
// "SIF_PRIVILEGED|SIF_INITDOMAIN". The xen-pm byte (SIF_PM_MASK) is shown
// as SIF_PM(0x..), and bits Xen has not named as one hex number. Zero
// flags append "0".
func AppendFlags(buf []byte, flags uint32) []byte {
	if flags == 0 {
		return append(buf, '0')
	}
	// Each part is followed by '|'; the last one is trimmed at the end.
	rest := flags
	for _, f := range sifNames {
		if flags&f.bit != 0 {
			buf = append(buf, f.name...)
			buf = append(buf, '|')
			rest &^= f.bit
		}
	}
	if pm := flags & SIF_PM_MASK; pm != 0 {
		buf = append(buf, "SIF_PM("...)
		buf = appendHex(buf, uint64(pm>>8))
		buf = append(buf, ")|"...)
		rest &^= SIF_PM_MASK
	}
	if rest != 0 {
		buf = appendHex(buf, uint64(rest))
		buf = append(buf, '|')
	}
	// kernel:nopanic buf ends with the '|' appended in the loop, which ran at least once
	return buf[:len(buf)-1]
}

// FlagsString returns AppendFlags's text as a string.
func FlagsString(flags uint32) string {
	var buf [128]byte
	return string(AppendFlags(buf[:0], flags))
}

// Format appends a multi-line, human-readable dump of the start of day to
// buf: version, flags, command line, RSDP, modules, each memory map entry
// as [start, end) size type, and the total RAM.
func (p *PVH) Format(buf []byte) []byte {
	buf = append(buf, "PVH start info at "...)
	buf = appendHex(buf, p.Paddr)
	buf = append(buf, "\n  version  "...)
	buf = strconv.AppendUint(buf, uint64(p.Version), 10)
	if p.Version > KnownPVHVersion {
		buf = append(buf, " (newer than "...)
		buf = strconv.AppendUint(buf, KnownPVHVersion, 10)
		buf = append(buf, ": read as that)"...)
	}
	buf = append(buf, "\n  flags    "...)
	buf = appendHex(buf, uint64(p.Flags))
	buf = append(buf, ' ')
	buf = AppendFlags(buf, p.Flags)
	buf = append(buf, "\n  cmdline  "...)
	if p.CmdlinePaddr == 0 {
		buf = append(buf, "none"...)
	} else {
		buf = appendQuoted(buf, p.CmdlineBytes())
		buf = append(buf, " at "...)
		buf = appendHex(buf, p.CmdlinePaddr)
	}
	buf = append(buf, "\n  rsdp     "...)
	if p.RSDP == 0 {
		buf = append(buf, "none"...)
	} else {
		buf = appendHex(buf, p.RSDP)
	}
	buf = append(buf, "\n  modules  "...)
	buf = strconv.AppendUint(buf, uint64(p.NModules), 10)
	if p.NModules > 0 {
		buf = append(buf, " at "...)
		buf = appendHex(buf, p.ModlistPaddr)
	}
	for i, m := range p.ModuleList() {
		buf = append(buf, "\n    "...)
		buf = strconv.AppendUint(buf, uint64(i), 10)
		buf = append(buf, ": "...)
		buf = appendRange(buf, m.Paddr, m.Size)
		if m.CmdlinePaddr != 0 {
			buf = append(buf, " cmdline at "...)
			buf = appendHex(buf, m.CmdlinePaddr)
		}
	}
	buf = append(buf, "\n  memmap   "...)
	switch {
	case p.Version == 0:
		buf = append(buf, "none (version 0; ask Xen with XENMEM_memory_map)"...)
	case p.NMemmap == 0:
		buf = append(buf, "none"...)
	default:
		buf = strconv.AppendUint(buf, uint64(p.NMemmap), 10)
		buf = append(buf, " entries at "...)
		buf = appendHex(buf, p.MemmapPaddr)
	}
	for _, e := range p.MemoryMap() {
		buf = append(buf, "\n    "...)
		buf = appendRange(buf, e.Addr, e.Size)
		buf = append(buf, ' ')
		buf = append(buf, MemmapTypeName(e.Type)...)
		if MemmapTypeName(e.Type) == "unknown" {
			buf = append(buf, " type "...)
			buf = appendHex(buf, uint64(e.Type))
		}
	}
	if p.NMemmap > 0 {
		total := p.TotalRAM()
		buf = append(buf, "\n  total RAM "...)
		buf = appendHex(buf, total)
		buf = append(buf, " ("...)
		buf = appendSize(buf, total)
		buf = append(buf, ')')
	}
	return append(buf, '\n')
}

// String returns the Format dump.
func (p *PVH) String() string { return string(p.Format(make([]byte, 0, 1024))) }

// Format appends a multi-line, human-readable dump of the PV start info.
func (p *PV) Format(buf []byte) []byte {
	buf = append(buf, "PV start info at "...)
	buf = appendHex(buf, p.Paddr)
	buf = append(buf, "\n  magic         "...)
	buf = appendQuoted(buf, p.Magic[:p.MagicLen])
	buf = append(buf, "\n  nr_pages      "...)
	buf = appendHex(buf, p.NrPages)
	buf = append(buf, " ("...)
	buf = appendSize(buf, p.NrPages<<12)
	buf = append(buf, ")\n  shared_info   "...)
	buf = appendHex(buf, p.SharedInfo)
	buf = append(buf, "\n  flags         "...)
	buf = appendHex(buf, uint64(p.Flags))
	buf = append(buf, ' ')
	buf = AppendFlags(buf, p.Flags)
	buf = append(buf, "\n  store         mfn "...)
	buf = appendHex(buf, p.StoreMFN)
	buf = append(buf, " evtchn "...)
	buf = strconv.AppendUint(buf, uint64(p.StoreEvtchn), 10)
	if p.Flags&SIF_INITDOMAIN != 0 {
		off, size := p.Dom0Console()
		buf = append(buf, "\n  console       dom0 info_off "...)
		buf = appendHex(buf, uint64(off))
		buf = append(buf, " info_size "...)
		buf = appendHex(buf, uint64(size))
	} else {
		buf = append(buf, "\n  console       mfn "...)
		buf = appendHex(buf, p.ConsoleMFN)
		buf = append(buf, " evtchn "...)
		buf = strconv.AppendUint(buf, uint64(p.ConsoleEvtchn), 10)
	}
	buf = append(buf, "\n  pt_base       "...)
	buf = appendHex(buf, p.PTBase)
	buf = append(buf, " nr_pt_frames "...)
	buf = strconv.AppendUint(buf, p.NrPTFrames, 10)
	buf = append(buf, "\n  mfn_list      "...)
	buf = appendHex(buf, p.MFNList)
	buf = append(buf, "\n  mod_start     "...)
	buf = appendHex(buf, p.ModStart)
	if p.Flags&SIF_MOD_START_PFN != 0 {
		buf = append(buf, " (PFN)"...)
	}
	buf = append(buf, " mod_len "...)
	buf = appendHex(buf, p.ModLen)
	buf = append(buf, "\n  first_p2m_pfn "...)
	buf = appendHex(buf, p.FirstP2MPFN)
	buf = append(buf, " nr_p2m_frames "...)
	buf = strconv.AppendUint(buf, p.NrP2MFrames, 10)
	buf = append(buf, "\n  cmdline       "...)
	buf = appendQuoted(buf, p.CmdlineBytes())
	return append(buf, '\n')
}

// String returns the Format dump.
func (p *PV) String() string { return string(p.Format(make([]byte, 0, 1024))) }

// appendHex appends v as 0x-prefixed lower-case hex.
func appendHex(buf []byte, v uint64) []byte {
	return strconv.AppendUint(append(buf, "0x"...), v, 16)
}

// appendHexPad appends v as 0x-prefixed hex of at least width digits, so
// memory map columns line up.
func appendHexPad(buf []byte, v uint64, width int) []byte {
	buf = append(buf, "0x"...)
	digits := 1
	for w := v >> 4; w != 0; w >>= 4 {
		digits++
	}
	for ; digits < width; digits++ {
		buf = append(buf, '0')
	}
	return strconv.AppendUint(buf, v, 16)
}

// appendRange appends "[start, end) size (human size)". An end past 2^64
// is shown as 2^64 - 1 with a '!' so a bad module entry still prints.
func appendRange(buf []byte, addr, size uint64) []byte {
	buf = append(buf, '[')
	buf = appendHexPad(buf, addr, 8)
	buf = append(buf, ", "...)
	if end := addr + size; end < addr {
		buf = append(buf, "0xffffffffffffffff!"...)
	} else {
		buf = appendHexPad(buf, end, 8)
	}
	buf = append(buf, ") "...)
	buf = appendHex(buf, size)
	buf = append(buf, " ("...)
	buf = appendSize(buf, size)
	return append(buf, ')')
}

// appendSize appends n bytes in the largest binary unit it reaches, with
// one decimal digit when not exact ("639 KiB", "1.5 GiB").
func appendSize(buf []byte, n uint64) []byte {
	units := [...]struct {
		shift uint
		name  string
	}{{60, " EiB"}, {50, " PiB"}, {40, " TiB"}, {30, " GiB"}, {20, " MiB"}, {10, " KiB"}}
	for _, u := range units {
		if n>>u.shift == 0 {
			continue
		}
		whole := n >> u.shift
		rem := n & (1<<u.shift - 1)
		buf = strconv.AppendUint(buf, whole, 10)
		if rem != 0 {
			// rem < 2^shift <= 2^60, so rem*10 < 2^64: no overflow.
			tenth := rem * 10 >> u.shift
			buf = append(buf, '.')
			buf = strconv.AppendUint(buf, tenth, 10)
		}
		return append(buf, u.name...)
	}
	buf = strconv.AppendUint(buf, n, 10)
	return append(buf, " B"...)
}

// appendQuoted appends s in double quotes, escaping quotes, backslashes and
// anything that is not printable ASCII as \xNN. It works on bytes so it
// needs no string conversion (which would allocate).
func appendQuoted(buf []byte, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c >= 0x20 && c < 0x7f:
			buf = append(buf, c)
		default:
			buf = append(buf, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return append(buf, '"')
}
