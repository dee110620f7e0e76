package startinfo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The targets here work the other way round from FuzzPVH and FuzzPV: they
// take the values of the fields, encode a start info from them as Xen
// lays it out, decode it, and check that the decoder
//
//   - succeeds exactly when the encoding is valid, judged by a model of the
//     rules written here from the header, independently of the decoder;
//   - then gives back every field as it was encoded;
//   - otherwise fails with the kind of one of the problems the model found.

// pvhFields is what FuzzPVHFields encodes.
type pvhFields struct {
	magic, version, flags uint32
	rsdp                  uint64
	cmdline               string
	noCmdline             bool   // cmdline_paddr 0
	mods                  []byte // 8 bytes a module, see module
	memmap                []byte // 20 bytes a memory map entry, see memmapEntry
	extra, cut            uint16 // memory past the last structure; bytes cut from the end
}

// module decodes the i'th 8-byte module record: offset, size and command
// line offset from base (16 bits each), and control bits that move each
// value out of memory or make it wrap.
func (f *pvhFields) module(i int) Module {
	r := f.mods[i*8:]
	off, size, cmd, ctl := binary.LittleEndian.Uint16(r), binary.LittleEndian.Uint16(r[2:]),
		binary.LittleEndian.Uint16(r[4:]), binary.LittleEndian.Uint16(r[6:])
	m := Module{Paddr: base + uint64(off), Size: uint64(size)}
	switch {
	case ctl&1 != 0:
		m.Paddr = 0
	case ctl&2 != 0:
		m.Paddr = ^uint64(0) - uint64(off)
	}
	if ctl&4 != 0 {
		m.Size = ^uint64(0) - uint64(size)
	}
	switch {
	case ctl&8 != 0:
		m.CmdlinePaddr = base + uint64(cmd)
	case ctl&16 != 0:
		m.CmdlinePaddr = uint64(cmd) << 40
	}
	return m
}

// memmapEntry decodes the i'th 20-byte memory map record: addr, size (64
// bits each), type.
func (f *pvhFields) memmapEntry(i int) MemmapEntry {
	r := f.memmap[i*20:]
	return MemmapEntry{Addr: binary.LittleEndian.Uint64(r), Size: binary.LittleEndian.Uint64(r[8:]),
		Type: binary.LittleEndian.Uint32(r[16:])}
}

func (f *pvhFields) nMods() int   { return len(f.mods) / 8 }
func (f *pvhFields) nMemmap() int { return len(f.memmap) / 20 }

// Where encode puts things, as offsets from base: the structure, the
// module list, the memory map, the command line.
func (f *pvhFields) modlistOff() uint64 { return 0x40 }
func (f *pvhFields) memmapOff() uint64  { return f.modlistOff() + uint64(f.nMods())*32 }
func (f *pvhFields) cmdlineOff() uint64 { return f.memmapOff() + uint64(f.nMemmap())*24 }

// encode lays the start info out in memory at base. The reserved words
// hold junk, which the decoder must ignore; so do bytes 40..55 of a
// version 0 structure, which hold the memory map fields all the same.
func (f *pvhFields) encode() *Bytes {
	end := f.cmdlineOff() + uint64(len(f.cmdline)) + 1
	size := end + uint64(f.extra)
	im := &image{b: Bytes{Base: base, Data: make([]byte, size)}}
	im.put32(base, f.magic)
	im.put32(base+4, f.version)
	im.put32(base+8, f.flags)
	im.put32(base+12, uint32(f.nMods()))
	im.put64(base+16, base+f.modlistOff())
	if !f.noCmdline {
		im.put64(base+24, base+f.cmdlineOff())
	}
	im.put64(base+32, f.rsdp)
	im.put64(base+40, base+f.memmapOff())
	im.put32(base+48, uint32(f.nMemmap()))
	im.put32(base+52, 0xa5a5a5a5)
	for i := range f.nMods() {
		m, e := f.module(i), base+f.modlistOff()+uint64(i)*32
		im.put64(e, m.Paddr)
		im.put64(e+8, m.Size)
		im.put64(e+16, m.CmdlinePaddr)
		im.put64(e+24, 0xa5a5a5a5a5a5a5a5)
	}
	for i := range f.nMemmap() {
		m, e := f.memmapEntry(i), base+f.memmapOff()+uint64(i)*24
		im.put64(e, m.Addr)
		im.put64(e+8, m.Size)
		im.put32(e+16, m.Type)
		im.put32(e+20, 0xa5a5a5a5)
	}
	copy(im.b.Data[f.cmdlineOff():], f.cmdline) // its NUL is there already
	im.b.Data = im.b.Data[:size-min(uint64(f.cut), size)]
	return &im.b
}

