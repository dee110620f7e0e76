//go:build linux && amd64

package gnttab

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/goxen/goxen/hypercall"
)

// fakeXen maps an executable page, puts small x86-64 routines standing in
// for Xen at the given hypercall slots (a routine may run on into the
// following, unused slots) and makes it the hypercall page for the test.
func fakeXen(t *testing.T, slots map[int][]byte) {
	t.Helper()
	mem, err := syscall.Mmap(-1, 0, hypercall.PageSize, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Skipf("no executable mapping on this host: %v", err)
	}
	for i := range mem {
		mem[i] = 0xcc // int3
	}
	for nr, code := range slots {
		copy(mem[nr*hypercall.SlotSize:], code)
	}
	old := hypercall.Page()
	hypercall.SetPage(uintptr(unsafe.Pointer(&mem[0])))
	t.Cleanup(func() {
		hypercall.SetPage(old)
		syscall.Munmap(mem)
	})
}

// Xen fills struct gnttab_query_size at the offsets the header gives.
// This Xen reports 4 frames of at most 64, echoes dom into status (so
// the test sees DOMID_SELF went in), and returns cmd<<8 + count.
func TestQuerySizeOnFakeXen(t *testing.T) {
	fakeXen(t, map[int][]byte{hypercall.HYPERVISOR_grant_table_op: {
		0xc7, 0x46, 0x04, 0x04, 0x00, 0x00, 0x00, // mov dword [rsi+4], 4
		0xc7, 0x46, 0x08, 0x40, 0x00, 0x00, 0x00, // mov dword [rsi+8], 64
		0x0f, 0xb7, 0x06, // movzx eax, word [rsi]
		0x66, 0x89, 0x46, 0x0c, // mov word [rsi+12], ax
		0x48, 0x89, 0xf8, // mov rax, rdi
		0x48, 0xc1, 0xe0, 0x08, // shl rax, 8
		0x48, 0x01, 0xd0, // add rax, rdx
		0xc3, // ret
	}})
	nr, max, st, rc := QuerySize()
	if nr != 4 || max != 64 || st != hypercall.DOMID_SELF || rc != GNTTABOP_query_size<<8+1 {
		t.Fatalf("QuerySize = %d, %d, status %#x, rc %#x", nr, max, uint16(st), rc)
	}
	if n := testing.AllocsPerRun(10, func() { QuerySize() }); n != 0 {
		t.Fatalf("QuerySize: %v allocations per call", n)
	}
}

func TestGetVersionOnFakeXen(t *testing.T) {
	fakeXen(t, map[int][]byte{hypercall.HYPERVISOR_grant_table_op: {
		0xc7, 0x46, 0x04, 0x01, 0x00, 0x00, 0x00, // mov dword [rsi+4], 1
		0x48, 0x89, 0xf8, // mov rax, rdi
		0x48, 0xc1, 0xe0, 0x08, // shl rax, 8
		0x48, 0x01, 0xd0, // add rax, rdx
		0x48, 0xc1, 0xe0, 0x10, // shl rax, 16
		0x0f, 0xb7, 0x0e, // movzx ecx, word [rsi]
		0x48, 0x01, 0xc8, // add rax, rcx  (rc = (cmd<<8 + count)<<16 + dom)
		0xc3, // ret
	}})
	v, rc := GetVersion()
	if v != 1 || rc != (GNTTABOP_get_version<<8+1)<<16+hypercall.DOMID_SELF {
		t.Fatalf("GetVersion = %d, rc %#x", v, rc)
	}
}

// This Xen accepts XENMEM_add_to_physmap for DOMID_SELF, space
// grant_table and gpfn = 0x1000 + idx while idx < 3; it answers -ENOMEM
// (-12) for idx >= 3 and -EINVAL (-22) for anything else.
func TestMapFramesOnFakeXen(t *testing.T) {
	fakeXen(t, map[int][]byte{hypercall.HYPERVISOR_memory_op: {
		0x48, 0x83, 0xff, 0x07, // cmp rdi, 7 (XENMEM_add_to_physmap)
		0x75, 0x2f, // jne bad
		0x66, 0x81, 0x3e, 0xf0, 0x7f, // cmp word [rsi], 0x7ff0 (domid)
		0x75, 0x28, // jne bad
		0x83, 0x7e, 0x04, 0x01, // cmp dword [rsi+4], 1 (space)
		0x75, 0x22, // jne bad
		0x48, 0x8b, 0x46, 0x10, // mov rax, [rsi+16] (gpfn)
		0x48, 0x2b, 0x46, 0x08, // sub rax, [rsi+8] (idx)
		0x48, 0x3d, 0x00, 0x10, 0x00, 0x00, // cmp rax, 0x1000
		0x75, 0x12, // jne bad
		0x48, 0x83, 0x7e, 0x08, 0x03, // cmp qword [rsi+8], 3
		0x73, 0x03, // jae full
		0x31, 0xc0, // xor eax, eax
		0xc3,                                     // ret
		0x48, 0xc7, 0xc0, 0xf4, 0xff, 0xff, 0xff, // full: mov rax, -12
		0xc3,                                     // ret
		0x48, 0xc7, 0xc0, 0xea, 0xff, 0xff, 0xff, // bad: mov rax, -22
		0xc3, // ret
	}})
	for _, c := range []struct {
		n      uint32
		gpfn   uint64
		mapped uint32
		rc     int
	}{
		{0, 0x1000, 0, 0},
		{3, 0x1000, 3, 0},
		{5, 0x1000, 3, -12},
		{2, 0x2000, 0, -22},
	} {
		if mapped, rc := MapFrames(c.n, c.gpfn); mapped != c.mapped || rc != c.rc {
			t.Errorf("MapFrames(%d, %#x) = %d, %d; want %d, %d", c.n, c.gpfn, mapped, rc, c.mapped, c.rc)
		}
	}
}
