package startinfo

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPVHVersion1(t *testing.T) {
	im := pvhV1()
	p, err := ParsePVH(im.mem(), base)
	if err != nil {
		t.Fatal(err)
	}
	if p.Paddr != base || p.Version != 1 || p.Flags != SIF_PRIVILEGED|SIF_INITDOMAIN || p.RSDP != 0xfc000 {
		t.Errorf("header: paddr %#x version %d flags %#x rsdp %#x", p.Paddr, p.Version, p.Flags, p.RSDP)
	}
	if got, want := p.CmdlineString(), `console=hvc0 root="/dev/xvda"`; got != want {
		t.Errorf("cmdline %q, want %q", got, want)
	}
	if p.CmdlinePaddr != base+offCmdline {
		t.Errorf("cmdline paddr %#x", p.CmdlinePaddr)
	}
	wantMods := []Module{
		{Paddr: base + offModData, Size: 0x1000},
		{Paddr: base + offModData + 0x1000, Size: 0x800, CmdlinePaddr: base + offModCmd},
	}
	if !slices.Equal(p.ModuleList(), wantMods) {
		t.Errorf("modules %+v, want %+v", p.ModuleList(), wantMods)
	}
	if p.ModlistPaddr != base+offModlist || p.MemmapPaddr != base+offMemmap {
		t.Errorf("modlist at %#x, memmap at %#x", p.ModlistPaddr, p.MemmapPaddr)
	}
	wantMap := []MemmapEntry{
		{0, 0x9fc00, XEN_HVM_MEMMAP_TYPE_RAM},
		{0xf0000, 0x10000, XEN_HVM_MEMMAP_TYPE_RESERVED},
		{0x100000, 0x3ff00000, XEN_HVM_MEMMAP_TYPE_RAM},
		{0xfc000000, 0x1000, XEN_HVM_MEMMAP_TYPE_ACPI},
	}
	if !slices.Equal(p.MemoryMap(), wantMap) {
		t.Errorf("memmap %+v, want %+v", p.MemoryMap(), wantMap)
	}
	ram := slices.Collect(p.RAM())
	if !slices.Equal(ram, []MemmapEntry{wantMap[0], wantMap[2]}) {
		t.Errorf("RAM() yielded %+v", ram)
	}
	if got, want := p.TotalRAM(), uint64(0x9fc00+0x3ff00000); got != want {
		t.Errorf("TotalRAM %#x, want %#x", got, want)
	}
	// RAM stops when the loop breaks.
	n := 0
	for range p.RAM() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("RAM() after break ran %d times", n)
	}
}

func TestPVHVersion0(t *testing.T) {
	im := pvhV0()
	// Version 0 is 40 bytes long: memory that ends right after it must do.
	im.b.Data = im.b.Data[:0x1000]
	var p PVH
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatal(err)
	}
	if p.Version != 0 || p.NMemmap != 0 || p.MemmapPaddr != 0 || p.NModules != 0 {
		t.Errorf("v0 decoded version %d, %d memmap entries at %#x, %d modules",
			p.Version, p.NMemmap, p.MemmapPaddr, p.NModules)
	}
	if p.CmdlineString() != "quiet" {
		t.Errorf("cmdline %q", p.CmdlineString())
	}

	// A version 0 structure placed in the last 40 bytes of memory.
	short := newImage()
	at := uint64(base + imageSize - hvmStartInfoSizeV0)
	short.put32(at, XEN_HVM_START_MAGIC_VALUE)
	if err := p.Decode(short.mem(), at); err != nil {
		t.Fatalf("v0 in the last 40 bytes: %v", err)
	}
}