// model returns the kinds of every rule the encoding breaks (none: valid)
// and, if valid, the PVH it must decode to.
func (f *pvhFields) model(memEnd uint64) (problems map[Kind]bool, want PVH) {
	problems = map[Kind]bool{}
	in := func(p, n uint64) bool { // nothing at 0, no wrapping, inside [base, memEnd)
		return p != 0 && p+n >= p && p >= base && p+n <= memEnd
	}
	size := uint64(hvmStartInfoSizeV1)
	if f.version == 0 {
		size = hvmStartInfoSizeV0
	}
	if !in(base, 8) || !in(base, size) {
		problems[KindOutOfRange] = true
	}
	if f.magic != XEN_HVM_START_MAGIC_VALUE {
		problems[KindBadMagic] = true
	}
	want = PVH{Paddr: base, Version: f.version, Flags: f.flags, RSDP: f.rsdp}
	if !f.noCmdline {
		s, _, _ := strings.Cut(f.cmdline, "\x00")
		at := base + f.cmdlineOff()
		want.CmdlinePaddr = at
		switch {
		case len(s)+1 > MaxCmdline && in(at, MaxCmdline):
			// No NUL within the bound: cut to MaxCmdline-1 bytes, with
			// the whole length if its NUL is in memory and within the scan.
			want.CmdlineLen = copy(want.Cmdline[:MaxCmdline-1], s)
			want.CmdlineTruncated = true
			if in(at, uint64(len(s))+1) && len(s) < MaxCmdlineScan {
				want.CmdlineFullLen = len(s)
			}
		case len(s)+1 > MaxCmdline:
			problems[KindOutOfRange] = true // memory ends within the bound
		case !in(at, uint64(len(s))+1):
			problems[KindOutOfRange] = true
		default:
			want.CmdlineLen = copy(want.Cmdline[:], s)
			want.CmdlineFullLen = want.CmdlineLen
		}
	}
	if n := f.nMods(); n > MaxModules {
		problems[KindCount] = true
	} else if n > 0 {
		if !in(base+f.modlistOff(), uint64(n)*32) {
			problems[KindOutOfRange] = true
		}
		for i := range n {
			m := f.module(i)
			if !in(m.Paddr, m.Size) || m.CmdlinePaddr != 0 && !in(m.CmdlinePaddr, 1) {
				problems[KindOutOfRange] = true
			}
			want.Modules[i] = m
		}
		want.NModules, want.ModlistPaddr = n, base+f.modlistOff()
	}
	if n := f.nMemmap(); f.version >= 1 && n > MaxMemmap {
		problems[KindCount] = true
	} else if f.version >= 1 && n > 0 {
		if !in(base+f.memmapOff(), uint64(n)*24) {
			problems[KindOutOfRange] = true
		}
		for i := range n {
			e := f.memmapEntry(i)
			if e.Addr+e.Size < e.Addr {
				problems[KindOutOfRange] = true
			}
			want.Memmap[i] = e
		}
		want.NMemmap, want.MemmapPaddr = n, base+f.memmapOff()
	}
	return problems, want
}

