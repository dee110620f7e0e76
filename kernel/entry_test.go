package kernel

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/goxen/goxen/pvh"
)

// TestPVHEntry checks the kernel's hand-over to pvh.Entry: read in 32-bit
// mode (as Xen runs it) and in 64-bit mode (as the assembler wrote it),
// the same bytes must be "mov ecx, [ebx+4]; lea esp, [ebx+8]; call
// pvh.Entry".
func TestPVHEntry(t *testing.T) {
	code := bytesAt(pvhEntryAddr(), 16)
	for _, mode := range []int{32, 64} {
		var got []string
		pc := 0
		var in x86asm.Inst
		for i := 0; i < 3; i++ {
			var err error
			in, err = x86asm.Decode(code[pc:], mode)
			if err != nil {
				t.Fatalf("%d-bit: offset %d: %v", mode, pc, err)
			}
			pc += in.Len
			got = append(got, x86asm.IntelSyntax(in, 0, nil))
		}
		want := []string{"mov ecx, dword ptr [ebx+0x4]", "lea esp, ptr [ebx+0x8]"}
		if mode == 64 {
			want = []string{"mov ecx, dword ptr [rbx+0x4]", "lea esp, ptr [rbx+0x8]"}
		}
		if got[0] != want[0] || got[1] != want[1] || pc != 11 {
			t.Errorf("%d-bit: %q (%d bytes), want %q and a 5-byte call", mode, got, pc, want)
		}
		rel, ok := in.Args[0].(x86asm.Rel)
		if in.Op != x86asm.CALL || !ok || pvhEntryAddr()+uintptr(pc)+uintptr(int64(rel)) != pvh.EntryAddr() {
			t.Errorf("%d-bit: %s, want a call to pvh.Entry at %#x", mode, got[2], pvh.EntryAddr())
		}
	}
}
