package bench

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// The floor probe's code, disassembled in 32-bit mode, is exactly the
// intended listing.
func TestFloorProbeCode(t *testing.T) {
	img := FloorProbe()
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if f.Entry != 0x200100 || len(f.Progs) != 2 || f.Progs[1].Type != elf.PT_NOTE {
		t.Fatalf("entry %#x, %d program headers", f.Entry, len(f.Progs))
	}
	// The PHYS32_ENTRY note names the entry.
	note := img[0xB0:]
	if binary.LittleEndian.Uint32(note[8:]) != 18 || string(note[12:15]) != "Xen" || binary.LittleEndian.Uint32(note[16:]) != 0x200100 {
		t.Errorf("note % x", note[:20])
	}
	code := img[0x100:0x300]
	var got []string
	at := map[int]string{} // address -> instruction
	for pc := 0; pc < len(code); {
		if bytes.HasPrefix(code[pc:], []byte{0x0F, 0x01, 0xD9}) { // x86asm lacks AMD's vmmcall
			got = append(got, "vmmcall")
			pc += 3
			continue
		}
		inst, err := x86asm.Decode(code[pc:], 32)
		if err != nil {
			t.Fatalf("at %#x: %v", pc, err)
		}
		got = append(got, x86asm.IntelSyntax(inst, uint64(0x200100+pc), nil))
		at[0x200100+pc] = got[len(got)-1]
		pc += inst.Len
		if inst.Op == x86asm.JMP {
			break
		}
	}
	want := []string{
		"mov eax, 0x22", "mov ebx, 0x1", "mov ecx, 0x200300", "vmmcall",
		"mov eax, 0x22", "mov ebx, 0x1", "mov ecx, 0x200310", "vmmcall",
		"mov eax, dword ptr [0x200318]", "mov dword ptr [0x200320], eax",
		"mov edi, dword ptr [0x200308]", "shl edi, 0xc",
		"mov edx, dword ptr [edi+0xc0c]", "mov esi, 0x200328", "mov ecx, 0x7",
		"lodsb byte ptr [esi]", "mov ebp, edx", "and ebp, 0x7ff", "add ebp, edi", "mov byte ptr [ebp+0x400], al",
		"inc edx", "loop 0x200147",
		"mov dword ptr [edi+0xc0c], edx",
		"mov eax, 0x20", "mov ebx, 0x4", "mov ecx, 0x200320", "vmmcall",
		"mov eax, 0x1d", "mov ebx, 0x2", "mov ecx, 0x200324", "vmmcall",
		"hlt", "jmp 0x200185",
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("code:\n%s\nwant:\n%s", g, w)
	}
	// The loop goes back to the lodsb, the jmp to the hlt.
	if at[0x200147] != "lodsb byte ptr [esi]" || at[0x200185] != "hlt" {
		t.Errorf("branch targets: %q, %q", at[0x200147], at[0x200185])
	}
	// The data: two HVM params asking for the console, a poweroff
	// reason, the message.
	data := img[0x300:]
	le := binary.LittleEndian
	if le.Uint16(data[0:]) != 0x7FF0 || le.Uint32(data[4:]) != 17 || le.Uint16(data[16:]) != 0x7FF0 || le.Uint32(data[20:]) != 18 {
		t.Errorf("params % x", data[:32])
	}
	if le.Uint32(data[0x24:]) != 0 || string(data[0x28:0x2f]) != "FLOOR\r\n" {
		t.Errorf("reason/message % x", data[0x20:0x30])
	}
}