// check encodes f, decodes it and compares with the model. It reports
// whether the decode succeeded.
func (f *pvhFields) check(t *testing.T) bool {
	t.Helper()
	m := f.encode()
	problems, want := f.model(base + uint64(len(m.Data)))
	var p PVH
	err := p.Decode(m, base)
	if err != nil {
		e := mustAsError(t, err)
		if e != &p.Err || !problems[e.Kind] {
			t.Fatalf("Decode: %v (kind %v); the model expects one of %v", err, e.Kind, problems)
		}
		return false
	}
	if len(problems) > 0 {
		t.Fatalf("Decode accepted an encoding with problems %v:\n%s", problems, p.String())
	}
	want.scratch = p.scratch
	if p != want {
		t.Fatalf("decoded\n%s\nencoded\n%s", p.String(), want.String())
	}
	return true
}

func FuzzPVHFields(f *testing.F) {
	mod := func(off, size, cmd, ctl uint16) []byte {
		return binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(
			binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, off), size), cmd), ctl)
	}
	ent := func(addr, size uint64, typ uint32) []byte {
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint64(
			binary.LittleEndian.AppendUint64(nil, addr), size), typ)
	}
	mods := append(mod(0x100, 0x80, 0, 0), mod(0x200, 0x10, 0x180, 8)...)
	memmap := append(ent(0, 0x9fc00, 1), ent(0x100000, 0x3ff00000, 1)...)
	f.Add(uint32(XEN_HVM_START_MAGIC_VALUE), uint32(1), uint32(3), uint64(0xfc000), "console=hvc0", false, mods, memmap, uint16(0x300), uint16(0))
	f.Add(uint32(XEN_HVM_START_MAGIC_VALUE), uint32(0), uint32(0), uint64(0), "quiet", false, []byte(nil), memmap, uint16(0), uint16(0))
	f.Add(uint32(XEN_HVM_START_MAGIC_VALUE), uint32(7), uint32(0), uint64(0), "", true, mods, memmap, uint16(0x300), uint16(0))
	f.Add(uint32(XEN_HVM_START_MAGIC_VALUE), uint32(1), uint32(0), uint64(0), "a\x00b", false, mods, memmap, uint16(0), uint16(0x301))
	f.Add(uint32(0xdeadbeef), uint32(1), uint32(0), uint64(0), "", true, []byte(nil), []byte(nil), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, magic, version, flags uint32, rsdp uint64, cmdline string, noCmdline bool, mods, memmap []byte, extra, cut uint16) {
		fields := pvhFields{magic, version, flags, rsdp, cmdline, noCmdline, mods, memmap, extra, cut}
		fields.check(t)
	})
}

// pvFields is what FuzzPVFields encodes: the x86_64 start_info_t of
// xen/include/public/xen.h, field by field.
type pvFields struct {
	magic                                   string // the first 32 bytes go into magic[32]
	nrPages, sharedInfo                     uint64
	flags                                   uint32
	storeMFN                                uint64
	storeEvtchn                             uint32
	consoleMFN                              uint64
	consoleEvtchn                           uint32
	ptBase, nrPTFrames, mfnList             uint64
	modStart, modLen, firstP2MPFN, nrP2MFns uint64
	cmdline                                 string // the first 1024 bytes go into cmd_line[1024]
	cut                                     uint16 // bytes cut from the end of the structure
}

func (f *pvFields) encode() *Bytes {
	im := &image{b: Bytes{Base: base, Data: make([]byte, pvStartInfoSz)}}
	copy(im.b.Data[:pvMagicSize], f.magic)
	im.put64(base+32, f.nrPages)
	im.put64(base+40, f.sharedInfo)
	im.put32(base+48, f.flags)
	im.put32(base+52, 0xa5a5a5a5) // padding
	im.put64(base+56, f.storeMFN)
	im.put32(base+64, f.storeEvtchn)
	im.put32(base+68, 0xa5a5a5a5) // padding
	im.put64(base+72, f.consoleMFN)
	im.put32(base+80, f.consoleEvtchn)
	im.put32(base+84, 0xa5a5a5a5) // padding
	im.put64(base+88, f.ptBase)
	im.put64(base+96, f.nrPTFrames)
	im.put64(base+104, f.mfnList)
	im.put64(base+112, f.modStart)
	im.put64(base+120, f.modLen)
	copy(im.b.Data[pvCmdlineOff:pvCmdlineOff+MaxCmdline], f.cmdline)
	im.put64(base+pvP2MOff, f.firstP2MPFN)
	im.put64(base+pvP2MOff+8, f.nrP2MFns)
	im.b.Data = im.b.Data[:pvStartInfoSz-min(int(f.cut), pvStartInfoSz)]
	return &im.b
}

