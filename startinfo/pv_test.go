package startinfo

import (
	"strings"
	"testing"
)

func TestPV(t *testing.T) {
	im := pvImage()
	p, err := ParsePV(im.mem(), base)
	if err != nil {
		t.Fatal(err)
	}
	want := PV{
		Paddr: base, MagicLen: len(PVMagic),
		NrPages: 0x40000, SharedInfo: 0x7f001000, Flags: SIF_MOD_START_PFN,
		StoreMFN: 0x12345, StoreEvtchn: 1, ConsoleMFN: 0x12346, ConsoleEvtchn: 2,
		PTBase: 0xffffffff80400000, NrPTFrames: 6, MFNList: 0xffffffff80200000,
		ModStart: 0x300, ModLen: 0x5000, FirstP2MPFN: 0x400, NrP2MFrames: 3,
		CmdlineLen: len("console=hvc0"), CmdlinePaddr: base + 128,
	}
	copy(want.Magic[:], PVMagic)
	copy(want.Cmdline[:], "console=hvc0")
	p.scratch = [pvCmdlineOff]byte{}
	if *p != want {
		t.Errorf("decoded\n%+v\nwant\n%+v", *p, want)
	}
	if p.MagicString() != PVMagic || p.CmdlineString() != "console=hvc0" {
		t.Errorf("magic %q cmdline %q", p.MagicString(), p.CmdlineString())
	}

	wantDump := `PV start info at 0x100000
  magic         "xen-3.0-x86_64"
  nr_pages      0x40000 (1 GiB)
  shared_info   0x7f001000
  flags         0x8 SIF_MOD_START_PFN
  store         mfn 0x12345 evtchn 1
  console       mfn 0x12346 evtchn 2
  pt_base       0xffffffff80400000 nr_pt_frames 6
  mfn_list      0xffffffff80200000
  mod_start     0x300 (PFN) mod_len 0x5000
  first_p2m_pfn 0x400 nr_p2m_frames 3
  cmdline       "console=hvc0"
`
	if got := p.String(); got != wantDump {
		t.Errorf("String():\n%s\nwant:\n%s", got, wantDump)
	}
}

func TestPVDom0Console(t *testing.T) {
	im := pvImage()
	im.put32(base+48, SIF_PRIVILEGED|SIF_INITDOMAIN)
	im.put32(base+72, 0x800) // console.dom0.info_off
	im.put32(base+76, 0x40)  // console.dom0.info_size
	var p PV
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatal(err)
	}
	if off, size := p.Dom0Console(); off != 0x800 || size != 0x40 {
		t.Errorf("Dom0Console() = %#x, %#x", off, size)
	}
	if s := p.String(); !strings.Contains(s, "\n  console       dom0 info_off 0x800 info_size 0x40\n") {
		t.Errorf("String() does not show the dom0 console:\n%s", s)
	}
}

func TestPVCmdlineFull(t *testing.T) {
	im := pvImage()
	long := strings.Repeat("k", MaxCmdline-1)
	im.putString(base+128, long)
	var p PV
	if err := p.Decode(im.mem(), base); err != nil {
		t.Fatal(err)
	}
	if p.CmdlineString() != long {
		t.Errorf("cmdline of %d bytes came back %d long", len(long), p.CmdlineLen)
	}
}

type pvErrCase struct {
	name string
	edit func(im *image)
	at   uint64
	want error
	msg  string
}

