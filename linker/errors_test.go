package linker

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// errCase mutates a copy of a good ELF and expects a typed error whose
// message contains every string in want.
type errCase struct {
	name   string
	base   func(t *testing.T) []byte
	mutate func(t *testing.T, b []byte) []byte
	opt    Options
	check  func(t *testing.T, err error) // errors.As plus field checks
	want   []string
}

func goBase(t *testing.T) []byte { b, _ := guestELF(t); return b }
func miniSeed(t *testing.T) []byte {
	return miniELF(miniOpts{})
}

func as[T error](t *testing.T, err error) T {
	t.Helper()
	var e T
	if !errors.As(err, &e) {
		t.Fatalf("error %T (%v), want %T", err, err, e)
	}
	return e
}

func TestErrors(t *testing.T) {
	u16 := func(off int, v uint16) func(*testing.T, []byte) []byte {
		return func(_ *testing.T, b []byte) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b }
	}
	goOpt := Options{EntrySymbol: guestSymbol}
	cases := []errCase{
		{
			name: "not ELF", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte { return []byte("#!/bin/sh\n") },
			check: func(t *testing.T, err error) {
				if e := as[*HeaderError](t, err); e.Field != "magic" || e.Got != 0x23212f62 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"not an ELF file", "0x23212f62"},
		},
		{
			name: "empty", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte { return nil },
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"not an ELF file", "magic 0"},
		},
		{
			name: "not ELF64", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte { b[4] = 1; return b },
			check: func(t *testing.T, err error) {
				if e := as[*HeaderError](t, err); e.Field != "EI_CLASS" || e.Got != 1 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"not ELF64", "EI_CLASS is 1"},
		},
		{
			name: "big-endian", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte { b[5] = 2; return b },
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"not little-endian", "EI_DATA is 2"},
		},
		{
			name: "header truncated", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte { return b[:40] },
			check: func(t *testing.T, err error) {
				if e := as[*BoundsError](t, err); e.What != "ELF header" || e.FileSize != 40 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"ELF header", "(40 bytes)"},
		},
		{
			name: "e_machine flipped (Go binary)", base: goBase, opt: goOpt,
			mutate: u16(offEMachine, uint16(elf.EM_AARCH64)),
			check: func(t *testing.T, err error) {
				if e := as[*HeaderError](t, err); e.Field != "e_machine" || e.Got != 183 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"not x86-64", "e_machine is 183", "want 62"},
		},
		{
			name: "ET_DYN", base: miniSeed,
			mutate: u16(offEType, uint16(elf.ET_DYN)),
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"not an executable", "e_type is 3", "want 2"},
		},
		{
			name: "bad e_phentsize", base: miniSeed,
			mutate: u16(offEPhentsize, 32),
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"e_phentsize is 32, want 56"},
		},
		{
			name: "extended section numbering", base: miniSeed,
			mutate: u16(offEShnum, 0),
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"extended section numbering"},
		},
		{
			name: "e_shstrndx out of range", base: miniSeed,
			mutate: u16(offEShstrndx, 0xffff),
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"e_shstrndx is 65535, not a section index in 1..5"},
		},
		{
			name: "truncated Go binary", base: goBase, opt: goOpt,
			mutate: func(_ *testing.T, b []byte) []byte { return b[:8192] },
			check: func(t *testing.T, err error) {
				if e := as[*BoundsError](t, err); !strings.HasPrefix(e.What, "PT_LOAD #") || e.FileSize != 8192 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"PT_LOAD #2 (offset 0x0, size 0x", "lies outside the file (8192 bytes)"},
		},
		{
			name: "program header table out of bounds", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				binary.LittleEndian.PutUint64(b[offEPhoff:], 1<<63)
				return b
			},
			check: func(t *testing.T, err error) {
				if e := as[*BoundsError](t, err); e.What != "program header table" || e.Off != 1<<63 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"program header table (offset 0x8000000000000000, size 0xa8)"},
		},
		{
			name: "section header table out of bounds", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				binary.LittleEndian.PutUint64(b[offEShoff:], uint64(len(b)-10))
				return b
			},
			check: func(t *testing.T, err error) { as[*BoundsError](t, err) },
			want:  []string{"section header table", "lies outside the file"},
		},
		{
			name: "symtab out of bounds", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				f, _ := parse(b)
				s := f.sects[3]
				s.Size = 1 << 40
				s.put(b[f.shoff+3*shdrSize:])
				return b
			},
			check: func(t *testing.T, err error) { as[*BoundsError](t, err) },
			want:  []string{"section .symtab (offset 0x140, size 0x10000000000) lies outside the file (944 bytes)"},
		},
		{
			name: "PT_LOAD below 1 MiB (Go binary)", base: goBase, opt: goOpt,
			mutate: func(t *testing.T, b []byte) []byte {
				i := progIndex(t, b, elf.PT_LOAD)
				setProg64(b, i, phPaddr, 0x1000)
				return b
			},
			check: func(t *testing.T, err error) {
				if e := as[*RangeError](t, err); e.Start != 0x1000 || e.Index != 2 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"PT_LOAD #2 physical range [0x1000, ", "not inside [0x100000, 0x100000000)"},
		},
		{
			name: "PT_LOAD above 4 GiB", base: miniSeed,
			mutate: func(t *testing.T, b []byte) []byte { setProg64(b, 1, phPaddr, 0xffffffff); return b },
			check:  func(t *testing.T, err error) { as[*RangeError](t, err) },
			want:   []string{"PT_LOAD #1 physical range [0xffffffff, 0x10000001f)"},
		},
		{
			name: "PT_LOAD range wraps", base: miniSeed,
			mutate: func(t *testing.T, b []byte) []byte { setProg64(b, 1, phPaddr, ^uint64(0)-4); return b },
			check:  func(t *testing.T, err error) { as[*RangeError](t, err) },
			want:   []string{"PT_LOAD #1 physical range [0xfffffffffffffffb,"},
		},
		{
			name: "entry in rodata (Go binary, -entry)", base: goBase,
			mutate: func(t *testing.T, b []byte) []byte { return b },
			opt:    Options{Entry: 0}, // set below from the .rodata address
			check: func(t *testing.T, err error) {
				e := as[*EntryError](t, err)
				if !e.Physical || len(e.Segments) != 3 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"lies outside every executable PT_LOAD", "physical address", "#2 R-X paddr [0x100000,", "#3 R-- paddr"},
		},
		{
			name: "entry symbol in rodata", base: miniSeed, opt: Options{EntrySymbol: "ro"},
			mutate: func(t *testing.T, b []byte) []byte { return b },
			check: func(t *testing.T, err error) {
				if e := as[*EntryError](t, err); e.Entry != miniBase+miniRoOff || e.Symbol != "ro" || e.Physical {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"entry (symbol ro at virtual address 0x200120) lies outside every executable PT_LOAD", "#0 R-X paddr [0x200000, 0x200120)", "#1 R-- paddr [0x200120, 0x200140)"},
		},
		{
			name: "entry symbol missing (Go binary, default name)", base: goBase,
			mutate: func(t *testing.T, b []byte) []byte { return b },
			check: func(t *testing.T, err error) {
				if e := as[*SymbolError](t, err); e.NoSymtab || len(e.Tried) != 2 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"entry symbol not found in .symtab: tried " + DefaultEntrySymbol + ".abi0, " + DefaultEntrySymbol},
		},
		{
			name: "no symtab", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				f, _ := parse(b)
				binary.LittleEndian.PutUint32(b[f.shoff+3*shdrSize+4:], 1) // SHT_PROGBITS
				return b
			},
			check: func(t *testing.T, err error) {
				if e := as[*SymbolError](t, err); !e.NoSymtab {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"has no .symtab", "-entry"},
		},
		{
			name: "no PT_GNU_STACK", base: func(t *testing.T) []byte { return miniELF(miniOpts{noStack: true}) },
			mutate: func(t *testing.T, b []byte) []byte { return b },
			check: func(t *testing.T, err error) {
				if e := as[*NoSlotError](t, err); e.Phnum != 3 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"no PT_GNU_STACK", "no Xen PT_NOTE from an earlier run", "0x1 0x1 0x0", "cannot grow"},
		},
		{
			name: "malformed foreign note (Go buildid)", base: goBase, opt: goOpt,
			mutate: func(t *testing.T, b []byte) []byte {
				i := progIndex(t, b, elf.PT_NOTE)
				f, _ := parse(b)
				binary.LittleEndian.PutUint32(b[f.progs[i].Off:], 0xffff) // namesz
				return b
			},
			check: func(t *testing.T, err error) {
				if e := as[*NoteError](t, err); e.Where != "PT_NOTE #1" || e.Off != 0 {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"PT_NOTE #1: malformed note at offset 0x0: name size 65535 runs past the end"},
		},
		{
			name: "foreign PHYS32_ENTRY outside text",
			base: func(t *testing.T) []byte {
				return miniELF(miniOpts{foreignNote: xenNote(XEN_ELFNOTE_PHYS32_ENTRY, le.AppendUint32(nil, 0x1234))})
			},
			mutate: func(t *testing.T, b []byte) []byte { return b },
			check:  func(t *testing.T, err error) { as[*EntryError](t, err) },
			want:   []string{"entry (XEN_ELFNOTE_PHYS32_ENTRY in section .note.go.pvh, physical address 0x1234)", "outside every executable PT_LOAD"},
		},
		{
			name: "foreign PHYS32_ENTRY with odd size",
			base: func(t *testing.T) []byte {
				return miniELF(miniOpts{foreignNote: xenNote(XEN_ELFNOTE_PHYS32_ENTRY, []byte{1, 2, 3})})
			},
			mutate: func(t *testing.T, b []byte) []byte { return b },
			check:  func(t *testing.T, err error) { as[*NoteError](t, err) },
			want:   []string{"section .note.go.pvh", "descriptor is 3 bytes, want 4"},
		},
		{
			name: "GuestOS with NUL", base: miniSeed, opt: Options{GuestOS: "a\x00b"},
			mutate: func(t *testing.T, b []byte) []byte { return b },
			check:  func(t *testing.T, err error) { as[*OptionError](t, err) },
			want:   []string{`option GuestOS="a\x00b": contains a NUL byte`},
		},
		{
			name: "bad e_shentsize", base: miniSeed,
			mutate: u16(offEShentsize, 40),
			check:  func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:   []string{"e_shentsize is 40, want 64"},
		},
		{
			name: "symtab without string table", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				f, _ := parse(b)
				binary.LittleEndian.PutUint32(b[f.shoff+3*shdrSize+40:], 0) // sh_link
				return b
			},
			check: func(t *testing.T, err error) {
				if e := as[*HeaderError](t, err); e.Field != "sh_link of .symtab" {
					t.Errorf("%+v", e)
				}
			},
			want: []string{"sh_link of .symtab is 0, not a section index in 1..5"},
		},
		{
			name: "no room for another section", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				// 0xfeff sections: one more would need extended numbering.
				b = b[:len(b):len(b)]
				shoff := len(b)
				b = append(b, make([]byte, 0xfeff*shdrSize)...)
				binary.LittleEndian.PutUint64(b[offEShoff:], uint64(shoff))
				binary.LittleEndian.PutUint16(b[offEShnum:], 0xfeff)
				binary.LittleEndian.PutUint16(b[offEShstrndx:], 0)
				return b
			},
			opt:   Options{Entry: miniBase + miniCodeOff},
			check: func(t *testing.T, err error) { as[*HeaderError](t, err) },
			want:  []string{"adding .note.Xen would make e_shnum 65280; at most 65279 fit"},
		},
		{
			name: "program header behind our notes (Go binary)", base: goBase, opt: goOpt,
			mutate: func(t *testing.T, b []byte) []byte {
				out, err := AddNotes(b, goOpt)
				if err != nil {
					t.Fatal(err)
				}
				i := progIndex(t, out, elf.PT_PHDR)
				setProg64(out, i, phOff, uint64(len(out)-0x150))
				return out
			},
			check: func(t *testing.T, err error) { as[*LayoutError](t, err) },
			want:  []string{"program header #0 (type 0x6) at offset", "lies in the region appended by an earlier run"},
		},
		{
			name: "program header out of bounds (Go binary)", base: goBase, opt: goOpt,
			mutate: func(t *testing.T, b []byte) []byte {
				setProg64(b, progIndex(t, b, elf.PT_PHDR), phOff, 1<<40)
				return b
			},
			check: func(t *testing.T, err error) { as[*BoundsError](t, err) },
			want:  []string{"program header #0 (type 0x6) (offset 0x10000000000, size 0x150) lies outside the file"},
		},
		{
			name: "section out of bounds", base: miniSeed,
			mutate: func(_ *testing.T, b []byte) []byte {
				f, _ := parse(b)
				binary.LittleEndian.PutUint64(b[f.shoff+2*shdrSize+32:], 1<<20) // .rodata sh_size
				return b
			},
			check: func(t *testing.T, err error) { as[*BoundsError](t, err) },
			want:  []string{"section .rodata (offset 0x120, size 0x100000) lies outside the file (944 bytes)"},
		},
		{
			name: "data behind our notes", base: miniSeed, opt: Options{Entry: miniBase + miniCodeOff},
			mutate: func(t *testing.T, b []byte) []byte {
				out, err := AddNotes(b, Options{})
				if err != nil {
					t.Fatal(err)
				}
				// Point .strtab into the appended region, as if another
				// tool had rewritten the file after us.
				f, _ := parse(out)
				s := f.sects[4]
				s.Off = uint64(len(out) - 8)
				s.Size = 8
				s.put(out[f.shoff+4*shdrSize:])
				return out
			},
			check: func(t *testing.T, err error) { as[*LayoutError](t, err) },
			want:  []string{"section .strtab at offset", "lies in the region appended by an earlier run"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), c.base(t)...)
			b = c.mutate(t, b)
			opt := c.opt
			if strings.HasPrefix(c.name, "entry in rodata") {
				opt.Entry = elfOf(t, b).Section(".rodata").Addr + 16
			}
			out, err := AddNotes(b, opt)
			if err == nil {
				t.Fatalf("AddNotes succeeded (%d bytes), want an error", len(out))
			}
			if out != nil {
				t.Errorf("AddNotes returned %d bytes with an error", len(out))
			}
			t.Logf("message: %v", err)
			c.check(t, err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q", w)
				}
			}
		})
	}
}

