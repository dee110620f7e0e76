package linker

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// loadBytes returns the file contents of every PT_LOAD of b, with its
// header, as debug/elf reads them, but for the fields that say where in
// the file sections and program headers' contents are: e_shoff, e_shnum,
// e_shstrndx and the p_offset of every program header but PT_LOAD, which
// read as zero. Those are the only loaded bytes Strip may change.
func loadBytes(t *testing.T, b []byte) (hdrs []elf.ProgHeader, data [][]byte) {
	t.Helper()
	f := elfOf(t, b)
	masked := append([]byte(nil), b...)
	clear(masked[offEShoff : offEShoff+8])
	clear(masked[offEShnum : offEShstrndx+2])
	phoff := le.Uint64(b[offEPhoff:])
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			clear(masked[phoff+uint64(i)*phdrSize+phOff:][:8])
		}
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		hdrs = append(hdrs, p.ProgHeader)
		data = append(data, masked[p.Off:p.Off+p.Filesz])
	}
	return hdrs, data
}

// checkStripped checks what Strip promises of stripped, made from full:
// the same PT_LOADs, headers and bytes; the same Xen notes; the same
// SHF_ALLOC and note sections, with the same contents; nothing else but
// the name table; and a second Strip changes nothing.
func checkStripped(t *testing.T, full, stripped []byte) {
	t.Helper()
	fh, fd := loadBytes(t, full)
	sh, sd := loadBytes(t, stripped)
	if len(fh) == 0 || len(fh) != len(sh) {
		t.Fatalf("PT_LOADs: %d in full, %d stripped", len(fh), len(sh))
	}
	for i := range fh {
		if fh[i] != sh[i] {
			t.Errorf("PT_LOAD %d header: %+v full, %+v stripped", i, fh[i], sh[i])
		}
		if !bytes.Equal(fd[i], sd[i]) {
			t.Errorf("PT_LOAD %d: contents differ", i)
		}
	}
	fn, err1 := XenNotes(full)
	sn, err2 := XenNotes(stripped)
	if err1 != nil || err2 != nil || len(fn) != len(sn) {
		t.Fatalf("Xen notes: full %v (%v), stripped %v (%v)", fn, err1, sn, err2)
	}
	for i := range fn {
		if fn[i].String() != sn[i].String() {
			t.Errorf("Xen note %d: %v full, %v stripped", i, fn[i], sn[i])
		}
	}

	ff, sf := elfOf(t, full), elfOf(t, stripped)
	want := map[string]*elf.Section{}
	for _, s := range ff.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 || s.Type == elf.SHT_NOTE {
			want[s.Name] = s
		}
	}
	for _, s := range sf.Sections {
		if s.Type == elf.SHT_NULL || s.Name == ".shstrtab" {
			continue
		}
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("stripped keeps section %s (%v, flags %v)", s.Name, s.Type, s.Flags)
			continue
		}
		delete(want, s.Name)
		if s.Addr != w.Addr || s.Size != w.Size || s.Type != w.Type || s.Flags != w.Flags {
			t.Errorf("section %s: %+v full, %+v stripped", s.Name, w.SectionHeader, s.SectionHeader)
		}
		if s.Type != elf.SHT_NOBITS {
			a, _ := w.Data()
			b, err := s.Data()
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("section %s: contents differ (%v)", s.Name, err)
			}
		}
	}
	for n := range want {
		t.Errorf("stripped lost section %s", n)
	}
	if s := sf.Section(".shstrtab"); s == nil || int(sf.FileHeader.Entry) == 0 {
		t.Error("stripped has no .shstrtab")
	}
	if _, err := sf.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
		t.Errorf("stripped still has symbols: %v", err)
	}

	again, err := Strip(stripped)
	if err != nil || !bytes.Equal(again, stripped) {
		t.Errorf("Strip of a stripped file: %v, identical %v", err, bytes.Equal(again, stripped))
	}
}