// TestPVHNewerVersions: start_info.h promises that a newer version of
// hvm_start_info only appends fields, so a version above 1 decodes as
// version 1 does, and keeps its own number.
func TestPVHNewerVersions(t *testing.T) {
	var v1 PVH
	if err := v1.Decode(pvhV1().mem(), base); err != nil {
		t.Fatal(err)
	}
	for _, version := range []uint32{2, 7, 0xffffffff} {
		im := pvhV1()
		im.put32(base+4, version)
		var p PVH
		if err := p.Decode(im.mem(), base); err != nil {
			t.Errorf("version %d: %v", version, err)
			continue
		}
		if p.Version != version {
			t.Errorf("version %d decoded as version %d", version, p.Version)
		}
		p.Version = 1
		if p != v1 {
			t.Errorf("version %d decoded to\n%s\nwant (but for the version)\n%s", version, p.String(), v1.String())
		}
		if want := fmt.Sprintf("\n  version  %d (newer than 1: read as that)\n", version); !strings.Contains(im.formatAt(t), want) {
			t.Errorf("version %d: Format lacks %q", version, want)
		}
	}
	// Version 1's size is all a newer version must have in memory: the
	// fields it appends are not read.
	short := newImage()
	at := uint64(base + imageSize - hvmStartInfoSizeV1)
	short.put32(at, XEN_HVM_START_MAGIC_VALUE)
	short.put32(at+4, 2)
	var p PVH
	if err := p.Decode(short.mem(), at); err != nil || p.Version != 2 {
		t.Errorf("version 2 in the last 56 bytes of memory: version %d, %v", p.Version, err)
	}
}

// formatAt decodes the start info at base and returns its Format text.
func (im *image) formatAt(t *testing.T) string {
	t.Helper()
	var p PVH
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatal(err)
	}
	return string(p.Format(nil))
}

func TestPVHNoCmdline(t *testing.T) {
	im := pvhV1()
	im.put64(base+24, 0)
	var p PVH
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatal(err)
	}
	if p.CmdlinePaddr != 0 || p.CmdlineLen != 0 {
		t.Errorf("absent cmdline decoded as %q at %#x", p.CmdlineBytes(), p.CmdlinePaddr)
	}
}

// TestPVHCmdlineBounds checks both ends of MaxCmdline and the slow path
// taken when memory ends within the bound.
func TestPVHCmdlineBounds(t *testing.T) {
	var p PVH

	im := pvhV1()
	long := strings.Repeat("a", MaxCmdline-1)
	im.putString(base+offCmdline, long)
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatalf("1023-byte cmdline: %v", err)
	}
	if p.CmdlineString() != long {
		t.Errorf("1023-byte cmdline came back %d bytes long", p.CmdlineLen)
	}

	// 1024 bytes and more: cut to MaxCmdline-1 (MAX_GUEST_CMDLINE counts
	// the NUL), and the decode says so and how long it was.
	for _, n := range []int{MaxCmdline, 1500, 3000} {
		im = pvhV1()
		long := strings.Repeat("b", n-10) + "0123456789"
		im.putString(base+offModData, long) // room for 3000 bytes before the module
		im.put64(base+24, base+offModData)
		if err := p.Decode(im.mem(), base); err != nil {
			t.Fatalf("%d-byte cmdline: %v", n, err)
		}
		if p.CmdlineString() != long[:MaxCmdline-1] || !p.CmdlineTruncated || p.CmdlineFullLen != n {
			t.Errorf("%d-byte cmdline: got %d bytes, truncated %v, full length %d; want %d, true, %d",
				n, p.CmdlineLen, p.CmdlineTruncated, p.CmdlineFullLen, MaxCmdline-1, n)
		}
	}
	// A command line whose NUL is beyond memory's end but beyond the bound
	// too: still cut, with its full length unknown (0).
	im = pvhV1()
	at0 := uint64(base + imageSize - MaxCmdline - 8)
	copy(im.b.Data[at0-base:], strings.Repeat("c", MaxCmdline+8))
	im.put64(base+24, at0)
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatalf("unterminated cmdline at the end of memory: %v", err)
	}
	if p.CmdlineLen != MaxCmdline-1 || !p.CmdlineTruncated || p.CmdlineFullLen != 0 {
		t.Errorf("unterminated cmdline: %d bytes, truncated %v, full %d", p.CmdlineLen, p.CmdlineTruncated, p.CmdlineFullLen)
	}

	// Command line in the last 4 bytes of memory, NUL included.
	im = pvhV1()
	at := uint64(base + imageSize - 4)
	im.putString(at, "abc")
	im.put64(base+24, at)
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatalf("cmdline at the end of memory: %v", err)
	}
	if p.CmdlineString() != "abc" {
		t.Errorf("cmdline at the end of memory: %q", p.CmdlineString())
	}
}

