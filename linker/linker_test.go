package linker

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// elfOf opens b with debug/elf, the independent reader the tests trust.
func elfOf(t *testing.T, b []byte) *elf.File {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("debug/elf cannot read the output: %v", err)
	}
	return f
}

// decodeNotes is a second, test-only note decoder (4-byte alignment).
func decodeNotes(t *testing.T, d []byte) []Note {
	t.Helper()
	var out []Note
	for len(d) >= 12 {
		nsz := binary.LittleEndian.Uint32(d[0:])
		dsz := binary.LittleEndian.Uint32(d[4:])
		typ := binary.LittleEndian.Uint32(d[8:])
		pn := (nsz + 3) &^ 3
		pd := (dsz + 3) &^ 3
		if uint64(12+pn+pd) > uint64(len(d)) {
			t.Fatalf("note runs past its area: namesz %d descsz %d, %d bytes left", nsz, dsz, len(d))
		}
		out = append(out, Note{
			Name: strings.TrimRight(string(d[12:12+nsz]), "\x00"),
			Type: typ,
			Desc: d[12+pn : 12+pn+dsz],
		})
		d = d[12+pn+pd:]
	}
	if len(d) != 0 {
		t.Fatalf("%d stray bytes after the notes", len(d))
	}
	return out
}

// checkXenImage verifies with debug/elf that out carries a PT_NOTE with our
// four Xen notes, whose PHYS32_ENTRY equals want and lies inside an
// executable PT_LOAD, and a .note.Xen SHT_NOTE section with the same bytes.
// (4 notes for PVH only, 8 with the PV notes.)
func checkXenImage(t *testing.T, out []byte, want uint64, guestOS string) {
	t.Helper()
	f := elfOf(t, out)
	var xen []Note
	var noteData []byte
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		d := make([]byte, p.Filesz)
		if _, err := p.ReadAt(d, 0); err != nil {
			t.Fatal(err)
		}
		ns := decodeNotes(t, d)
		if len(ns) > 0 && ns[0].Name == "Xen" {
			xen, noteData = ns, d
		}
	}
	if xen == nil {
		t.Fatal("no PT_NOTE with Xen notes")
	}
	got := map[uint32]string{}
	for _, n := range xen {
		got[n.Type] = string(n.Desc)
	}
	if (len(xen) != 4 && len(xen) != 8) || got[XEN_ELFNOTE_GUEST_OS] != guestOS+"\x00" ||
		got[XEN_ELFNOTE_XEN_VERSION] != "xen-3.0\x00" || got[XEN_ELFNOTE_LOADER] != "generic\x00" {
		t.Errorf("Xen notes = %q", xen)
	}
	e := []byte(got[XEN_ELFNOTE_PHYS32_ENTRY])
	if len(e) != 4 {
		t.Fatalf("PHYS32_ENTRY descriptor is %d bytes, want 4", len(e))
	}
	entry := uint64(binary.LittleEndian.Uint32(e))
	if entry != want {
		t.Errorf("PHYS32_ENTRY = %#x, want %#x", entry, want)
	}
	inside := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && entry >= p.Paddr && entry < p.Paddr+p.Filesz {
			inside = true
		}
	}
	if !inside {
		t.Errorf("PHYS32_ENTRY %#x is not inside an executable PT_LOAD", entry)
	}
	s := f.Section(".note.Xen")
	if s == nil || s.Type != elf.SHT_NOTE {
		t.Fatalf("no SHT_NOTE section .note.Xen: %v", s)
	}
	sd, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd, noteData) {
		t.Errorf(".note.Xen holds %x, PT_NOTE holds %x", sd, noteData)
	}
	if f.FileHeader.Machine != elf.EM_X86_64 || f.FileHeader.Type != elf.ET_EXEC {
		t.Errorf("header changed: %v %v", f.FileHeader.Machine, f.FileHeader.Type)
	}
}

func symbolValue(t *testing.T, b []byte, name string) uint64 {
	t.Helper()
	syms, err := elfOf(t, b).Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("symbol %s not found", name)
	return 0
}