func (f *pvFields) model(memLen int) (problems map[Kind]bool, want PV) {
	problems = map[Kind]bool{}
	if memLen < pvMagicSize || memLen < pvStartInfoSz {
		problems[KindOutOfRange] = true
	}
	want = PV{Paddr: base, NrPages: f.nrPages, SharedInfo: f.sharedInfo, Flags: f.flags,
		StoreMFN: f.storeMFN, StoreEvtchn: f.storeEvtchn, ConsoleMFN: f.consoleMFN, ConsoleEvtchn: f.consoleEvtchn,
		PTBase: f.ptBase, NrPTFrames: f.nrPTFrames, MFNList: f.mfnList, ModStart: f.modStart, ModLen: f.modLen,
		FirstP2MPFN: f.firstP2MPFN, NrP2MFrames: f.nrP2MFns, CmdlinePaddr: base + pvCmdlineOff}
	copy(want.Magic[:], f.magic)
	magic, _, _ := strings.Cut(string(want.Magic[:]), "\x00")
	if magic != PVMagic {
		problems[KindBadMagic] = true
	}
	want.MagicLen = len(magic)
	field := f.cmdline[:min(len(f.cmdline), MaxCmdline)]
	cmdline, _, found := strings.Cut(field, "\x00")
	if !found && len(field) == MaxCmdline {
		problems[KindCmdline] = true // no NUL in cmd_line
	}
	want.CmdlineLen = copy(want.Cmdline[:], cmdline)
	return problems, want
}

func (f *pvFields) check(t *testing.T) bool {
	t.Helper()
	m := f.encode()
	problems, want := f.model(len(m.Data))
	var p PV
	err := p.Decode(m, base)
	if err != nil {
		e := mustAsError(t, err)
		if e != &p.Err || !problems[e.Kind] {
			t.Fatalf("Decode: %v (kind %v); the model expects one of %v", err, e.Kind, problems)
		}
		return false
	}
	if len(problems) > 0 {
		t.Fatalf("Decode accepted an encoding with problems %v:\n%s", problems, p.String())
	}
	want.scratch = p.scratch
	if p != want {
		t.Fatalf("decoded\n%s\nencoded\n%s", p.String(), want.String())
	}
	return true
}

func FuzzPVFields(f *testing.F) {
	f.Add(PVMagic, uint64(0x40000), uint64(0x7f001000), uint32(SIF_MOD_START_PFN), uint64(0x12345), uint32(1),
		uint64(0x12346), uint32(2), uint64(0xffffffff80400000), uint64(6), uint64(0xffffffff80200000),
		uint64(0x300), uint64(0x5000), uint64(0x400), uint64(3), "console=hvc0", uint16(0))
	f.Add("xen-3.0-x86_32p", uint64(1), uint64(2), uint32(3), uint64(4), uint32(5),
		uint64(6), uint32(7), uint64(8), uint64(9), uint64(10), uint64(11), uint64(12), uint64(13), uint64(14), "", uint16(0))
	f.Add(PVMagic, uint64(1), uint64(2), uint32(3), uint64(4), uint32(5),
		uint64(6), uint32(7), uint64(8), uint64(9), uint64(10), uint64(11), uint64(12), uint64(13), uint64(14), strings.Repeat("x", MaxCmdline), uint16(0))
	f.Add(PVMagic, uint64(1), uint64(2), uint32(3), uint64(4), uint32(5),
		uint64(6), uint32(7), uint64(8), uint64(9), uint64(10), uint64(11), uint64(12), uint64(13), uint64(14), "abc", uint16(1))
	f.Fuzz(func(t *testing.T, magic string, nrPages, sharedInfo uint64, flags uint32, storeMFN uint64, storeEvtchn uint32,
		consoleMFN uint64, consoleEvtchn uint32, ptBase, nrPTFrames, mfnList, modStart, modLen, firstP2MPFN, nrP2MFns uint64,
		cmdline string, cut uint16) {
		fields := pvFields{magic, nrPages, sharedInfo, flags, storeMFN, storeEvtchn, consoleMFN, consoleEvtchn,
			ptBase, nrPTFrames, mfnList, modStart, modLen, firstP2MPFN, nrP2MFns, cmdline, cut}
		fields.check(t)
	})
}

