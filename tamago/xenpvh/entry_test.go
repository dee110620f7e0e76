//go:build amd64

package xenpvh

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
)

// entryCode decodes pvhEntry as the CPU will: in 32-bit mode, up to and
// including the far jump into 64-bit code.
func entryCode(t *testing.T) (base uintptr, insts []x86asm.Inst, offs []int) {
	t.Helper()
	base = pvhEntryAddr()
	code := unsafe.Slice((*byte)(at(base)), 512)
	off := 0
	for off < len(code) {
		in, err := x86asm.Decode(code[off:], 32)
		if err != nil {
			t.Fatalf("offset %d: % x: %v", off, code[off:off+8], err)
		}
		insts = append(insts, in)
		offs = append(offs, off)
		off += in.Len
		if in.Op == x86asm.LJMP {
			return base, insts, offs
		}
	}
	t.Fatal("no far jump in pvhEntry")
	return
}

// The listing pvhEntry must decode to in 32-bit mode. The Go assembler
// writes 64-bit code; an instruction that it encoded with a REX prefix or
// a RIP-relative operand other than the three symbol loads would show up
// here as something else (0x40-0x4f are inc/dec in 32-bit mode).
var wantEntry = []string{
	"cli", "cld", "mov esi, ebx", "mov ecx, dword ptr [ebx]", "lea esp, ptr [ebx+0x4]",
	"call .+0x0", "pop ebp", "mov dword ptr [ebx], ecx",
	"lea ebx, ptr [SYM]", "add ebx, ebp", "add ebx, FIX", "add ebx, 0xfff", "and ebx, 0xfffff000",
	"mov edi, ebx", "xor eax, eax", "mov ecx, 0x1800", "rep stosd dword ptr [edi]",
	"lea ecx, ptr [ebx+0x1003]", "mov dword ptr [ebx], ecx",
	"lea ecx, ptr [ebx+0x2003]", "mov dword ptr [ebx+0x1000], ecx",
	"add ecx, 0x1000", "mov dword ptr [ebx+0x1008], ecx",
	"add ecx, 0x1000", "mov dword ptr [ebx+0x1010], ecx",
	"add ecx, 0x1000", "mov dword ptr [ebx+0x1018], ecx",
	"lea edi, ptr [ebx+0x2000]", "mov edx, 0x83", "mov ecx, 0x800",
	"mov dword ptr [edi], edx", "add edi, 0x8", "add edx, 0x200000", "dec ecx", "jnz .-0xf",
	"mov cr3, ebx", "mov ecx, cr4", "or ecx, 0x620", "mov cr4, ecx",
	"mov ecx, 0xc0000080", "rdmsr", "or eax, 0x100", "wrmsr",
	"mov ecx, cr0", "and ecx, 0xfffffff3", "or ecx, 0x80000023", "mov cr0, ecx",
	"lea eax, ptr [SYM]", "add eax, ebp", "add eax, FIX", "lgdt ptr [eax]",
	"lea eax, ptr [SYM]", "add eax, ebp", "add eax, FIX",
	"mov dword ptr [ebx+0x6000], eax", "mov dword ptr [ebx+0x6004], 0x8",
	"jmp far ptr [ebx+0x6000]",
}

func TestEntryListing(t *testing.T) {
	_, insts, _ := entryCode(t)
	var got []string
	for i, in := range insts {
		s := x86asm.IntelSyntax(in, 0, nil)
		// The symbol displacements and their fix-ups are checked by
		// TestEntryAddresses; here only their form matters.
		if in.Op == x86asm.LEA {
			if m, ok := in.Args[1].(x86asm.Mem); ok && m.Base == 0 {
				s = strings.Replace(s, fmt.Sprintf("%#x", uint32(m.Disp)), "SYM", 1)
			}
		}
		if i > 0 && in.Op == x86asm.ADD && insts[i-1].Op == x86asm.ADD && insts[i-1].Args[1] == x86asm.EBP {
			s = s[:strings.LastIndex(s, " ")+1] + "FIX"
		}
		got = append(got, s)
	}
	if len(got) != len(wantEntry) {
		t.Errorf("pvhEntry has %d instructions, want %d", len(got), len(wantEntry))
	}
	for i := 0; i < len(got) && i < len(wantEntry); i++ {
		if got[i] != wantEntry[i] {
			t.Errorf("instruction %d: got %q, want %q", i, got[i], wantEntry[i])
		}
	}
}

// TestEntryAddresses replays the three symbol loads as the CPU does in
// 32-bit mode (displacement + ebp + fix) and checks that they give the
// addresses the linker assigned: a wrong fix-up constant fails here.
func TestEntryAddresses(t *testing.T) {
	base, insts, offs := entryCode(t)
	pop := -1
	for i, in := range insts {
		if in.Op == x86asm.POP && in.Args[0] == x86asm.EBP {
			pop = offs[i]
		}
	}
	if pop < 0 {
		t.Fatal("no pop ebp")
	}
	ebp := uint32(base) + uint32(pop)
	want := []struct {
		name string
		addr uintptr
	}{
		{"bootTables", uintptr(unsafe.Pointer(&bootTables))},
		{"gdtDesc", gdtDescAddr()},
		{"entry64", entry64Addr()},
	}
	n := 0
	for i := 0; i+2 < len(insts); i++ {
		m, ok := insts[i].Args[1].(x86asm.Mem)
		if insts[i].Op != x86asm.LEA || !ok || m.Base != 0 {
			continue
		}
		fix := insts[i+2].Args[1].(x86asm.Imm)
		got := uint32(m.Disp) + ebp + uint32(fix)
		if n >= len(want) {
			t.Fatalf("unexpected symbol load at offset %d", offs[i])
		}
		if uintptr(got) != want[n].addr {
			t.Errorf("load of %s computes %#x, want %#x (fix-up %d)", want[n].name, got, want[n].addr, fix)
		}
		n++
	}
	if n != len(want) {
		t.Errorf("found %d symbol loads, want %d", n, len(want))
	}
}

func TestGDT(t *testing.T) {
	d := unsafe.Slice((*byte)(at(gdtDescAddr())), 10)
	limit := uint16(d[0]) | uint16(d[1])<<8
	base := *(*uint64)(unsafe.Pointer(&d[2]))
	if limit != 23 {
		t.Errorf("GDT limit %d, want 23", limit)
	}
	gdt := unsafe.Slice((*uint64)(at(uintptr(base))), 3)
	// Selector 0x08: present, DPL 0, code, L (64-bit). TamaGo's
	// exception gates use this selector.
	if c := gdt[1]; c&(1<<47) == 0 || c&(1<<53) == 0 || c&(1<<43) == 0 {
		t.Errorf("GDT[1] = %#x is not a present 64-bit code segment", c)
	}
	if d := gdt[2]; d&(1<<47) == 0 || d&(1<<43) != 0 || d&(1<<41) == 0 {
		t.Errorf("GDT[2] = %#x is not a present writable data segment", d)
	}
}
