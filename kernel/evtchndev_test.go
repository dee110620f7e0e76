package kernel

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/sharedinfo"
)

// The program's ports: an event marks its port fired for the file that
// bound it, read hands fired ports out once, write unmasks only the
// file's own ports, and idle polls them beside the kernel's.
func TestEvtchnDeviceBookkeeping(t *testing.T) {
	defer func() { devPorts = [maxDevPorts]devPort{}; idleNPort = 0; shared = nil }()
	shared = new(sharedinfo.SharedInfo)
	log := fakeEvtchnXen(t)
	devPorts[3] = devPort{port: 40, owner: 1}
	devPorts[7] = devPort{port: 41, owner: 2}
	idlePorts[0], idleNPort = 2, 1

	var pb [len(idlePorts) + maxDevPorts]uint32
	if got := pollPorts(&pb); len(got) != 3 || got[0] != 2 || got[1] != 40 || got[2] != 41 {
		t.Fatalf("pollPorts = %v, want [2 40 41]", got)
	}
	if devPortEvent(99) {
		t.Fatal("an unknown port was taken")
	}
	if !devPortEvent(41) || !devPorts[7].fired || devPorts[3].fired {
		t.Fatal("port 41 not marked fired for its owner alone")
	}
	var buf [4]uint32
	p := uintptr(unsafe.Pointer(&buf[0]))
	if n := evtchnRead(0, true, p, 16); n != -eAGAIN {
		t.Fatalf("read on file 0 with nothing fired = %d, want EAGAIN", n)
	}
	if n := evtchnRead(1, true, p, 16); n != 4 || buf[0] != 41 {
		t.Fatalf("read on file 1 = %d %v, want port 41", n, buf)
	}
	if n := evtchnRead(1, true, p, 16); n != -eAGAIN {
		t.Fatalf("a second read = %d: a fired port is handed out once", n)
	}
	if n := evtchnRead(5, true, p, 16); n != 0 {
		t.Fatalf("read on a file with no port = %d, want 0", n)
	}
	devPortEvent(40) // file 0's port, masked now
	buf[0] = 40
	if n := evtchnWrite(1, p, 4); n != 4 || len(log.calls()) != 0 {
		t.Fatalf("file 1 writing file 0's port = %d, Xen calls %v: want it skipped", n, log.calls())
	}
	buf[0] = 41
	if n := evtchnWrite(1, p, 4); n != 4 || len(log.calls()) != 1 || log.calls()[0].port != 41 {
		t.Fatalf("unmasking its own port = %d, Xen calls %v", n, log.calls())
	}
}

// Reads and writes move whole ports, at most a page of them, as Linux's
// device does (drivers/xen/evtchn.c: evtchn_read and evtchn_write round
// the count down to whole ports and clamp it to PAGE_SIZE; a write skips
// the ports the file has not bound). A count of megabytes sliced past the
// kernel's array.
func TestEvtchnCountsArePagesOfPorts(t *testing.T) {
	defer func() { devPorts = [maxDevPorts]devPort{}; shared = nil }()
	shared = new(sharedinfo.SharedInfo)
	fakeEvtchnXen(t)
	devPorts[0] = devPort{port: 40, owner: 1}
	var page [1024]uint32
	p := uintptr(unsafe.Pointer(&page[0]))
	devPortEvent(40)
	if n := evtchnRead(0, true, p, 5<<20); n != 4 || page[0] != 40 {
		t.Fatalf("a 5 MiB read = %d %v, want the one port", n, page[:2])
	}
	if n := evtchnRead(0, true, p, 3); n != 0 {
		t.Fatalf("a 3-byte read = %d, want 0 (no whole port)", n)
	}
	if n := evtchnWrite(0, p, 5<<20); n != 4096 {
		t.Fatalf("a 5 MiB write = %d, want a page", n)
	}
	if n := evtchnWrite(0, p, 1<<62); n != 4096 {
		t.Fatalf("a 4 EiB write = %d, want a page", n)
	}
	page[0], page[1] = 40, 41
	if n := evtchnWrite(0, p, 11); n != 8 {
		t.Fatalf("an 11-byte write with a foreign port = %d, want 8 (whole ports; foreign ones skipped)", n)
	}
	if n := evtchnWrite(0, p, 3); n != 0 {
		t.Fatalf("a 3-byte write = %d, want 0", n)
	}
}

