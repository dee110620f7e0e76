//go:build linux && amd64

package hypercall

import (
	"testing"
	"unsafe"
)

// GrantTableOp passes cmd in RDI, the argument address in RSI and the
// count in RDX to slot HYPERVISOR_grant_table_op.
func TestGrantTableOpOnFakeXen(t *testing.T) {
	if HYPERVISOR_grant_table_op != 20 {
		t.Fatalf("HYPERVISOR_grant_table_op = %d, want 20 (xen.h)", HYPERVISOR_grant_table_op)
	}
	fakePage(t, map[int][]byte{
		// rax = (rdi<<8 + rdx)<<16 + (uint16 at [rsi])
		HYPERVISOR_grant_table_op: {
			0x48, 0x89, 0xf8, // mov rax, rdi
			0x48, 0xc1, 0xe0, 0x08, // shl rax, 8
			0x48, 0x01, 0xd0, // add rax, rdx
			0x48, 0xc1, 0xe0, 0x10, // shl rax, 16
			0x0f, 0xb7, 0x0e, // movzx ecx, word [rsi]
			0x48, 0x01, 0xc8, // add rax, rcx
			0xc3, // ret
		},
	})
	arg := [2]uint16{0xbeef, 0}
	if got, want := GrantTableOp(6, unsafe.Pointer(&arg), 3), (6<<8+3)<<16+0xbeef; got != want {
		t.Fatalf("GrantTableOp = %#x, want %#x", got, want)
	}
	if n := testing.AllocsPerRun(10, func() { GrantTableOp(6, unsafe.Pointer(&arg), 1) }); n != 0 {
		t.Fatalf("GrantTableOp: %v allocations per call", n)
	}
}