var pvErrCases = []pvErrCase{
	{
		name: "start info outside memory",
		at:   base + imageSize - 16,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0x107ff0 (+0x20) lies outside memory",
	},
	{
		name: "start info truncated",
		edit: func(im *image) { im.putString(base+imageSize-0x400, PVMagic) },
		at:   base + imageSize - 0x400,
		want: ErrOutOfRange,
		msg:  "startinfo: start info at 0x107c00 (+0x490) lies outside memory",
	},
	{
		name: "magic of another Xen version",
		edit: func(im *image) { im.putString(base, "xen-2.0-x86_64") },
		want: ErrBadMagic,
		msg:  `startinfo: bad pv magic "xen-2.0-x86_64" (want "xen-3.0-x86_64")`,
	},
	{
		name: "32-bit PAE platform",
		edit: func(im *image) { im.putString(base, "xen-3.0-x86_32p") },
		want: ErrBadMagic,
		msg:  `startinfo: bad pv platform "xen-3.0-x86_32p" (want "xen-3.0-x86_64")`,
	},
	{
		name: "magic with trailing junk",
		edit: func(im *image) { im.putString(base, "xen-3.0-x86_64x") },
		want: ErrBadMagic,
		msg:  `startinfo: bad pv platform "xen-3.0-x86_64x" (want "xen-3.0-x86_64")`,
	},
	{
		name: "all-zero page",
		edit: func(im *image) { clear(im.b.Data) },
		want: ErrBadMagic,
		msg:  `startinfo: bad pv magic "" (want "xen-3.0-x86_64")`,
	},
	{
		name: "magic without NUL and with binary bytes",
		edit: func(im *image) {
			copy(im.b.Data, "xen-3.0-\x01\"\\"+strings.Repeat("z", 21))
		},
		want: ErrBadMagic,
		msg:  `startinfo: bad pv platform "xen-3.0-\x01\"\\zzzzzzzzzzzzzzzzzzzzz" (want "xen-3.0-x86_64")`,
	},
	{
		name: "PVH start info given to the PV decoder",
		edit: func(im *image) { *im = *pvhV1() },
		want: ErrBadMagic,
		msg:  `startinfo: bad pv magic "x\xc5n3\x01" (want "xen-3.0-x86_64")`,
	},
	{
		name: "cmdline without NUL",
		edit: func(im *image) { copy(im.b.Data[128:], strings.Repeat("c", MaxCmdline)) },
		want: ErrCmdline,
		msg:  "startinfo: cmdline at 0x100080 has no NUL within 0x400 bytes",
	},
}

func (c pvErrCase) image() (*image, uint64) {
	im := pvImage()
	if c.edit != nil {
		c.edit(im)
	}
	if c.at == 0 {
		return im, base
	}
	return im, c.at
}

func TestPVErrors(t *testing.T) {
	for _, c := range pvErrCases {
		t.Run(c.name, func(t *testing.T) {
			im, at := c.image()
			var p PV
			err := p.Decode(im.mem(), at)
			if err == nil {
				t.Fatal("decoded without error")
			}
			t.Log(err)
			checkErr(t, err, &p.Err, c.want, c.msg)
			if q, err2 := ParsePV(im.mem(), at); q != nil || err2 == nil || err2.Error() != c.msg {
				t.Errorf("ParsePV = %v, %v", q, err2)
			}
		})
	}
}

func TestPVModule(t *testing.T) {
	for _, c := range []struct {
		flags      uint32
		start, len uint64
		wantStart  uint64
		wantSize   uint64
		wantOK     bool
	}{
		{SIF_MOD_START_PFN, 0x300, 0x5000, 0x300000, 0x5000, true},
		{0, 0x2400000, 0x1234, 0x2400000, 0x1234, true},
		{0, 0x2400000, 0, 0, 0, false},                    // no module
		{SIF_MOD_START_PFN, 1 << 60, 0x1000, 0, 0, false}, // PFN past 64 bits of address
		{0, ^uint64(0) - 0x10, 0x1000, 0, 0, false},       // wraps
	} {
		p := PV{Flags: c.flags, ModStart: c.start, ModLen: c.len}
		s, n, ok := p.Module()
		if s != c.wantStart || n != c.wantSize || ok != c.wantOK {
			t.Errorf("Module(flags %#x, start %#x, len %#x) = %#x, %#x, %v", c.flags, c.start, c.len, s, n, ok)
		}
	}
}