func TestGoBinary(t *testing.T) {
	in, _ := guestELF(t)
	orig := append([]byte(nil), in...)
	out, res, err := Report(in, Options{EntrySymbol: guestSymbol})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, orig) {
		t.Fatal("AddNotes modified its input")
	}
	want := symbolValue(t, in, guestSymbol+".abi0")
	checkXenImage(t, out, want, DefaultGuestOS)
	if res.Entry != want || res.Source != "symbol "+guestSymbol+".abi0" || res.Notes != 4 || res.Size != len(out) || res.Kept {
		t.Errorf("Result = %+v", res)
	}

	// PT_GNU_STACK is gone, every other program header is unchanged.
	fi, fo := elfOf(t, in), elfOf(t, out)
	if len(fi.Progs) != len(fo.Progs) {
		t.Fatalf("program header count %d -> %d", len(fi.Progs), len(fo.Progs))
	}
	for i := range fi.Progs {
		if fi.Progs[i].Type == elf.PT_GNU_STACK {
			if fo.Progs[i].Type != elf.PT_NOTE {
				t.Errorf("phdr %d: PT_GNU_STACK became %v, want PT_NOTE", i, fo.Progs[i].Type)
			}
			continue
		}
		if fi.Progs[i].ProgHeader != fo.Progs[i].ProgHeader {
			t.Errorf("phdr %d changed: %+v -> %+v", i, fi.Progs[i].ProgHeader, fo.Progs[i].ProgHeader)
		}
	}
	// Every original section keeps its name, header and contents.
	for i, s := range fi.Sections {
		o := fo.Sections[i]
		if s.Name == ".shstrtab" {
			continue // moved to the end, with .note.Xen added
		}
		if s.SectionHeader != o.SectionHeader {
			t.Errorf("section %d header changed: %+v -> %+v", i, s.SectionHeader, o.SectionHeader)
		}
	}
	if len(fo.Sections) != len(fi.Sections)+1 {
		t.Errorf("sections %d -> %d, want one more", len(fi.Sections), len(fo.Sections))
	}
	if !bytes.Equal(out[:len(in)], in[:len(in)]) {
		// Only the one program header may differ inside the original bytes.
		diff := 0
		for i := range in {
			if in[i] != out[i] {
				diff++
			}
		}
		if diff > phdrSize+16 { // phdr + e_shoff + e_shnum
			t.Errorf("%d bytes of the original file changed", diff)
		}
	}

	// Idempotent: byte-identical on a second run, also through AddNotes.
	again, err := AddNotes(out, Options{EntrySymbol: guestSymbol})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("second run differs: %d vs %d bytes", len(again), len(out))
	}

	// Our reader agrees.
	notes, err := XenNotes(out)
	if err != nil || len(notes) != 4 || notes[0].Type != XEN_ELFNOTE_PHYS32_ENTRY {
		t.Errorf("XenNotes = %v, %v", notes, err)
	}
	if notes, err := XenNotes(in); err != nil || len(notes) != 0 {
		t.Errorf("XenNotes(original) = %v, %v; want none", notes, err)
	}

	// The patched binary still runs on Linux: nothing it needs was touched.
	p := filepath.Join(t.TempDir(), "patched")
	if err := os.WriteFile(p, out, 0o755); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(p).CombinedOutput(); err != nil || string(msg) != "hello from pvhguest\n" {
		t.Errorf("patched binary: %v, output %q", err, msg)
	}
}

func TestGoBinaryEntryOption(t *testing.T) {
	in, _ := guestELF(t)
	mainMain := symbolValue(t, in, "main.main")
	out, res, err := Report(in, Options{Entry: mainMain, GuestOS: "hello-os"})
	if err != nil {
		t.Fatal(err)
	}
	checkXenImage(t, out, mainMain, "hello-os")
	if res.Source != "-entry" {
		t.Errorf("Source = %q", res.Source)
	}
	// A rerun with other options replaces the notes instead of adding more.
	sym := symbolValue(t, in, guestSymbol+".abi0")
	again, err := AddNotes(out, Options{EntrySymbol: guestSymbol})
	if err != nil {
		t.Fatal(err)
	}
	checkXenImage(t, again, sym, DefaultGuestOS)
	direct, _ := AddNotes(in, Options{EntrySymbol: guestSymbol})
	if !bytes.Equal(again, direct) {
		t.Error("re-running with new options differs from a fresh run with them")
	}
}