// TestFieldsSeedCorpus runs the checked-in seeds of FuzzPVHFields and
// FuzzPVFields through their checks and makes sure each does what its
// name says: a name starting with "valid" decodes, any other fails.
func TestFieldsSeedCorpus(t *testing.T) {
	for _, target := range []string{"FuzzPVHFields", "FuzzPVFields"} {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no seed files (%v)", target, err)
		}
		for _, file := range files {
			t.Run(target+"/"+filepath.Base(file), func(t *testing.T) {
				v := readCorpusValues(t, file)
				var ok bool
				if target == "FuzzPVHFields" {
					if len(v) != 10 {
						t.Fatalf("%d values, want 10", len(v))
					}
					f := pvhFields{v[0].(uint32), v[1].(uint32), v[2].(uint32), v[3].(uint64), v[4].(string), v[5].(bool),
						v[6].([]byte), v[7].([]byte), v[8].(uint16), v[9].(uint16)}
					ok = f.check(t)
				} else {
					if len(v) != 17 {
						t.Fatalf("%d values, want 17", len(v))
					}
					f := pvFields{v[0].(string), v[1].(uint64), v[2].(uint64), v[3].(uint32), v[4].(uint64), v[5].(uint32),
						v[6].(uint64), v[7].(uint32), v[8].(uint64), v[9].(uint64), v[10].(uint64), v[11].(uint64),
						v[12].(uint64), v[13].(uint64), v[14].(uint64), v[15].(string), v[16].(uint16)}
					ok = f.check(t)
				}
				if want := strings.HasPrefix(filepath.Base(file), "valid"); ok != want {
					t.Errorf("decoded: %v; the name says %v", ok, want)
				}
			})
		}
	}
}

// readCorpusValues reads a "go test fuzz v1" file of bool, uint16,
// uint32, uint64, string and []byte values.
func readCorpusValues(t *testing.T, path string) []any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a go test fuzz v1 file", path)
	}
	var vals []any
	for _, line := range lines[1:] {
		v, err := parseCorpusValue(line)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		vals = append(vals, v)
	}
	return vals
}

func parseCorpusValue(line string) (any, error) {
	e, err := parser.ParseExpr(line)
	if err != nil {
		return nil, err
	}
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return nil, fmt.Errorf("not a conversion")
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	var typ string
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		typ = fn.Name
	case *ast.ArrayType:
		if id, isID := fn.Elt.(*ast.Ident); isID && fn.Len == nil && id.Name == "byte" {
			typ = "[]byte"
		}
	}
	if typ == "bool" {
		if id, isID := call.Args[0].(*ast.Ident); isID {
			return strconv.ParseBool(id.Name)
		}
	}
	if !ok {
		return nil, fmt.Errorf("not a literal")
	}
	switch typ {
	case "uint16", "uint32", "uint64":
		bits, _ := strconv.Atoi(typ[4:])
		n, err := strconv.ParseUint(lit.Value, 0, bits)
		if err != nil {
			return nil, err
		}
		switch bits {
		case 16:
			return uint16(n), nil
		case 32:
			return uint32(n), nil
		}
		return n, nil
	case "string", "[]byte":
		if lit.Kind != token.STRING {
			return nil, fmt.Errorf("not a string literal")
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return nil, err
		}
		if typ == "string" {
			return s, nil
		}
		return bytes.Clone([]byte(s)), nil
	}
	return nil, fmt.Errorf("type %s not handled", typ)
}