// A Go-linked kernel with Xen's notes, stripped: the boot image goxen
// build writes.
func TestStripGoBinary(t *testing.T) {
	in, _ := guestELF(t)
	full, res, err := Report(in, Options{EntrySymbol: guestSymbol})
	if err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), full...)
	stripped, err := Strip(full)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(full, orig) {
		t.Fatal("Strip modified its input")
	}
	checkStripped(t, full, stripped)
	checkXenImage(t, stripped, res.Entry, DefaultGuestOS)

	// DWARF and the symbol table are what goes.
	var gone uint64
	for _, s := range elfOf(t, full).Sections {
		if strings.HasPrefix(s.Name, ".debug_") || s.Name == ".symtab" || s.Name == ".strtab" {
			gone += s.FileSize
		}
	}
	if gone == 0 || uint64(len(full)-len(stripped)) < gone {
		t.Errorf("%d bytes -> %d; .debug_*, .symtab and .strtab were %d", len(full), len(stripped), gone)
	}

	// Report recognises the notes it wrote: with the entry given (the
	// symbol is gone), it rebuilds them in place, byte for byte.
	again, res2, err := Report(stripped, Options{Entry: res.Entry})
	if err != nil || !bytes.Equal(again, stripped) || res2.Entry != res.Entry {
		t.Errorf("Report of the stripped file: %v, identical %v", err, bytes.Equal(again, stripped))
	}
	var se *SymbolError
	if _, err := AddNotes(stripped, Options{EntrySymbol: guestSymbol}); !errors.As(err, &se) || !se.NoSymtab {
		t.Errorf("entry symbol looked up in the stripped file: %v, want a *SymbolError saying there is no .symtab", err)
	}

	// Stripping before the notes works too.
	bare, err := Strip(in)
	if err != nil {
		t.Fatal(err)
	}
	noted, err := AddNotes(bare, Options{Entry: res.Entry})
	if err != nil {
		t.Fatal(err)
	}
	checkXenImage(t, noted, res.Entry, DefaultGuestOS)
	checkStripped(t, in, bare)

	// The stripped binary still runs on Linux.
	p := filepath.Join(t.TempDir(), "stripped")
	if err := os.WriteFile(p, stripped, 0o755); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(p).CombinedOutput(); err != nil || string(msg) != "hello from pvhguest\n" {
		t.Errorf("stripped binary: %v, output %q", err, msg)
	}
	if readelf, err := exec.LookPath("readelf"); err == nil {
		msg, err := exec.Command(readelf, "-a", "-W", p).CombinedOutput()
		if err != nil || strings.Contains(string(msg), "Warning") || strings.Contains(string(msg), "Error") {
			t.Errorf("readelf -a: %v\n%s", err, msg)
		}
	}
}