// A peer that floods a port costs one upcall, not one per send: the
// kernel masks a program's port when it fires, as Linux's device does,
// and the port stays masked (its later events pending in Xen) until the
// program writes it back (drivers/xen/evtchn.c: evtchn_interrupt,
// evtchn_write). A masked port is left out of idle's poll, which would
// return at once for a pending port whatever its mask.
func TestEvtchnFloodIsOneEvent(t *testing.T) {
	defer func() { devPorts = [maxDevPorts]devPort{}; shared = nil }()
	si := new(sharedinfo.SharedInfo)
	shared = si
	log := fakeEvtchnXen(t)
	devPorts[0] = devPort{port: 70, owner: 1}
	upcalls := 0
	for i := 0; i < 1000; i++ {
		xenSend(si, 70)
		if evtchn.Waiting(&si.VcpuInfo[0]) {
			upcalls++
			handleEvents()
		}
	}
	if upcalls != 1 {
		t.Fatalf("1000 sends raised %d upcalls, want 1", upcalls)
	}
	if !evtchn.Masked(si, 70) || !evtchn.Pending(si, 70) {
		t.Fatalf("port 70 masked %v pending %v, want a masked port with its later events pending",
			evtchn.Masked(si, 70), evtchn.Pending(si, 70))
	}
	var pb [len(idlePorts) + maxDevPorts]uint32
	if got := pollPorts(&pb); len(got) != 0 {
		t.Fatalf("idle polls %v: a masked pending port would end every poll at once", got)
	}
	var buf [16]uint32
	p := uintptr(unsafe.Pointer(&buf[0]))
	if n := evtchnRead(0, true, p, 64); n != 4 || buf[0] != 70 {
		t.Fatalf("read = %d %v, want port 70 once", n, buf[:2])
	}
	if n := evtchnRead(0, true, p, 64); n != -eAGAIN {
		t.Fatalf("a second read = %d, want EAGAIN", n)
	}
	// Writing the port back unmasks it through Xen (EVTCHNOP_unmask),
	// which raises the upcall again for the event that waited.
	if n := evtchnWrite(0, p, 4); n != 4 {
		t.Fatalf("unmask write = %d", n)
	}
	if c := log.calls(); len(c) != 1 || c[0] != (xenCall{hypercall.EVTCHNOP_unmask, 70}) {
		t.Fatalf("Xen saw %v, want one EVTCHNOP_unmask of port 70", c)
	}
	if got := pollPorts(&pb); len(got) != 1 || got[0] != 70 {
		t.Fatalf("idle polls %v after the unmask, want [70]", got)
	}
	if n := evtchnWrite(0, p, 4); n != 4 || len(log.calls()) != 1 {
		t.Fatalf("a second write = %d with Xen calls %v: an unmasked port is not unmasked again", n, log.calls())
	}
}

// xenSend is what Xen does for EVTCHNOP_send on a 2-level port of vCPU 0
// (xen/common/event_2l.c, evtchn_2l_set_pending): the pending bit is set;
// only if it was clear and the port is unmasked do the selector bit and
// evtchn_upcall_pending follow, which is what raises the upcall.
func xenSend(si *sharedinfo.SharedInfo, port uint32) {
	w, b := port/64, uint64(1)<<(port%64)
	if si.EvtchnPending[w]&b != 0 {
		return
	}
	si.EvtchnPending[w] |= b
	if si.EvtchnMask[w]&b == 0 {
		si.VcpuInfo[0].EvtchnPendingSel |= 1 << w
		si.VcpuInfo[0].EvtchnUpcallPending = 1
	}
}

// xenCall is one event_channel_op the fake Xen saw: its command and port
// (the first field of evtchn_send, evtchn_unmask and evtchn_close,
// xen/include/public/event_channel.h).
type xenCall struct{ cmd, port uint32 }

type xenLog struct{ mem []byte }

const (
	fakeLogAt  = 0xc00 // past every hypercall slot the kernel uses
	fakeLogCap = 32
)

// calls returns what the fake Xen logged, oldest first.
func (l xenLog) calls() []xenCall {
	n := int(*(*uint32)(unsafe.Pointer(&l.mem[fakeLogAt])))
	if n > fakeLogCap {
		panic("fake Xen log overflowed")
	}
	var c []xenCall
	for i := 0; i < n; i++ {
		e := (*[2]uint32)(unsafe.Pointer(&l.mem[fakeLogAt+8+8*i]))
		c = append(c, xenCall{e[0], e[1]})
	}
	return c
}

// fakeEvtchnXen stands in for Xen's event_channel_op on the host, as
// package hypercall's tests do for their calls: an executable hypercall
// page whose event_channel_op slot logs the command and port and returns
// 0; every other slot traps.
func fakeEvtchnXen(t *testing.T) xenLog {
	t.Helper()
	mem, err := syscall.Mmap(-1, 0, hypercall.PageSize, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatalf("no executable mapping on this host: %v", err)
	}
	for i := range mem[:fakeLogAt] {
		mem[i] = 0xcc // int3
	}
	slot := hypercall.HYPERVISOR_event_channel_op * hypercall.SlotSize
	rel := uint32(fakeLogAt - (slot + 7))
	code := []byte{
		0x48, 0x8d, 0x05, byte(rel), byte(rel >> 8), byte(rel >> 16), byte(rel >> 24), // lea rax, [rip+log]
		0x8b, 0x08, // mov ecx, [rax]: calls so far
		0x83, 0xe1, fakeLogCap - 1, // and ecx, 31: stay in the page
		0x8b, 0x16, // mov edx, [rsi]: the port
		0x89, 0x7c, 0xc8, 0x08, // mov [rax+rcx*8+8], edi: the command
		0x89, 0x54, 0xc8, 0x0c, // mov [rax+rcx*8+12], edx
		0xff, 0x00, // inc dword [rax]
		0x31, 0xc0, // xor eax, eax
		0xc3, // ret
	}
	copy(mem[slot:], code)
	old := hypercall.Page()
	hypercall.SetPage(uintptr(unsafe.Pointer(&mem[0])))
	t.Cleanup(func() {
		hypercall.SetPage(old)
		syscall.Munmap(mem)
	})
	return xenLog{mem}
}
