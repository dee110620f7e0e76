//go:build linux && amd64

package hypercall

import (
	"syscall"
	"testing"
	"unsafe"
)

// fakePage maps an executable page and fills chosen slots with small
// x86-64 routines that stand in for Xen, so that Call and the wrappers run
// for real on the host: argument registers, slot arithmetic, structures
// passed by address, values written back.
func fakePage(t *testing.T, slots map[int][]byte) {
	t.Helper()
	mem, err := syscall.Mmap(-1, 0, PageSize, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Skipf("no executable mapping on this host: %v", err)
	}
	for i := range mem {
		mem[i] = 0xcc // int3: a wrong slot traps instead of sliding on
	}
	for nr, code := range slots {
		copy(mem[nr*SlotSize:(nr+1)*SlotSize], code)
	}
	old := Page()
	SetPage(uintptr(unsafe.Pointer(&mem[0])))
	t.Cleanup(func() {
		SetPage(old)
		syscall.Munmap(mem)
	})
}

var (
	retRDI = []byte{0x48, 0x89, 0xf8, 0xc3} // mov rax, rdi; ret
	retRSI = []byte{0x48, 0x89, 0xf0, 0xc3} // mov rax, rsi; ret
	retRDX = []byte{0x48, 0x89, 0xd0, 0xc3} // mov rax, rdx; ret
	retR10 = []byte{0x4c, 0x89, 0xd0, 0xc3} // mov rax, r10; ret
	retR8  = []byte{0x4c, 0x89, 0xc0, 0xc3} // mov rax, r8; ret
)

func TestCallRegisters(t *testing.T) {
	fakePage(t, map[int][]byte{1: retRDI, 2: retRSI, 3: retRDX, 4: retR10, 127: retR8})
	for _, c := range []struct {
		nr   uintptr
		want uintptr
	}{{1, 11}, {2, 22}, {3, 33}, {4, 44}, {127, 55}} {
		if got := Call(c.nr, 11, 22, 33, 44, 55); got != c.want {
			t.Errorf("Call(%d) = %d, want %d", c.nr, got, c.want)
		}
	}
}

