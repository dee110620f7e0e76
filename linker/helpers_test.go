package linker

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

const guestSymbol = "example.com/pvhguest/kernel.pvhEntry"

var (
	guestOnce sync.Once
	guestPath string
	guestDir  string
	guestErr  error
	guestOut  []byte
)

// guestELF builds testdata/pvhguest once per test binary, the way the
// project builds kernels, and returns a fresh copy of its bytes and its path.
func guestELF(t testing.TB) ([]byte, string) {
	t.Helper()
	guestOnce.Do(func() {
		guestDir, guestErr = os.MkdirTemp("", "linker-test-")
		if guestErr != nil {
			return
		}
		guestPath = filepath.Join(guestDir, "pvhguest.elf")
		cmd := exec.Command("go", "build", "-ldflags="+LDFlags(), "-o", guestPath, ".")
		cmd.Dir = filepath.Join("testdata", "pvhguest")
		cmd.Env = append(append(os.Environ(), BuildEnv()...), "GOWORK=off")
		guestOut, guestErr = cmd.CombinedOutput()
	})
	if guestErr != nil {
		t.Fatalf("building testdata/pvhguest: %v\n%s", guestErr, guestOut)
	}
	b, err := os.ReadFile(guestPath)
	if err != nil {
		t.Fatal(err)
	}
	return b, guestPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if guestDir != "" {
		os.RemoveAll(guestDir)
	}
	os.Exit(code)
}

// Addresses in the hand-built ELF.
const (
	miniBase    = 0x200000
	miniCodeOff = 0x100 // pvhEntry.abi0 lives here
	miniWrapOff = 0x110 // the unsuffixed (ABIInternal wrapper) symbol
	miniTextEnd = 0x120
	miniRoOff   = 0x120
	miniRoEnd   = 0x140
)

type miniOpts struct {
	foreignNote []byte // if set, an extra SHT_NOTE section ".note.go.pvh" with these bytes
	noStack     bool   // PT_NULL instead of PT_GNU_STACK
}