// TestPVHReuse decodes a small structure into a PVH that held a bigger one.
func TestPVHReuse(t *testing.T) {
	var p PVH
	if err := p.Decode(pvhV1().mem(), base); err != nil {
		t.Fatal(err)
	}
	if err := p.Decode(pvhV0().mem(), base); err != nil {
		t.Fatal(err)
	}
	if p.NModules != 0 || p.NMemmap != 0 || p.Modules[0] != (Module{}) || p.Memmap[0] != (MemmapEntry{}) {
		t.Errorf("stale state after re-decode: %d modules, %d memmap entries", p.NModules, p.NMemmap)
	}
	if p.CmdlineString() != "quiet" || p.Cmdline[len("quiet")+1] != 0 {
		t.Errorf("stale cmdline bytes after re-decode: %q", p.Cmdline[:16])
	}
}

type pvhErrCase struct {
	name string
	edit func(im *image) // nil: use pvhV1 as is
	at   uint64          // where to decode; 0 means base
	want error
	msg  string
}

var pvhErrCases = []pvhErrCase{
	{
		name: "start info above memory",
		at:   base + imageSize,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0x108000 (+0x8) lies outside memory",
	},
	{
		name: "start info below memory",
		at:   0x1000,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0x1000 (+0x8) lies outside memory",
	},
	{
		name: "start info at address 0",
		edit: func(im *image) { im.b.Base = 0 }, // memory at 0 exists, but 0 means absent
		at:   0,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0x0 (+0x8) lies outside memory",
	},
	{
		name: "start info wraps past 2^64",
		edit: func(im *image) { im.b.Base = 0xfffffffffffff000 },
		at:   0xfffffffffffffffc,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0xfffffffffffffffc (+0x8) lies outside memory",
	},
	{
		name: "version 1 truncated by end of memory",
		edit: func(im *image) {
			at := uint64(base + imageSize - hvmStartInfoSizeV0)
			im.put32(at, XEN_HVM_START_MAGIC_VALUE)
			im.put32(at+4, 1)
		},
		at:   base + imageSize - hvmStartInfoSizeV0,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0x107fd8 (+0x38) lies outside memory",
	},
	{
		name: "bad magic",
		edit: func(im *image) { im.put32(base, 0xdeadbeef) },
		want: ErrBadMagic,
		msg:  "startinfo: bad magic 0xdeadbeef (want 0x336ec578)",
	},
	{
		name: "PV start info given to the PVH decoder",
		edit: func(im *image) { im.putString(base, PVMagic) },
		want: ErrBadMagic,
		msg:  "startinfo: bad magic 0x2d6e6578 (want 0x336ec578)",
	},
	{
		name: "cmdline outside memory",
		edit: func(im *image) { im.put64(base+24, 0x2000) },
		want: ErrOutOfRange,
		msg:  "startinfo: cmdline at 0x2000 (+0x1) lies outside memory",
	},
	{
		name: "cmdline runs off the end of memory",
		edit: func(im *image) {
			at := uint64(base + imageSize - 3)
			copy(im.b.Data[at-base:], "abc")
			im.put64(base+24, at)
		},
		want: ErrOutOfRange,
		msg:  "startinfo: cmdline at 0x107ffd (+0x4) lies outside memory",
	},
	{
		name: "too many modules",
		edit: func(im *image) { im.put32(base+12, MaxModules+1) },
		want: ErrCount,
		msg:  "startinfo: module count 0x41 exceeds limit 0x40",
	},
	{
		name: "absurd module count",
		edit: func(im *image) { im.put32(base+12, 0xffffffff) },
		want: ErrCount,
		msg:  "startinfo: module count 0xffffffff exceeds limit 0x40",
	},
	{
		name: "module list outside memory",
		edit: func(im *image) { im.put64(base+16, base+imageSize-32) },
		want: ErrOutOfRange,
		msg:  "startinfo: module list at 0x107fe0 (+0x40) lies outside memory",
	},
	{
		name: "modules declared but module list absent",
		edit: func(im *image) { im.put64(base+16, 0) },
		want: ErrOutOfRange,
		msg:  "startinfo: module list at 0x0 (+0x40) lies outside memory",
	},
	{
		name: "module data outside memory",
		edit: func(im *image) { im.putModule(1, base+imageSize-0x100, 0x200, 0) },
		want: ErrOutOfRange,
		msg:  "startinfo: module 1 at 0x107f00 (+0x200) lies outside memory",
	},
	{
		name: "module size wraps past 2^64",
		edit: func(im *image) { im.putModule(0, base+offModData, 0xffffffffffffffff, 0) },
		want: ErrOutOfRange,
		msg:  "startinfo: module 0 at 0x102000 (+0xffffffffffffffff) lies outside memory",
	},
	{
		name: "module at address 0",
		edit: func(im *image) { im.putModule(0, 0, 0x1000, 0) },
		want: ErrOutOfRange,
		msg:  "startinfo: module 0 at 0x0 (+0x1000) lies outside memory",
	},
	{
		name: "module cmdline outside memory",
		edit: func(im *image) { im.putModule(1, base+offModData, 0x10, 0xffff0000) },
		want: ErrOutOfRange,
		msg:  "startinfo: module 1 cmdline at 0xffff0000 (+0x1) lies outside memory",
	},
	{
		name: "too many memmap entries",
		edit: func(im *image) { im.put32(base+48, MaxMemmap+1) },
		want: ErrCount,
		msg:  "startinfo: memmap count 0x81 exceeds limit 0x80",
	},
	{
		name: "memmap outside memory",
		edit: func(im *image) { im.put64(base+40, base+imageSize-24*3) },
		want: ErrOutOfRange,
		msg:  "startinfo: memmap at 0x107fb8 (+0x60) lies outside memory",
	},
	{
		name: "memmap entries declared but memmap absent",
		edit: func(im *image) { im.put64(base+40, 0) },
		want: ErrOutOfRange,
		msg:  "startinfo: memmap at 0x0 (+0x60) lies outside memory",
	},
	{
		name: "memmap entry wraps past 2^64",
		edit: func(im *image) {
			im.putMemmap(2, 0xfffffffffffff000, 0x2000, XEN_HVM_MEMMAP_TYPE_RAM)
		},
		want: ErrOutOfRange,
		msg:  "startinfo: memmap entry 2 at 0xfffffffffffff000 (+0x2000) lies outside memory",
	},
}