func TestReadelf(t *testing.T) {
	readelf, err := exec.LookPath("readelf")
	if err != nil {
		t.Skip("readelf (binutils) not installed")
	}
	in, _ := guestELF(t)
	out, err := AddNotes(in, Options{EntrySymbol: guestSymbol})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "patched")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(readelf, "-n", "-W", p).CombinedOutput()
	if err != nil {
		t.Fatalf("readelf -n: %v\n%s", err, msg)
	}
	text := string(msg)
	t.Logf("readelf -n:\n%s", text)
	if !strings.Contains(text, ".note.Xen") {
		t.Error("readelf -n does not list .note.Xen")
	}
	// Older binutils print the type number, newer ones may name it.
	if !regexp.MustCompile(`Xen\s+0x00000004\s+(.*0x00000012|.*PHYS32)`).MatchString(text) {
		t.Error("readelf -n does not show the Xen PHYS32_ENTRY note")
	}
	if strings.Contains(text, "Warning") || strings.Contains(text, "Error") {
		t.Error("readelf complains about the output")
	}
}

func TestMiniDefaultSymbol(t *testing.T) {
	in := miniELF(miniOpts{})
	out, res, err := Report(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The .abi0 body wins over the unsuffixed wrapper.
	checkXenImage(t, out, miniBase+miniCodeOff, DefaultGuestOS)
	if res.Source != "symbol "+DefaultEntrySymbol+".abi0" {
		t.Errorf("Source = %q", res.Source)
	}
	again, err := AddNotes(out, Options{})
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("second run: err %v, identical %v", err, bytes.Equal(again, out))
	}
	// Asking for a name ending in .abi0, or for a name with no .abi0 twin.
	out, res, err = Report(in, Options{EntrySymbol: DefaultEntrySymbol + ".abi0"})
	if err != nil || res.Entry != miniBase+miniCodeOff {
		t.Errorf("explicit .abi0: %+v, %v", res, err)
	}
	checkXenImage(t, out, miniBase+miniCodeOff, DefaultGuestOS)
}

func TestForeignPhys32Kept(t *testing.T) {
	in := miniELF(miniOpts{foreignNote: xenNote(XEN_ELFNOTE_PHYS32_ENTRY, le.AppendUint32(nil, miniBase+miniCodeOff))})
	out, res, err := Report(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) || !res.Kept || res.Entry != miniBase+miniCodeOff ||
		res.Source != "existing note in section .note.go.pvh" || res.Notes != 1 {
		t.Errorf("Result = %+v, unchanged %v", res, bytes.Equal(out, in))
	}
	// The same entry given explicitly is fine; a different one is an error.
	if _, err := AddNotes(in, Options{Entry: miniBase + miniCodeOff}); err != nil {
		t.Errorf("same explicit entry: %v", err)
	}
	_, err = AddNotes(in, Options{Entry: miniBase + miniWrapOff})
	var ee *ExistingEntryError
	if !errors.As(err, &ee) || ee.Existing != miniBase+miniCodeOff || ee.Requested != miniBase+miniWrapOff {
		t.Fatalf("err = %v", err)
	}
	t.Logf("message: %v", err)
	if !strings.Contains(err.Error(), "section .note.go.pvh already has XEN_ELFNOTE_PHYS32_ENTRY=0x200100") {
		t.Errorf("message = %v", err)
	}
}

func TestNoteString(t *testing.T) {
	for _, c := range []struct {
		n    Note
		want string
	}{
		{Note{"Xen", XEN_ELFNOTE_PHYS32_ENTRY, []byte{0x40, 0x01, 0x20, 0}}, "Xen XEN_ELFNOTE_PHYS32_ENTRY 0x200140"},
		{Note{"Xen", XEN_ELFNOTE_GUEST_OS, []byte("goxen\x00")}, `Xen XEN_ELFNOTE_GUEST_OS "goxen"`},
		{Note{"Xen", 99, []byte{1, 2, 3}}, "Xen type 99 01 02 03"},
		{Note{"Xen", 3, []byte{0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff}}, "Xen XEN_ELFNOTE_VIRT_BASE 0xffffffff80000000"},
	} {
		if got := c.n.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}
