package startinfo

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets decode raw bytes placed at fuzzBase, with the structure
// at the start. Seeds use the same layout as the test images (base 0x100000),
// so the addresses inside them point back into the input.
const fuzzBase = base

func FuzzPVH(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every new input it finds, and
	// that is slow for the 32 KiB test images.
	f.Add(compactPVH(1))
	f.Add(compactPVH(0))
	f.Add(compactPVH(1)[:hvmStartInfoSizeV1])
	f.Add(compactPVH(7))
	f.Add(pvhV0().b.Data[:offCmdline+8])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p PVH
		m := &Bytes{Base: fuzzBase, Data: data}
		err := p.Decode(m, fuzzBase)
		if err != nil {
			e := mustAsError(t, err)
			if e != &p.Err || e.Kind < KindBadMagic || e.Kind > KindCmdline || len(e.Error()) == 0 {
				t.Fatalf("bad error %#v", e)
			}
			return
		}
		if p.NModules > MaxModules || p.NMemmap > MaxMemmap || p.CmdlineLen >= MaxCmdline {
			t.Fatalf("counts out of bounds: %d modules, %d memmap, cmdline %d", p.NModules, p.NMemmap, p.CmdlineLen)
		}
		if bytes.IndexByte(p.CmdlineBytes(), 0) >= 0 {
			t.Fatalf("cmdline holds a NUL: %q", p.CmdlineBytes())
		}
		for _, mod := range p.ModuleList() {
			if !m.Contains(mod.Paddr, mod.Size) {
				t.Fatalf("accepted module outside memory: %+v", mod)
			}
		}
		for _, e := range p.MemoryMap() {
			if e.End() < e.Addr {
				t.Fatalf("accepted wrapping memmap entry %+v", e)
			}
		}
		_ = p.String()
	})
}

func FuzzPV(f *testing.F) {
	f.Add(pvImage().b.Data[:pvStartInfoSz])
	f.Add(pvImage().b.Data[:pvStartInfoSz-1])
	f.Add([]byte(PVMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p PV
		err := p.Decode(&Bytes{Base: fuzzBase, Data: data}, fuzzBase)
		if err != nil {
			e := mustAsError(t, err)
			if e != &p.Err || e.Kind < KindBadMagic || e.Kind > KindCmdline || len(e.Error()) == 0 {
				t.Fatalf("bad error %#v", e)
			}
			return
		}
		if string(p.Magic[:p.MagicLen]) != PVMagic || p.Magic[p.MagicLen] != 0 {
			t.Fatalf("accepted magic %q", p.Magic)
		}
		if p.CmdlineLen >= MaxCmdline || bytes.IndexByte(p.CmdlineBytes(), 0) >= 0 {
			t.Fatalf("bad cmdline %q", p.CmdlineBytes())
		}
		if s, n, ok := p.Module(); ok && (n == 0 || s+n < s) || !ok && (s != 0 || n != 0) {
			t.Fatalf("Module() = %#x, %#x, %v from mod_start %#x, mod_len %#x", s, n, ok, p.ModStart, p.ModLen)
		}
		_ = p.String()
	})
}

// compactPVH builds a start info with everything it points to packed into
// 0x120 bytes: command line at 0x40, two modules listed at 0x60, a
// three-entry memory map at 0xa0, module data from 0xf0.
func compactPVH(version uint32) []byte {
	im := &image{b: Bytes{Base: base, Data: make([]byte, 0x120)}}
	im.put32(base, XEN_HVM_START_MAGIC_VALUE)
	im.put32(base+4, version)
	im.put32(base+8, SIF_PRIVILEGED|SIF_INITDOMAIN)
	im.put32(base+12, 2)
	im.put64(base+16, base+0x60)
	im.put64(base+24, base+0x40)
	im.put64(base+32, 0xfc000)
	im.put64(base+40, base+0xa0)
	im.put32(base+48, 3)
	im.putString(base+0x40, "console=hvc0 debug")
	for i, m := range [][3]uint64{{base + 0xf0, 0x10, 0}, {base + 0x100, 0x20, base + 0xe8}} {
		e := base + 0x60 + uint64(i)*32
		im.put64(e, m[0])
		im.put64(e+8, m[1])
		im.put64(e+16, m[2])
	}
	im.putString(base+0xe8, "initrd")
	for i, e := range [][3]uint64{{0, 0x9fc00, 1}, {0xf0000, 0x10000, 2}, {0x100000, 0x3ff00000, 1}} {
		o := base + 0xa0 + uint64(i)*24
		im.put64(o, e[0])
		im.put64(o+8, e[1])
		im.put32(o+16, uint32(e[2]))
	}
	return im.b.Data
}

// TestSeedCorpus decodes the checked-in corpus files and checks each gives
// the outcome its name promises, so the seeds stay meaningful.
func TestSeedCorpus(t *testing.T) {
	cases := []struct {
		target, name string
		want         error // nil: decodes
	}{
		{"FuzzPVH", "valid-v1", nil},
		{"FuzzPVH", "valid-v0", nil},
		{"FuzzPVH", "bad-magic", ErrBadMagic},
		{"FuzzPVH", "version-2", nil},
		{"FuzzPVH", "memmap-count-absurd", ErrCount},
		{"FuzzPVH", "memmap-entry-wraps", ErrOutOfRange},
		{"FuzzPV", "valid", nil},
		{"FuzzPV", "x86_32p", ErrBadMagic},
		{"FuzzPV", "cmdline-no-nul", ErrCmdline},
		{"FuzzPV", "truncated", ErrOutOfRange},
	}
	for _, c := range cases {
		data := readCorpusFile(t, "testdata/fuzz/"+c.target+"/"+c.name)
		if c.name == "valid-v1" && !bytes.Equal(data, compactPVH(1)) {
			t.Errorf("valid-v1 differs from compactPVH(1)")
		}
		if c.name == "version-2" && !bytes.Equal(data, compactPVH(2)) {
			t.Errorf("version-2 differs from compactPVH(2)")
		}
		m := &Bytes{Base: fuzzBase, Data: data}
		var err error
		if c.target == "FuzzPVH" {
			var p PVH
			err = p.Decode(m, fuzzBase)
			if err == nil && (c.name == "valid-v1" || c.name == "version-2") && (p.NModules != 2 || p.NMemmap != 3 || p.CmdlineString() != "console=hvc0 debug") {
				t.Errorf("%s decoded to\n%s", c.name, p.String())
			}
		} else {
			var p PV
			err = p.Decode(m, fuzzBase)
		}
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s/%s: got %v, want %v", c.target, c.name, err, c.want)
		}
	}
}

// readCorpusFile reads a one-value "go test fuzz v1" file holding []byte.
func readCorpusFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
	if !ok {
		t.Fatalf("%s: not a go test fuzz v1 []byte file", path)
	}
	s, ok = strings.CutSuffix(strings.TrimSpace(s), ")")
	if !ok {
		t.Fatalf("%s: unterminated []byte(", path)
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(u)
}