func TestXenNotesErrors(t *testing.T) {
	if _, err := XenNotes([]byte("nope")); err == nil {
		t.Error("XenNotes accepted a non-ELF")
	} else {
		t.Logf("message: %v", err)
	}
	// A note area cut in the middle of a header.
	_, err := parseNotes([]byte{4, 0, 0, 0, 4, 0, 0}, "test")
	if e := as[*NoteError](t, err); !strings.Contains(e.Error(), "test: malformed note at offset 0x0: 7 trailing bytes") {
		t.Errorf("message: %v", e)
	}
	t.Logf("message: %v", err)
	_, err = parseNotes([]byte{4, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 'X', 'e', 'n', 0, 1, 2}, "test")
	t.Logf("message: %v", err)
	if err == nil || !strings.Contains(err.Error(), "descriptor size 9 runs past the end (18 bytes)") {
		t.Errorf("err = %v", err)
	}
	// Zero padding at the end is fine; XenNotes reads section notes when
	// no PT_NOTE has Xen notes, as Xen does.
	in := miniELF(miniOpts{foreignNote: append(xenNote(XEN_ELFNOTE_GUEST_OS, []byte("x\x00")), 0, 0, 0, 0)})
	notes, err := XenNotes(in)
	if err != nil || len(notes) != 1 || notes[0].Type != XEN_ELFNOTE_GUEST_OS {
		t.Errorf("XenNotes = %v, %v", notes, err)
	}
}
