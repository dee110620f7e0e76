package main

import (
	"strings"
	"testing"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/startinfo"
)

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{
		{}: "PVH domU", {Dom0: true}: "PVH dom0", {PV: true}: "PV domU", {PV: true, Dom0: true}: "PV dom0",
	} {
		if m.String() != want {
			t.Errorf("%+v: %q, want %q", m, m.String(), want)
		}
	}
}

// Every check runs in a domU of either type; a dom0 skips those whose
// subject it lacks, each with a reason, and a PV dom0 keeps the
// reservation check (its start info's nr_pages is its allocation).
func TestNotHere(t *testing.T) {
	dom0Skips := map[string]bool{"console.ring": true, "xenstore.read": true, "xenstore.write": true, "xenstore.watch": true}
	for _, m := range []Mode{{}, {Dom0: true}, {PV: true}, {PV: true, Dom0: true}} {
		for _, c := range checkNames {
			want := m.Dom0 && (dom0Skips[c] || (c == "startinfo.reservation" && !m.PV))
			why := notHere(c, m)
			if (why != "") != want {
				t.Errorf("%v %s: skip reason %q, want a skip: %v", m, c, why, want)
			}
			if why != "" && !strings.Contains(why, "dom0") {
				t.Errorf("%v %s: reason %q does not say what lacks it", m, c, why)
			}
		}
	}
}

func pvPage() []byte {
	page := make([]byte, hypercall.PageSize)
	for nr := 0; nr < hypercall.NumSlots; nr++ {
		stub, n := hypercall.ExpectedPVStub(nr)
		copy(page[nr*hypercall.SlotSize:], stub[:n])
	}
	return page
}

func TestInspectPVPage(t *testing.T) {
	if err := inspectPVPage(pvPage()); err != nil {
		t.Fatalf("Xen's PV page: %v", err)
	}
	bad := pvPage()
	bad[hypercall.HYPERVISOR_sched_op*hypercall.SlotSize+8] = 0x90 // syscall's 0f 05 -> 0f 90
	err := inspectPVPage(bad)
	var se *pageSlotError
	if err == nil || !asSlotError(err, &se) || se.Slot != hypercall.HYPERVISOR_sched_op ||
		!strings.Contains(se.Want, "syscall") || !strings.Contains(se.Want, "push rcx") {
		t.Errorf("corrupt slot: %v", err)
	}
	// A PVH page is not a PV page, nor the other way round.
	if err := inspectPVPage(xenPage(hypercall.VendorAMD)); err == nil {
		t.Errorf("a PVH page passed as PV")
	}
	if _, err := inspectPage(pvPage()); err == nil {
		t.Errorf("a PV page passed as PVH")
	}
	if err := inspectPVPage(pvPage()[:100]); err == nil || !strings.Contains(err.Error(), "100 bytes") {
		t.Errorf("short page: %v", err)
	}
}

func asSlotError(err error, se **pageSlotError) bool {
	e, ok := err.(*pageSlotError)
	*se = e
	return ok
}

func TestPVMemoryMap(t *testing.T) {
	const nr = 8192 // 32 MiB
	// A domU: libxl gives one RAM entry up to maxmem plus slack.
	e820 := []startinfo.MemmapEntry{{Addr: 0, Size: 33 << 20, Type: ram}}
	m, src, err := pvMemoryMap(nr, e820, 0)
	if err != nil || len(m) != 1 || m[0].Size != 33<<20 || !strings.Contains(src, "XENMEM_memory_map") {
		t.Errorf("domU: %v %q %v", m, src, err)
	}
	// A PV dom0: Xen has no map for it (ENOSYS); its RAM is nr_pages from 0.
	m, src, err = pvMemoryMap(nr, nil, -int(hypercall.ENOSYS))
	if err != nil || len(m) != 1 || m[0].Addr != 0 || m[0].Size != nr*4096 || m[0].Type != ram || !strings.Contains(src, "nr_pages") {
		t.Errorf("dom0: %v %q %v", m, src, err)
	}
	// Any other refusal is an error that names it.
	if _, _, err := pvMemoryMap(nr, nil, -int(hypercall.EPERM)); err == nil || !strings.Contains(err.Error(), "XENMEM_memory_map") {
		t.Errorf("EPERM: %v", err)
	}
	// A map whose RAM does not hold every pseudo-physical frame is wrong.
	if p := pvFramesCovered(nr, []startinfo.MemmapEntry{{Addr: 0, Size: 16 << 20, Type: ram}}); p == "" {
		t.Errorf("a map of 16 MiB for 32 MiB of frames passed")
	}
	if p := pvFramesCovered(nr, e820); p != "" {
		t.Errorf("a covering map: %s", p)
	}
}

func TestPVStartInfoProblems(t *testing.T) {
	domU := startinfo.PV{NrPages: 8192, SharedInfo: 0x7fff000, StoreMFN: 0x1234, StoreEvtchn: 1,
		ConsoleMFN: 0x1235, ConsoleEvtchn: 2, PTBase: 0x600000, NrPTFrames: 6, MFNList: 0x500000}
	if p := pvStartInfoProblems(&domU, false); len(p) != 0 {
		t.Errorf("good domU: %v", p)
	}
	dom0 := domU
	dom0.StoreMFN, dom0.StoreEvtchn, dom0.ConsoleMFN, dom0.ConsoleEvtchn = 0, 0, 0, 0
	dom0.Flags = startinfo.SIF_PRIVILEGED | startinfo.SIF_INITDOMAIN
	if p := pvStartInfoProblems(&dom0, true); len(p) != 0 {
		t.Errorf("good dom0: %v", p)
	}
	for _, c := range []struct {
		edit func(*startinfo.PV)
		dom0 bool
		want string
	}{
		{func(p *startinfo.PV) { p.NrPages = 0 }, false, "nr_pages"},
		{func(p *startinfo.PV) { p.SharedInfo = 0 }, false, "shared_info"},
		{func(p *startinfo.PV) { p.SharedInfo |= 0x10 }, false, "shared_info"},
		{func(p *startinfo.PV) { p.PTBase = 0 }, false, "pt_base"},
		{func(p *startinfo.PV) { p.MFNList = 0 }, false, "mfn_list"},
		{func(p *startinfo.PV) { p.StoreMFN = 0 }, false, "store"},
		{func(p *startinfo.PV) { p.ConsoleEvtchn = 0 }, false, "console"},
		{func(p *startinfo.PV) { p.Flags = startinfo.SIF_INITDOMAIN }, true, "SIF_PRIVILEGED"},
	} {
		p := domU
		if c.dom0 {
			p = dom0
		}
		c.edit(&p)
		got := strings.Join(pvStartInfoProblems(&p, c.dom0), "; ")
		if !strings.Contains(got, c.want) {
			t.Errorf("want a problem naming %s, got %q", c.want, got)
		}
	}
}
