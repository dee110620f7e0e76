package pvh

import (
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
)

// entryListing is the intended 32-bit listing of the PVH entry stub, in
// x86asm's Intel syntax. "DISP" stands for the displacement of the
// RIP-relative LEAL, which the linker fills in; it is checked separately.
var entryListing = []string{
	"cld",
	"pop edx",    // the flavour's continuation
	"call .+0x0", // to the next instruction: pushes its address
	"pop ebp",
	"mov dword ptr [ebx+0x4], ecx",
	"lea eax, ptr [DISP]",
	"add eax, ebp",
	"add eax, 0xa", // eax = &bootTables
	"mov edi, eax",
	"lea esi, ptr [eax+0xfff]",
	"and esi, 0xfffff000", // esi = the tables' page-aligned base
	"xor eax, eax",        // bootTables is in .noptrbss: clear it all
	"mov ecx, 0x2000",
	"rep stosd dword ptr [edi]",
	"mov dword ptr [esi+0x6110], edx",
	"lea edx, ptr [esi+0x1003]",
	"mov dword ptr [esi], edx",
	"lea edx, ptr [esi+0x2003]",
	"mov dword ptr [esi+0x1000], edx",
	"add edx, 0x1000",
	"mov dword ptr [esi+0x1008], edx",
	"add edx, 0x1000",
	"mov dword ptr [esi+0x1010], edx",
	"add edx, 0x1000",
	"mov dword ptr [esi+0x1018], edx",
	"lea edi, ptr [esi+0x2000]",
	"mov edx, 0x83",
	"mov ecx, 0x800",
	"mov dword ptr [edi], edx",
	"add edi, 0x8",
	"add edx, 0x200000",
	"loop .-0xd",
	"mov dword ptr [esi+0x6008], 0xffff",
	"mov dword ptr [esi+0x600c], 0xaf9a00",
	"mov dword ptr [esi+0x6010], 0xffff",
	"mov dword ptr [esi+0x6014], 0xcf9200",
	"mov word ptr [esi+0x6100], 0x17",
	"lea edx, ptr [esi+0x6000]",
	"mov dword ptr [esi+0x6102], edx",
	"lgdt ptr [esi+0x6100]",
	"mov cr3, esi",
	"mov ecx, cr4",
	"or ecx, 0x620",
	"mov cr4, ecx",
	"mov ecx, 0xc0000080",
	"rdmsr",
	"or eax, 0x101",
	"wrmsr",
	"mov ecx, cr0",
	"and ecx, 0xfffffff3",
	"or ecx, 0x80000023",
	"mov cr0, ecx",
	"lea edx, ptr [ebp+0x10c]",
	"mov dword ptr [esi+0x6108], edx",
	"mov word ptr [esi+0x610c], 0x8",
	"jmp far ptr [esi+0x6108]",
}

const (
	entryCallReturn = 7   // offset of "pop ebp": the EIP the call pushes
	entryLeaEnd     = 17  // offset just past the RIP-relative LEAL
	entry64         = 275 // offset of the first 64-bit instruction
)

func entryBytes() []byte {
	return unsafe.Slice((*byte)(at(EntryAddr())), entry64+16)
}

func TestPVHEntryListing(t *testing.T) {
	code := entryBytes()
	var got []string
	pc := 0
	var leaDisp int64
	for pc < entry64 {
		inst, err := x86asm.Decode(code[pc:], 32)
		if err != nil {
			t.Fatalf("offset %d: cannot decode % x: %v", pc, code[pc:pc+8], err)
		}
		s := x86asm.IntelSyntax(inst, 0, nil)
		if inst.Op == x86asm.LEA && inst.Args[0] == x86asm.EAX {
			m := inst.Args[1].(x86asm.Mem)
			if m.Base == 0 && m.Index == 0 {
				leaDisp = m.Disp
				if pc+inst.Len != entryLeaEnd {
					t.Errorf("the RIP-relative LEAL ends at %d, the listing assumes %d", pc+inst.Len, entryLeaEnd)
				}
				s = "lea eax, ptr [DISP]"
			}
		}
		got = append(got, s)
		pc += inst.Len
	}
	if pc != entry64 {
		t.Errorf("32-bit code is %d bytes, want %d (the far jump target)", pc, entry64)
	}
	if strings.Join(got, "\n") != strings.Join(entryListing, "\n") {
		for i := 0; i < len(got) || i < len(entryListing); i++ {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(entryListing) {
				w = entryListing[i]
			}
			mark := " "
			if g != w {
				mark = "!"
			}
			t.Logf("%s %-40s | %s", mark, g, w)
		}
		t.Fatal("the PVH entry bytes do not match the intended listing")
	}
	// The LEAL displacement, read in 32-bit mode, plus the call's return
	// address must give bootTables: disp + (entry+7) + 10 == &bootTables.
	entry := int64(EntryAddr())
	want := int64(uintptr(unsafe.Pointer(&bootTables)))
	if got := uint32(leaDisp + entry + entryCallReturn + (entryLeaEnd - entryCallReturn)); got != uint32(want) {
		t.Errorf("stub computes bootTables = %#x, want %#x", got, want)
	}
	// The far jump goes to ebp+0x10c = entry+7+268 = entry+275.
	if entryCallReturn+0x10c != entry64 {
		t.Errorf("far jump target offset %d, want %d", entryCallReturn+0x10c, entry64)
	}
	// The first 64-bit instruction must decode in 64-bit mode as the
	// assembler's "MOVL $0x10, AX".
	inst, err := x86asm.Decode(code[entry64:], 64)
	if err != nil || x86asm.IntelSyntax(inst, 0, nil) != "mov eax, 0x10" {
		t.Errorf("64-bit part starts with %v (%v), want mov eax, 0x10", inst, err)
	}
}

// TestBootTablesFit checks that seven aligned pages always fit in
// bootTables, the 32 KiB Entry clears.
func TestBootTablesFit(t *testing.T) {
	base := uintptr(unsafe.Pointer(&bootTables))
	p := (base + 0xfff) &^ 0xfff
	end := p + 0x7000
	if limit := base + unsafe.Sizeof(bootTables); end > limit {
		t.Fatalf("aligned tables end at %#x, past bootTables' end at %#x", end, limit)
	}
	if n := unsafe.Sizeof(bootTables) / 4; n != 0x2000 {
		t.Errorf("bootTables is %d dwords; Entry's rep stosd clears 0x2000", n)
	}
	if n := unsafe.Sizeof(earlyStack); n != 65536 {
		t.Errorf("earlyStack is %d bytes; Entry sets SP to earlyStack+65536", n)
	}
}

// TestEarlyRegions checks that EarlyRegions names exactly bootTables and
// earlyStack: zeroBSS skips what it returns.
func TestEarlyRegions(t *testing.T) {
	r := EarlyRegions()
	want := [2]Region{
		{uintptr(unsafe.Pointer(&bootTables)), uintptr(unsafe.Pointer(&bootTables)) + 8*512*8},
		{uintptr(unsafe.Pointer(&earlyStack)), uintptr(unsafe.Pointer(&earlyStack)) + 65536},
	}
	if r != want {
		t.Errorf("EarlyRegions() = %#x, want %#x", r, want)
	}
}