func TestWrappersOnFakeXen(t *testing.T) {
	fakePage(t, map[int][]byte{
		// xen_version: mov eax, 4<<16|19; ret
		HYPERVISOR_xen_version: {0xb8, 0x13, 0x00, 0x04, 0x00, 0xc3},
		// console_io: movzx eax, byte [rdx]; add rax, rsi; ret
		HYPERVISOR_console_io: {0x0f, 0xb6, 0x02, 0x48, 0x01, 0xf0, 0xc3},
		// sched_op: mov eax, dword [rsi]; ret
		HYPERVISOR_sched_op: {0x8b, 0x06, 0xc3},
		// event_channel_op: mov rax, -22; ret
		HYPERVISOR_event_channel_op: {0x48, 0xc7, 0xc0, 0xea, 0xff, 0xff, 0xff, 0xc3},
		// hvm_op: mov rax, 0x1234; mov [rsi+8], rax; movzx eax, word [rsi]; ret
		HYPERVISOR_hvm_op: {0x48, 0xc7, 0xc0, 0x34, 0x12, 0x00, 0x00, 0x48, 0x89, 0x46, 0x08, 0x0f, 0xb7, 0x06, 0xc3},
		// memory_op: mov rax, [rsi+16]; ret  (the gpfn of add_to_physmap)
		HYPERVISOR_memory_op: {0x48, 0x8b, 0x46, 0x10, 0xc3},
		// set_timer_op: mov rax, rdi; ret
		HYPERVISOR_set_timer_op: retRDI,
	})
	if maj, min := XenVersion(); maj != 4 || min != 19 {
		t.Errorf("XenVersion = %d.%d, want 4.19", maj, min)
	}
	if got := ConsoleWrite([]byte("A!")); got != 'A'+2 {
		t.Errorf("ConsoleWrite = %d, want %d", got, 'A'+2)
	}
	if got := ConsoleWrite(nil); got != 0 {
		t.Errorf("ConsoleWrite(nil) = %d", got)
	}
	if got := SchedShutdown(SHUTDOWN_crash); got != SHUTDOWN_crash {
		t.Errorf("SchedShutdown passed reason %d", got)
	}
	ports := []uint32{3, 4}
	if got := SchedPoll(ports, 0); uint32(got) != uint32(uintptr(unsafe.Pointer(&ports[0]))) {
		t.Errorf("SchedPoll passed ports %#x, want %p", got, &ports[0])
	}
	if got := EvtchnSend(5); got != -22 || ErrnoName(got) != "EINVAL" {
		t.Errorf("EvtchnSend = %d (%s), want -22", got, ErrnoName(got))
	}
	v, r := HVMGetParam(HVM_PARAM_STORE_PFN)
	if v != 0x1234 || r != DOMID_SELF {
		t.Errorf("HVMGetParam = %#x, %#x; want 0x1234, DOMID_SELF", v, r)
	}
	if got := AddToPhysmap(XENMAPSPACE_shared_info, 0, 0xfeed); got != 0xfeed {
		t.Errorf("AddToPhysmap passed gpfn %#x", got)
	}
	if got := SetTimerOp(123456789); got != 123456789 {
		t.Errorf("SetTimerOp passed %d", got)
	}
	// The wrappers run where there is no heap: they must not allocate.
	msg := []byte("x")
	if n := testing.AllocsPerRun(50, func() {
		EvtchnSend(1)
		HVMGetParam(HVM_PARAM_CONSOLE_PFN)
		SchedPoll(ports, 0)
		ConsoleWrite(msg)
		XenVersion()
	}); n != 0 {
		t.Errorf("wrappers: %v allocations per run, want 0", n)
	}
}

// TestSchedPollArgument checks what SCHEDOP_poll receives: each stub hands
// back one field of struct sched_poll. An empty port list is not refused
// in the guest but reaches Xen as nr_ports 0 with a null handle, which Xen
// takes as a timed block (xen/common/sched/core.c: do_poll).
func TestSchedPollArgument(t *testing.T) {
	ports := []uint32{3, 4}
	const deadline = 0x1122334455667788
	stubs := []struct {
		field string
		code  []byte
	}{
		{"cmd", retRDI}, // mov rax, rdi; ret
		{"ports", []byte{0x48, 0x8b, 0x06, 0xc3}},         // mov rax, [rsi]; ret
		{"nr_ports", []byte{0x8b, 0x46, 0x08, 0xc3}},      // mov eax, [rsi+8]; ret
		{"timeout", []byte{0x48, 0x8b, 0x46, 0x10, 0xc3}}, // mov rax, [rsi+16]; ret
	}
	calls := []struct {
		name  string
		ports []uint32
		want  map[string]uint64
	}{
		{"two ports", ports, map[string]uint64{
			"cmd": SCHEDOP_poll, "ports": uint64(uintptr(unsafe.Pointer(&ports[0]))), "nr_ports": 2, "timeout": deadline}},
		{"nil", nil, map[string]uint64{
			"cmd": SCHEDOP_poll, "ports": 0, "nr_ports": 0, "timeout": deadline}},
		{"empty, not nil", ports[:0], map[string]uint64{
			"cmd": SCHEDOP_poll, "ports": 0, "nr_ports": 0, "timeout": deadline}},
	}
	for _, s := range stubs {
		t.Run(s.field, func(t *testing.T) {
			fakePage(t, map[int][]byte{HYPERVISOR_sched_op: s.code})
			for _, c := range calls {
				if got, want := uint64(SchedPoll(c.ports, deadline)), c.want[s.field]; got != want {
					t.Errorf("SchedPoll(%s): %s = %#x, want %#x", c.name, s.field, got, want)
				}
			}
		})
	}
}
