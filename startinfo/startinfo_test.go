package startinfo

import (
	"errors"
	"fmt"
	"testing"
)

func TestBytesContains(t *testing.T) {
	b := &Bytes{Base: 0x1000, Data: make([]byte, 0x100)}
	cases := []struct {
		paddr, n uint64
		want     bool
	}{
		{0x1000, 0, true},
		{0x1000, 0x100, true},
		{0x10ff, 1, true},
		{0x1100, 0, true}, // empty range at the very end
		{0x1100, 1, false},
		{0x1000, 0x101, false},
		{0xfff, 1, false},
		{0x0, 0x2000, false},
		{0x1080, ^uint64(0), false},          // size wraps
		{^uint64(0), 2, false},               // address wraps
		{0x1001, ^uint64(0) - 0x1000, false}, // end wraps exactly to 0
	}
	for _, c := range cases {
		if got := b.Contains(c.paddr, c.n); got != c.want {
			t.Errorf("Contains(%#x, %#x) = %v, want %v", c.paddr, c.n, got, c.want)
		}
	}
	// A Bytes that itself reaches 2^64 - 1.
	top := &Bytes{Base: ^uint64(0) - 0xff, Data: make([]byte, 0x100)}
	if !top.Contains(^uint64(0), 1) || top.Contains(^uint64(0), 2) {
		t.Errorf("Contains at the top of the address space is wrong")
	}
	var p [4]byte
	b.Data[0x10], b.Data[0x13] = 0xaa, 0xbb
	b.ReadAt(p[:], 0x1010)
	if p != [4]byte{0xaa, 0, 0, 0xbb} {
		t.Errorf("ReadAt read %x", p)
	}
}

func TestInMemory(t *testing.T) {
	b := &Bytes{Base: 0, Data: make([]byte, 0x100)}
	if inMemory(b, 0, 1) {
		t.Error("address 0 accepted")
	}
	if !inMemory(b, 1, 1) {
		t.Error("address 1 refused")
	}
	// Memory that claims everything still may not wrap.
	if inMemory(everything{}, ^uint64(0)-1, 4) {
		t.Error("wrapping range accepted")
	}
	if !inMemory(everything{}, ^uint64(0)-4, 4) {
		t.Error("range ending just below 2^64 refused")
	}
}

type everything struct{}

func (everything) Contains(paddr, n uint64) bool { return true }
func (everything) ReadAt(p []byte, paddr uint64) {}

func TestAppendFlags(t *testing.T) {
	cases := []struct {
		flags uint32
		want  string
	}{
		{0, "0"},
		{SIF_PRIVILEGED, "SIF_PRIVILEGED"},
		{SIF_INITDOMAIN | SIF_PRIVILEGED, "SIF_PRIVILEGED|SIF_INITDOMAIN"},
		{SIF_MULTIBOOT_MOD | SIF_MOD_START_PFN | SIF_VIRT_P2M_4TOOLS,
			"SIF_MULTIBOOT_MOD|SIF_MOD_START_PFN|SIF_VIRT_P2M_4TOOLS"},
		{0x1200 | SIF_INITDOMAIN, "SIF_INITDOMAIN|SIF_PM(0x12)"},
		{0x80000020, "0x80000020"},
		{0xffffffff, "SIF_PRIVILEGED|SIF_INITDOMAIN|SIF_MULTIBOOT_MOD|SIF_MOD_START_PFN|SIF_VIRT_P2M_4TOOLS|SIF_PM(0xff)|0xffff00e0"},
	}
	for _, c := range cases {
		if got := FlagsString(c.flags); got != c.want {
			t.Errorf("FlagsString(%#x) = %q, want %q", c.flags, got, c.want)
		}
	}
}

func TestMemmapTypeName(t *testing.T) {
	want := map[uint32]string{
		0: "unknown", 1: "RAM", 2: "reserved", 3: "ACPI", 4: "ACPI NVS",
		5: "unusable", 6: "disabled", 7: "PMEM", 8: "unknown",
		0xF0000001: "Xen shared info", 0xF0000002: "Xen grant table",
		0xF0000003: "Xen grant status", 0xF0000004: "Xen foreign region",
		0xF0000005: "unknown",
	}
	for typ, name := range want {
		if got := MemmapTypeName(typ); got != name {
			t.Errorf("MemmapTypeName(%#x) = %q, want %q", typ, got, name)
		}
	}
}