func (c pvhErrCase) image() (*image, uint64) {
	im := pvhV1()
	if c.edit != nil {
		c.edit(im)
	}
	at := c.at
	if at == 0 && im.b.Base == base {
		at = base // cases that move memory give their own address
	}
	return im, at
}

var sentinels = []error{ErrBadMagic, ErrOutOfRange, ErrCount, ErrCmdline}

func TestPVHErrors(t *testing.T) {
	for _, c := range pvhErrCases {
		t.Run(c.name, func(t *testing.T) {
			im, at := c.image()
			var p PVH
			err := p.Decode(im.mem(), at)
			if err == nil {
				t.Fatal("decoded without error")
			}
			t.Log(err)
			checkErr(t, err, &p.Err, c.want, c.msg)
			if q, err2 := ParsePVH(im.mem(), at); q != nil || err2 == nil || err2.Error() != c.msg {
				t.Errorf("ParsePVH = %v, %v", q, err2)
			}
		})
	}
}

// checkErr checks the error's identity, kind and message.
func checkErr(t *testing.T, err error, storage *Error, want error, msg string) {
	t.Helper()
	e := mustAsError(t, err)
	if e != storage {
		t.Errorf("returned error is not &p.Err")
	}
	if got := err.Error(); got != msg {
		t.Errorf("message\n got %s\nwant %s", got, msg)
	}
	for _, s := range sentinels {
		if got := errors.Is(err, s); got != (s == want) {
			t.Errorf("errors.Is(err, %v) = %v", s, got)
		}
	}
	var as *Error
	if !errors.As(err, &as) || as != e {
		t.Errorf("errors.As failed")
	}
}