// The hand-built ELF: .symtab and .strtab go, a foreign note section
// behind them moves up, the section links are renumbered.
func TestStripMini(t *testing.T) {
	for _, o := range []miniOpts{{}, {foreignNote: xenNote(XEN_ELFNOTE_PHYS32_ENTRY, le.AppendUint32(nil, miniBase+miniCodeOff))}} {
		in := miniELF(o)
		out, err := Strip(in)
		if err != nil {
			t.Fatal(err)
		}
		checkStripped(t, in, out)
		var names []string
		for _, s := range elfOf(t, out).Sections {
			names = append(names, s.Name)
		}
		want := "|.text|.rodata|.shstrtab"
		if o.foreignNote != nil {
			want += "|.note.go.pvh"
		}
		if got := strings.Join(names, "|"); got != want {
			t.Errorf("sections %q, want %q", got, want)
		}
		if len(out) >= len(in) {
			t.Errorf("%d bytes -> %d", len(in), len(out))
		}
		if !bytes.Equal(out[ehdrSize:miniRoEnd], in[ehdrSize:miniRoEnd]) {
			t.Error("the loaded bytes moved or changed")
		}
		// With notes added: the same.
		noted, err := AddNotes(in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sn, err := Strip(noted)
		if err != nil {
			t.Fatal(err)
		}
		checkStripped(t, noted, sn)
	}
}

func TestStripRefuses(t *testing.T) {
	ok := miniELF(miniOpts{})
	sectHdr := func(b []byte, i int) []byte { return b[le.Uint64(b[offEShoff:])+uint64(i)*shdrSize:] }
	for _, c := range []struct {
		name string
		edit func(b []byte) []byte
		want any
		msg  string
	}{
		{"not ELF", func(b []byte) []byte { return []byte("#!/bin/sh\n") }, new(*HeaderError), "not an ELF file"},
		{"truncated", func(b []byte) []byte { return b[:100] }, new(*BoundsError), "lies outside the file"},
		{"PT_LOAD past the end", func(b []byte) []byte {
			setProg64(b, 1, 32, 0x100000) // p_filesz
			return b
		}, new(*BoundsError), "program header #1"},
		{"links to a dropped section", func(b []byte) []byte {
			le.PutUint32(sectHdr(b, 2)[40:], 3) // .rodata's sh_link = .symtab
			return b
		}, new(*StripError), "cannot strip section .rodata: its sh_link names section 3"},
		{"renumbered under a dynamic symbol table", func(b []byte) []byte {
			le.PutUint32(sectHdr(b, 2)[4:], shtDynsym) // .rodata becomes SHT_DYNSYM
			return b
		}, new(*StripError), "cannot strip section .shstrtab: it would become section 3"},
	} {
		_, err := Strip(c.edit(append([]byte(nil), ok...)))
		if err == nil || !errors.As(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %T saying %q", c.name, err, c.want, c.msg)
		}
	}
}

// FuzzStrip feeds mutated small ELFs to Strip. It must never panic, and
// whatever it accepts it must accept again with identical output, with
// the same PT_LOAD contents and the same Xen notes.
func FuzzStrip(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Strip(in)
		if err != nil {
			if out != nil {
				t.Fatalf("output with error %v", err)
			}
			return
		}
		again, err := Strip(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second Strip: %v, identical %v", err, bytes.Equal(again, out))
		}
		fi, err := parse(in)
		if err != nil {
			t.Fatal(err)
		}
		fo, err := parse(out)
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		if len(fi.progs) != len(fo.progs) {
			t.Fatalf("program headers %d -> %d", len(fi.progs), len(fo.progs))
		}
		for i, p := range fi.progs {
			q := fo.progs[i]
			if p.Type == ptLoad && p != q {
				t.Fatalf("PT_LOAD #%d changed: %+v -> %+v", i, p, q)
			}
		}
		// Only the header fields that locate sections and moved contents
		// may change in the bytes kept in place.
		keep := append([]byte(nil), out[:min(len(in), len(out))]...)
		for _, o := range []int{offEShoff, offEShoff + 4, offEShnum, offEShstrndx} {
			n := 4
			if o >= offEShnum {
				n = 2
			}
			copy(keep[o:o+n], in[o:o+n])
		}
		for i, p := range fi.progs {
			if at := fi.phoff + uint64(i)*phdrSize + phOff; p.Type != ptLoad && at+8 <= uint64(len(keep)) {
				copy(keep[at:at+8], in[at:at+8])
			}
		}
		for _, p := range fi.progs {
			if p.Type == ptLoad && !bytes.Equal(in[p.Off:p.Off+p.Filesz], keep[p.Off:p.Off+p.Filesz]) {
				t.Fatalf("PT_LOAD at %#x: contents changed", p.Off)
			}
		}
		if ni, err := XenNotes(in); err == nil {
			no, err := XenNotes(out)
			if err != nil || len(no) != len(ni) {
				t.Fatalf("Xen notes %v -> %v (%v)", ni, no, err)
			}
		}
	})
}