func TestAppendSize(t *testing.T) {
	cases := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{0x9fc00, "639 KiB"},
		{1 << 30, "1 GiB"},
		{3<<30 + 1<<29, "3.5 GiB"},
		{1<<20 - 1, "1023.9 KiB"},
		{^uint64(0), "15.9 EiB"},
	}
	for _, c := range cases {
		if got := string(appendSize(nil, c.n)); got != c.want {
			t.Errorf("appendSize(%#x) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestAppendRangeWraps(t *testing.T) {
	got := string(appendRange(nil, 0xfffffffffffff000, 0x2000))
	want := "[0xfffffffffffff000, 0xffffffffffffffff!) 0x2000 (8 KiB)"
	if got != want {
		t.Errorf("appendRange = %q, want %q", got, want)
	}
}

func TestTotalRAMSaturates(t *testing.T) {
	var p PVH
	p.Memmap[0] = MemmapEntry{Addr: 0, Size: 1 << 63, Type: XEN_HVM_MEMMAP_TYPE_RAM}
	p.Memmap[1] = MemmapEntry{Addr: 1 << 63, Size: 1<<63 - 1, Type: XEN_HVM_MEMMAP_TYPE_RAM}
	p.Memmap[2] = MemmapEntry{Addr: 0, Size: 1 << 62, Type: XEN_HVM_MEMMAP_TYPE_RAM}
	p.NMemmap = 3
	if got := p.TotalRAM(); got != ^uint64(0) {
		t.Errorf("TotalRAM = %#x, want saturation", got)
	}
}

func TestSentinels(t *testing.T) {
	want := map[error]string{
		ErrBadMagic:   "startinfo: bad magic",
		ErrOutOfRange: "startinfo: out of range",
		ErrCount:      "startinfo: bad count",
		ErrCmdline:    "startinfo: bad cmdline",
	}
	for err, msg := range want {
		if err.Error() != msg {
			t.Errorf("sentinel message %q, want %q", err.Error(), msg)
		}
		for other := range want {
			if errors.Is(err, other) != (err == other) {
				t.Errorf("errors.Is(%v, %v) wrong", err, other)
			}
		}
	}
	// Wrapping keeps the match.
	e := &Error{Kind: KindCount, What: PartMemmap, Index: -1, Value: 1000, Limit: MaxMemmap}
	wrapped := fmt.Errorf("boot: %w", e)
	if !errors.Is(wrapped, ErrCount) || errors.Is(wrapped, ErrCmdline) {
		t.Errorf("errors.Is through a wrap is wrong")
	}
	if errors.Is(e, errors.New("startinfo: bad count")) {
		t.Errorf("an unrelated error matched")
	}
	if Kind(0).String() != "no error" || Kind(200).String() != "no error" {
		t.Errorf("Kind names for 0 and 200: %q %q", Kind(0), Kind(200))
	}
	odd := &Error{Kind: Kind(200), What: PartCmdline, Index: -1}
	if got := odd.Error(); got != "startinfo: cmdline: unknown error kind" {
		t.Errorf("unknown kind message %q", got)
	}
}

// TestMaxFormatLen formats the longest PVH and PV dumps possible and checks
// they fit in MaxFormatLen.
func TestMaxFormatLen(t *testing.T) {
	const big = ^uint64(0) - 1<<10 // not a round size: longest size text
	var p PVH
	p.Paddr, p.Version, p.Flags, p.RSDP = ^uint64(0), ^uint32(0), ^uint32(0), ^uint64(0)
	p.CmdlinePaddr, p.CmdlineLen = ^uint64(0), MaxCmdline-1
	for i := range p.CmdlineLen {
		p.Cmdline[i] = 0xff
	}
	p.NModules, p.ModlistPaddr = MaxModules, ^uint64(0)
	for i := range p.Modules {
		p.Modules[i] = Module{Paddr: 1 << 63, Size: big, CmdlinePaddr: ^uint64(0)}
	}
	p.NMemmap, p.MemmapPaddr = MaxMemmap, ^uint64(0)
	for i := range p.Memmap {
		p.Memmap[i] = MemmapEntry{Addr: 1 << 63, Size: big, Type: 0xffffffff}
	}
	n := len(p.Format(nil))
	t.Logf("longest PVH dump: %d bytes", n)
	if n > MaxFormatLen {
		t.Errorf("PVH dump of %d bytes exceeds MaxFormatLen %d", n, MaxFormatLen)
	}

	var v PV
	v.Paddr, v.MagicLen = ^uint64(0), pvMagicSize
	for i := range v.Magic {
		v.Magic[i] = 0xff
	}
	v.NrPages, v.SharedInfo, v.Flags = ^uint64(0), ^uint64(0), ^uint32(0)&^SIF_INITDOMAIN
	v.StoreMFN, v.StoreEvtchn, v.ConsoleMFN, v.ConsoleEvtchn = ^uint64(0), ^uint32(0), ^uint64(0), ^uint32(0)
	v.PTBase, v.NrPTFrames, v.MFNList, v.ModStart, v.ModLen = ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)
	v.FirstP2MPFN, v.NrP2MFrames, v.CmdlineLen = ^uint64(0), ^uint64(0), MaxCmdline-1
	for i := range v.CmdlineLen {
		v.Cmdline[i] = 0xff
	}
	n = len(v.Format(nil))
	t.Logf("longest PV dump: %d bytes", n)
	if n > MaxFormatLen {
		t.Errorf("PV dump of %d bytes exceeds MaxFormatLen %d", n, MaxFormatLen)
	}
}