func TestPVHFormat(t *testing.T) {
	im := pvhV1()
	im.putMemmap(3, 0xfc000000, 0x1000, 0x99)
	var p PVH
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatal(err)
	}
	want := `PVH start info at 0x100000
  version  1
  flags    0x3 SIF_PRIVILEGED|SIF_INITDOMAIN
  cmdline  "console=hvc0 root=\"/dev/xvda\"" at 0x100800
  rsdp     0xfc000
  modules  2 at 0x101000
    0: [0x00102000, 0x00103000) 0x1000 (4 KiB)
    1: [0x00103000, 0x00103800) 0x800 (2 KiB) cmdline at 0x101800
  memmap   4 entries at 0x101400
    [0x00000000, 0x0009fc00) 0x9fc00 (639 KiB) RAM
    [0x000f0000, 0x00100000) 0x10000 (64 KiB) reserved
    [0x00100000, 0x40000000) 0x3ff00000 (1023 MiB) RAM
    [0xfc000000, 0xfc001000) 0x1000 (4 KiB) unknown type 0x99
  total RAM 0x3ff9fc00 (1023.6 MiB)
`
	if got := p.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}

	v0 := pvhV0()
	if err := p.Decode(v0.mem(), base); err != nil {
		t.Fatal(err)
	}
	want = `PVH start info at 0x100000
  version  0
  flags    0x0 0
  cmdline  "quiet" at 0x100800
  rsdp     none
  modules  0
  memmap   none (version 0; ask Xen with XENMEM_memory_map)
`
	if got := p.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}

	v1 := pvhV1()
	v1.put32(base+48, 0) // version 1 without a memory map
	v1.put64(base+24, 0)
	if err := p.Decode(v1.mem(), base); err != nil {
		t.Fatal(err)
	}
	got := p.String()
	for _, line := range []string{"\n  memmap   none\n", "\n  cmdline  none\n"} {
		if !strings.Contains(got, line) {
			t.Errorf("String() lacks %q:\n%s", line, got)
		}
	}
	if strings.Contains(got, "total RAM") {
		t.Errorf("String() claims a RAM total without a memory map:\n%s", got)
	}
}

// TestReadCmdlineInconsistentMemory drives readCmdline with a Memory that
// refuses the whole bound but admits every single byte of it.
func TestReadCmdlineInconsistentMemory(t *testing.T) {
	im := newImage()
	copy(im.b.Data, strings.Repeat("y", 2*MaxCmdline))
	var e Error
	var dst [MaxCmdline]byte
	_, _, err := readCmdline(&e, byteAtATime{im.mem()}, base, dst[:], make([]byte, 8))
	checkErr(t, err, &e, ErrCmdline, "startinfo: cmdline at 0x100000 has no NUL within 0x400 bytes")

	im.b.Data[10] = 0
	n, _, err := readCmdline(&e, byteAtATime{im.mem()}, base, dst[:], make([]byte, 8))
	if err != nil || n != 10 {
		t.Errorf("byte-at-a-time read: %d, %v", n, err)
	}
}