// miniELF builds a small ELF64 x86-64 executable by hand: a text PT_LOAD
// holding the headers and some HLTs, a read-only PT_LOAD, PT_GNU_STACK, and
// sections .text, .rodata, .symtab, .strtab, .shstrtab (plus an optional
// foreign note section). It is a few hundred bytes: a good fuzz seed.
func miniELF(o miniOpts) []byte {
	b := make([]byte, miniRoEnd)
	for i := miniCodeOff; i < miniTextEnd; i++ {
		b[i] = 0xf4 // HLT
	}
	for i := miniRoOff; i < miniRoEnd; i++ {
		b[i] = byte(i)
	}
	w := binary.LittleEndian

	// .symtab and .strtab
	strtab := []byte("\x00" + DefaultEntrySymbol + ".abi0\x00" + DefaultEntrySymbol + "\x00ro\x00")
	sym := func(name uint32, value uint64) []byte {
		var s [24]byte
		w.PutUint32(s[0:], name)
		s[4] = 0x12 // STB_GLOBAL, STT_FUNC
		w.PutUint16(s[6:], 1)
		w.PutUint64(s[8:], value)
		return s[:]
	}
	abi0 := uint32(1)
	plain := abi0 + uint32(len(DefaultEntrySymbol)+len(".abi0")+1)
	ro := plain + uint32(len(DefaultEntrySymbol)+1)
	var symtab []byte
	symtab = append(symtab, make([]byte, 24)...)
	symtab = append(symtab, sym(plain, miniBase+miniWrapOff)...)
	symtab = append(symtab, sym(abi0, miniBase+miniCodeOff)...)
	symtab = append(symtab, sym(ro, miniBase+miniRoOff)...)
	shstr := []byte("\x00.text\x00.rodata\x00.symtab\x00.strtab\x00.shstrtab\x00.note.go.pvh\x00")

	put := func(d []byte) uint64 {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		off := uint64(len(b))
		b = append(b, d...)
		return off
	}
	symOff := put(symtab)
	strOff := put(strtab)
	shstrOff := put(shstr)
	var noteOff uint64
	if o.foreignNote != nil {
		noteOff = put(o.foreignNote)
	}

	sects := []sect{
		{},
		{Name: 1, Type: 1, Flags: 6, Addr: miniBase + miniCodeOff, Off: miniCodeOff, Size: miniTextEnd - miniCodeOff, Addralign: 16},
		{Name: 7, Type: 1, Flags: 2, Addr: miniBase + miniRoOff, Off: miniRoOff, Size: miniRoEnd - miniRoOff, Addralign: 8},
		{Name: 15, Type: shtSymtab, Off: symOff, Size: uint64(len(symtab)), Link: 4, Info: 1, Addralign: 8, Entsize: 24},
		{Name: 23, Type: 3, Off: strOff, Size: uint64(len(strtab)), Addralign: 1},
		{Name: 31, Type: 3, Off: shstrOff, Size: uint64(len(shstr)), Addralign: 1},
	}
	if o.foreignNote != nil {
		sects = append(sects, sect{Name: 41, Type: shtNote, Off: noteOff, Size: uint64(len(o.foreignNote)), Addralign: 4})
	}
	var shdrs []byte
	for _, s := range sects {
		var e [shdrSize]byte
		s.put(e[:])
		shdrs = append(shdrs, e[:]...)
	}
	shoff := put(shdrs)

	stack := uint32(ptGNUStack)
	if o.noStack {
		stack = 0
	}
	progs := []prog{
		{Type: ptLoad, Flags: pfR | pfX, Off: 0, Vaddr: miniBase, Paddr: miniBase, Filesz: miniTextEnd, Memsz: miniTextEnd, Align: 0x1000},
		{Type: ptLoad, Flags: pfR, Off: miniRoOff, Vaddr: miniBase + miniRoOff, Paddr: miniBase + miniRoOff, Filesz: miniRoEnd - miniRoOff, Memsz: miniRoEnd - miniRoOff, Align: 0x1000},
		{Type: stack, Flags: pfR | pfW, Align: 8},
	}
	for i, p := range progs {
		p.put(b[ehdrSize+i*phdrSize:])
	}

	copy(b, "\x7fELF")
	b[4], b[5], b[6] = elfClass64, elfDataLSB, 1
	w.PutUint16(b[offEType:], etExec)
	w.PutUint16(b[offEMachine:], emX86_64)
	w.PutUint32(b[20:], 1) // e_version
	w.PutUint64(b[24:], miniBase+miniCodeOff)
	w.PutUint64(b[offEPhoff:], ehdrSize)
	w.PutUint64(b[offEShoff:], shoff)
	w.PutUint16(b[52:], ehdrSize)
	w.PutUint16(b[offEPhentsize:], phdrSize)
	w.PutUint16(b[offEPhnum:], uint16(len(progs)))
	w.PutUint16(b[offEShentsize:], shdrSize)
	w.PutUint16(b[offEShnum:], uint16(len(sects)))
	w.PutUint16(b[offEShstrndx:], 5)
	return b
}

// xenNote encodes one Xen note, for building foreign notes in tests.
func xenNote(typ uint32, desc []byte) []byte {
	return encodeNotes([]Note{{XenNoteName, typ, desc}})
}

// progIndex returns the index of the first program header of type typ.
func progIndex(t testing.TB, b []byte, typ elf.ProgType) int {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range f.Progs {
		if p.Type == typ {
			return i
		}
	}
	t.Fatalf("no program header of type %v", typ)
	return -1
}

// setProg64 overwrites a 64-bit field (byte offset field) of program header i.
func setProg64(b []byte, i int, field int, v uint64) {
	phoff := binary.LittleEndian.Uint64(b[offEPhoff:])
	binary.LittleEndian.PutUint64(b[phoff+uint64(i)*phdrSize+uint64(field):], v)
}

// Byte offsets inside Elf64_Phdr.
const (
	phType  = 0
	phOff   = 8
	phVaddr = 16
	phPaddr = 24
)
