package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel"
	"github.com/goxen/goxen/sharedinfo"
	"github.com/goxen/goxen/startinfo"
	"github.com/goxen/goxen/xenstore"
)

// The checks that touch the platform. Everything here runs in the Go
// program, which the goxen kernel runs at ring 0 under PVH: hypercalls
// made from it reach Xen. Under classic PV the program runs in guest-user
// mode and the kernel makes its hypercalls on its behalf (kernel/pv.go:
// pvProgramHypercall), so the same calls work, but the checks read PV's
// own boot data where PVH's differs: start_info for the start info,
// console ring and memory size, Xen's CPUID leaves through the
// forced-emulation prefix, the PV hypercall page's stubs. The kernel owns
// the event upcall and VIRQ_TIMER; the checks use ports of their own and
// watch them through shared info.

// env is what the checks share.
type env struct {
	opts   Options
	si     startinfo.PVH
	pv     startinfo.PV // PV's start_info (mode.PV)
	dom0   bool
	mode   Mode
	shared *sharedinfo.SharedInfo

	// xen is what Xen's CPUID leaves say: the kernel's discovery under
	// PVH, the smoke test's own (forced-emulation CPUID) under PV, where
	// the kernel needs no CPUID; xenErr is that discovery's error.
	xen    hypercall.Xen
	xenErr error

	// The loopback channel: port a allocated unbound for ourselves,
	// port b bound to it (EVTCHNOP_bind_interdomain), both masked.
	loopA, loopB uint32
	loopErr      error
	loopDone     bool

	xs    *xenstore.Client
	xsErr error
	domid int // -1 until known
}

func newEnv(o Options) *env {
	e := &env{opts: o, si: kernel.StartInfo(), shared: kernel.SharedInfo(), domid: -1}
	e.dom0 = e.si.Flags&startinfo.SIF_INITDOMAIN != 0
	e.pv, e.mode.PV = kernel.PVStartInfo()
	e.mode.Dom0 = e.dom0
	if e.dom0 {
		e.domid = 0
	}
	e.xen = kernel.Xen()
	if e.mode.PV {
		e.xen, e.xenErr = hypercall.Discover(hypercall.PVCPUID)
	}
	return e
}

var checks = map[string]func(*env) Result{
	"xen.cpuid":             checkCPUID,
	"xen.version":           checkVersion,
	"hypercall.page":        checkHypercallPage,
	"startinfo.header":      checkStartInfo,
	"startinfo.memmap":      checkMemmap,
	"startinfo.reservation": checkReservation,
	"time.shared-info":      checkSharedInfo,
	"time.monotonic":        checkMonotonic,
	"time.tsc-rate":         checkTSCRate,
	"time.wallclock":        checkWallclock,
	"evtchn.loopback":       checkLoopback,
	"evtchn.upcall":         checkUpcall,
	"evtchn.poll":           checkPoll,
	"timer.sleep":           checkSleep,
	"console.ring":          checkConsoleRing,
	"xenstore.read":         checkStoreRead,
	"xenstore.write":        checkStoreWrite,
	"xenstore.watch":        checkStoreWatch,
	"gnttab.grant":          checkGrant,
	"memory.checksum":       checkMemory,
}

// now is Xen system time in ns, read from the pvclock record.
func (e *env) now() uint64 { return sharedinfo.ReadTime(&e.shared.VcpuInfo[0].Time, hypercall.RDTSC) }

func ms(ns float64) float64 { return ns / 1e6 }

// ---- Xen ------------------------------------------------------------------

func checkCPUID(e *env) Result {
	x := e.xen
	cpuid, how := hypercall.CPUID, "CPUID"
	if e.mode.PV {
		// A plain CPUID in a PV guest is the host's; Xen's leaves need
		// the forced-emulation prefix.
		cpuid, how = hypercall.PVCPUID, "forced-emulation CPUID"
	}
	if e.xenErr != nil {
		return fail(fmt.Sprintf("%s: %v", how, e.xenErr), `Xen's leaves with signature "XenVMMXenVMM"`)
	}
	_, b, c, d := cpuid(x.Base, 0)
	sig := string(le32s(b, c, d))
	maj, min := hypercall.XenVersion()
	tsc := "native RDTSC"
	if x.TSCEmulated() {
		tsc = "emulated RDTSC"
	}
	m := fmt.Sprintf("%q at %s %#x, Xen %d.%d, %d hypercall page(s) via MSR %#x, TSC %d kHz (tsc_mode %s, %s); XENVER_version %d.%d",
		sig, how, x.Base, x.Major, x.Minor, x.HypercallPages, x.HypercallMSR, x.TSCKHz, x.TSCModeName(), tsc, maj, min)
	switch {
	case sig != "XenVMMXenVMM":
		return fail(m, `signature "XenVMMXenVMM" (xen/include/public/arch-x86/cpuid.h)`)
	case maj < 0:
		return fail(m, "XENVER_version to succeed")
	case maj != int(x.Major) || min != int(x.Minor):
		return fail(m, "XENVER_version to agree with CPUID leaf base+1")
	case x.HypercallPages < 1:
		return fail(m, "at least one hypercall page")
	}
	return pass("%s", m)
}

func le32s(ws ...uint32) []byte {
	var b []byte
	for _, w := range ws {
		b = append(b, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	return b
}

func checkVersion(e *env) Result {
	var extra [hypercall.XenExtraversionSize]byte
	var cs [hypercall.XenChangesetSize]byte
	var ci [hypercall.XenCompileInfoSize]byte
	r1 := hypercall.XenVersionInfo(hypercall.XENVER_extraversion, extra[:])
	r2 := hypercall.XenVersionInfo(hypercall.XENVER_changeset, cs[:])
	r3 := hypercall.XenVersionInfo(hypercall.XENVER_compile_info, ci[:])
	if r1 != 0 || r2 != 0 || r3 != 0 {
		return fail(fmt.Sprintf("XENVER_extraversion %v, XENVER_changeset %v, XENVER_compile_info %v",
			hypercall.Result(r1), hypercall.Result(r2), hypercall.Result(r3)), "all three to return 0")
	}
	maj, min := hypercall.XenVersion()
	info, _ := hypercall.DecodeCompileInfo(ci[:])
	m := fmt.Sprintf("Xen %d.%d%s, changeset %q, compiled by %s@%s with %q on %s",
		maj, min, hypercall.CString(extra[:]), hypercall.CString(cs[:]), info.By, info.Domain, info.Compiler, info.Date)
	if info.Compiler == "" {
		return fail(m, "a compiler named in XENVER_compile_info")
	}
	return pass("%s", m)
}

// ---- hypercall page ---------------------------------------------------------

func checkHypercallPage(e *env) Result {
	addr := hypercall.Page()
	if addr == 0 {
		return fail("no hypercall page recorded", "the kernel's page")
	}
	page := make([]byte, hypercall.PageSize)
	copy(page, bytesAt(addr, hypercall.PageSize))
	kind, err := "", error(nil)
	if e.mode.PV {
		err = inspectPVPage(page)
		kind = "PV syscall stubs, iret slot its own (push rax; mov eax, 0x17; syscall)"
	} else {
		var v hypercall.Vendor
		v, err = inspectPage(page)
		kind = fmt.Sprint(v) + " stubs, iret slot ud2"
	}
	if err != nil {
		return fail(fmt.Sprintf("page at %#x: %v", addr, err), "Xen's "+e.mode.String()+" stub in every slot")
	}
	s, _ := describeSlot(page, hypercall.HYPERVISOR_xen_version)
	r := pass("page at %#x: %d slots disassembled, all Xen's %s (slot %d: %q)",
		addr, hypercall.NumSlots, kind, hypercall.HYPERVISOR_xen_version, s)
	for _, n := range []int{hypercall.HYPERVISOR_sched_op, hypercall.HYPERVISOR_event_channel_op, hypercall.HYPERVISOR_iret} {
		d, _ := describeSlot(page, n)
		r.Detail = append(r.Detail, fmt.Sprintf("slot %d: %s", n, d))
	}
	return r
}

// ---- start info ---------------------------------------------------------------

func checkStartInfo(e *env) Result {
	if e.mode.PV {
		return checkPVStartInfo(e)
	}
	si := &e.si
	var flags []string
	if si.Flags&startinfo.SIF_PRIVILEGED != 0 {
		flags = append(flags, "SIF_PRIVILEGED")
	}
	if si.Flags&startinfo.SIF_INITDOMAIN != 0 {
		flags = append(flags, "SIF_INITDOMAIN")
	}
	src := "in the start info"
	if si.MemmapPaddr == 0 {
		src = "from XENMEM_memory_map"
	}
	m := fmt.Sprintf("magic %#x (checked by the kernel's decoder) at paddr %#x, version %d, flags %#x [%s], command line %d bytes, %d module(s), memory map of %d entries %s",
		startinfo.XEN_HVM_START_MAGIC_VALUE, si.Paddr, si.Version, si.Flags, strings.Join(flags, " "),
		si.CmdlineLen, si.NModules, si.NMemmap, src)
	switch {
	case si.Paddr == 0:
		return fail(m, "a start info address (%ebx at entry)")
	case si.Version > startinfo.KnownPVHVersion:
		return fail(m, fmt.Sprintf("version 0 or 1 (newest known: %d)", startinfo.KnownPVHVersion))
	case !e.dom0 && (si.Version < 1 || si.MemmapPaddr == 0):
		return fail(m, "a domU's start info to be version 1 with a memory map (libxl builds one)")
	case e.dom0 && si.Flags&startinfo.SIF_PRIVILEGED == 0:
		return fail(m, "dom0 to be SIF_PRIVILEGED")
	}
	return pass("%s", m)
}

// checkPVStartInfo is startinfo.header for PV: the start_info Xen passed
// in %rsi (the kernel's decoder checked its magic).
func checkPVStartInfo(e *env) Result {
	p := &e.pv
	m := fmt.Sprintf("%q at %#x: %d pages, shared info at machine address %#x, flags %#x [%s], store mfn %#x port %d, console mfn %#x port %d, %d page-table frames at %#x, P2M list at %#x, command line %d bytes",
		p.MagicString(), p.Paddr, p.NrPages, p.SharedInfo, p.Flags, sifNames(p.Flags), p.StoreMFN, p.StoreEvtchn,
		p.ConsoleMFN, p.ConsoleEvtchn, p.NrPTFrames, p.PTBase, p.MFNList, p.CmdlineLen)
	if e.dom0 {
		// The same bytes are console.dom0 for dom0.
		off, size := p.Dom0Console()
		m = fmt.Sprintf("%q at %#x: %d pages, shared info at machine address %#x, flags %#x [%s], dom0 console info at offset %d (%d bytes), %d page-table frames at %#x, P2M list at %#x, command line %d bytes",
			p.MagicString(), p.Paddr, p.NrPages, p.SharedInfo, p.Flags, sifNames(p.Flags), off, size, p.NrPTFrames, p.PTBase, p.MFNList, p.CmdlineLen)
	}
	if problems := pvStartInfoProblems(p, e.dom0); len(problems) > 0 {
		return fail(m+": "+strings.Join(problems, "; "), "a complete start_info (xen/include/public/xen.h)")
	}
	return pass("%s", m)
}

func sifNames(f uint32) string {
	var flags []string
	if f&startinfo.SIF_PRIVILEGED != 0 {
		flags = append(flags, "SIF_PRIVILEGED")
	}
	if f&startinfo.SIF_INITDOMAIN != 0 {
		flags = append(flags, "SIF_INITDOMAIN")
	}
	return strings.Join(flags, " ")
}

// memoryMap is the map the memmap and reservation checks read: the start
// info's under PVH; under PV, which has none there, XENMEM_memory_map's or
// nr_pages' (pvMemoryMap).
func (e *env) memoryMap() ([]startinfo.MemmapEntry, string, error) {
	if !e.mode.PV {
		src := "in the start info"
		if e.si.MemmapPaddr == 0 {
			src = "from XENMEM_memory_map"
		}
		return e.si.MemoryMap(), src, nil
	}
	buf := make([]byte, 32*hypercall.E820EntrySize)
	n, rc := hypercall.MemoryMap(buf)
	var decoded startinfo.PVH
	if rc == 0 {
		decoded.SetMemmapE820(buf, n)
	}
	return pvMemoryMap(e.pv.NrPages, decoded.MemoryMap(), rc)
}

func checkMemmap(e *env) Result {
	lo, hi := kernel.Image()
	mm, src, err := e.memoryMap()
	if err != nil {
		return fail(err.Error(), "a memory map")
	}
	ram, problems := memmapSanity(mm, uint64(lo), uint64(hi))
	if e.mode.PV {
		if p := pvFramesCovered(e.pv.NrPages, mm); p != "" {
			problems = append(problems, p)
		}
	}
	m := fmt.Sprintf("%d entries %s, %.1f MiB RAM, image [%#x, %#x) inside RAM", len(mm), src, float64(ram)/(1<<20), lo, hi)
	if e.mode.PV {
		m += fmt.Sprintf(", and the %d pseudo-physical frames of nr_pages", e.pv.NrPages)
	}
	var detail []string
	for _, x := range mm {
		detail = append(detail, fmt.Sprintf("[%#x, %#x) %s", x.Addr, x.End(), startinfo.MemmapTypeName(x.Type)))
	}
	if len(problems) > 0 {
		r := fail(fmt.Sprintf("%d entries %s, %.1f MiB RAM: %s", len(mm), src, float64(ram)/(1<<20), strings.Join(problems, "; ")),
			"no overlaps, sized entries, RAM covering the image")
		r.Detail = detail
		return r
	}
	r := pass("%s", m)
	r.Detail = detail
	return r
}

func checkReservation(e *env) Result {
	var ram uint64
	for x := range e.si.RAM() {
		ram += x.Size
	}
	if e.mode.PV {
		// The domain's own pages, which a PV map's single RAM range
		// (sized from maxmem) overstates.
		ram = e.pv.NrPages * 4096
	}
	cur := hypercall.MemoryReservation(hypercall.XENMEM_current_reservation)
	max := hypercall.MemoryReservation(hypercall.XENMEM_maximum_reservation)
	if cur < 0 || max < 0 {
		return fail(fmt.Sprintf("XENMEM_current_reservation %v, XENMEM_maximum_reservation %v",
			hypercall.Result(cur), hypercall.Result(max)), "page counts")
	}
	m, ok := reservationAgrees(int64(ram/4096), int64(cur), int64(max))
	if !ok {
		return fail(m, fmt.Sprintf("current within %d pages of the map's RAM, maximum not below it", reservationSlackPages))
	}
	return pass("%s", m)
}

// ---- time ---------------------------------------------------------------------

func checkSharedInfo(e *env) Result {
	s := e.shared
	if s == nil {
		return fail("kernel.SharedInfo() is nil", "shared info mapped at boot (XENMEM_add_to_physmap)")
	}
	t := &s.VcpuInfo[0].Time
	v := atomic.LoadUint32(&t.Version)
	m := fmt.Sprintf("at %#x; vcpu 0 pvclock version %d, tsc_to_system_mul %#x, tsc_shift %d (TSC %.3f MHz), system time %.3f s",
		uintptr(unsafe.Pointer(s)), v, t.TSCToSystemMul, t.TSCShift, float64(t.TSCFrequency())/1e6, float64(e.now())/1e9)
	if t.TSCToSystemMul == 0 {
		return fail(m, "a pvclock record Xen has filled in (tsc_to_system_mul != 0)")
	}
	return pass("%s", m)
}

func checkMonotonic(e *env) Result {
	if e.shared == nil {
		return errorf("no shared info", "shared info mapped")
	}
	const n = 10000
	reads := make([]uint64, n)
	t0 := time.Now()
	for i := range reads {
		reads[i] = e.now()
	}
	took := time.Since(t0)
	backs, worst := monotonic(reads)
	m := fmt.Sprintf("%d pvclock reads over %.2f ms (%.0f ns per read), %d steps back", n, ms(float64(took)), float64(took)/n, backs)
	if backs > 0 {
		return fail(m+fmt.Sprintf(", the largest %d ns", worst), "no step back")
	}
	if reads[n-1] <= reads[0] {
		return fail(m+", and no progress", "the clock to advance")
	}
	return pass("%s", m)
}

// interval is how long the rate checks measure.
const interval = 300 * time.Millisecond

// bracket reads a clock (read) between two pvclock reads and returns its
// value, the pvclock time it was read at (the pair's midpoint) and how
// far off that may be (half the pair's width). It keeps the narrowest of
// a few tries: a vCPU descheduled between the reads (a busy host) makes
// one pair wide, rarely all of them.
func (e *env) bracket(read func() uint64) (v, at, half uint64) {
	half = math.MaxUint64
	for range 8 {
		s0 := e.now()
		x := read()
		s1 := e.now()
		if h := (s1 - s0) / 2; h < half {
			v, at, half = x, s0+h, h
		}
	}
	return v, at, half
}

func checkTSCRate(e *env) Result {
	if e.shared == nil {
		return errorf("no shared info", "shared info mapped")
	}
	tsc0, sys0, u0 := e.bracket(hypercall.RDTSC)
	time.Sleep(interval)
	tsc1, sys1, u1 := e.bracket(hypercall.RDTSC)
	dtsc, dsys, u := float64(tsc1-tsc0), float64(sys1-sys0), float64(u0+u1)
	hz := dtsc / dsys * 1e9
	rec := float64(e.shared.VcpuInfo[0].Time.TSCFrequency())
	cpuid := float64(e.xen.TSCKHz) * 1e3
	m := fmt.Sprintf("TSC ran %.3f MHz over %.1f ms (±%.3f ms) of pvclock; pvclock scale says %.3f MHz (%+.3f %%)",
		hz/1e6, ms(dsys), ms(u), rec/1e6, 100*relDiff(hz, rec))
	if cpuid > 0 {
		m += fmt.Sprintf(", CPUID leaf 3 %.3f MHz (%+.3f %%)", cpuid/1e6, 100*relDiff(hz, cpuid))
	}
	if !rateWithin(dtsc, dsys, u, rec/1e9, rateTolerance) || (cpuid > 0 && !rateWithin(dtsc, dsys, u, cpuid/1e9, rateTolerance)) {
		return fail(m, "within 1 %, give or take the reads' uncertainty")
	}
	return pass("%s", m)
}

// wallclockTries is how many intervals checkWallclock measures at most
// while Xen's wallclock keeps being set.
const wallclockTries = 3

// wallclockRetried says how many intervals were measured again because
// Xen's wallclock was set during them, or nothing if none was.
func wallclockRetried(steps int) string {
	if steps == 0 {
		return ""
	}
	return fmt.Sprintf("(measured again after Xen's wallclock was set %d time(s) during the interval) ", steps)
}

func checkWallclock(e *env) Result {
	if e.shared == nil {
		return errorf("no shared info", "shared info mapped")
	}
	// Each of Go's clocks is read between pvclock reads (bracket), so a
	// vCPU descheduled beside a read widens its uncertainty instead of
	// failing the check; Xen's wallclock is computed from pvclock itself.
	base := time.Now()
	mono := func() uint64 { return uint64(time.Since(base)) }      // CLOCK_MONOTONIC: the kernel's pvclock
	wall := func() uint64 { return uint64(time.Now().UnixNano()) } // CLOCK_REALTIME
	// When the toolstack sets Xen's wallclock during the interval (dom0's
	// Linux does, XENPF_settime64), CLOCK_REALTIME steps with it; that is
	// right, and not what this check measures: wc_version says so
	// (xen/include/public/xen.h: struct shared_info), and the interval is
	// measured again, up to wallclockTries times.
	var m0, sys0, um0, r0, sysr0, ur0, m1, sys1, um1, r1, sysr1, ur1 uint64
	steps := 0
	for try := 1; ; try++ {
		v0 := atomic.LoadUint32(&e.shared.WcVersion)
		m0, sys0, um0 = e.bracket(mono)
		r0, sysr0, ur0 = e.bracket(wall)
		time.Sleep(interval)
		m1, sys1, um1 = e.bracket(mono)
		r1, sysr1, ur1 = e.bracket(wall)
		if atomic.LoadUint32(&e.shared.WcVersion) == v0 {
			break
		}
		steps++
		if try == wallclockTries {
			return fail(fmt.Sprintf("Xen's wallclock was set during each of %d intervals of %v (wc_version changed)", steps, interval),
				"one interval without the toolstack setting the wallclock")
		}
	}
	w0s, w0n := sharedinfo.WallTime(e.shared, sys0)
	w1s, w1n := sharedinfo.WallTime(e.shared, sys1)
	dsys, dsysr := float64(sys1-sys0), float64(sysr1-sysr0)
	dwall := float64(int64(w1s-w0s)*1e9 + int64(w1n) - int64(w0n))
	dgo, dgoWall := float64(m1-m0), float64(int64(r1-r0))
	when := time.Unix(int64(w1s), int64(w1n)).UTC()
	skew := time.Duration(int64(r1) - when.UnixNano())
	m := fmt.Sprintf("%s%s (Unix %d); over %.1f ms of pvclock the wallclock moved %.1f ms (%+.3f %%), Go's monotonic clock %.1f ms (%+.3f %%, ±%.3f ms), its wall clock %.1f ms (%+.3f %%, ±%.3f ms), off Xen's by %v",
		wallclockRetried(steps), when.Format(time.RFC3339Nano), w1s, ms(dsys), ms(dwall), 100*relDiff(dwall, dsys),
		ms(dgo), 100*relDiff(dgo, dsys), ms(float64(um0+um1)), ms(dgoWall), 100*relDiff(dgoWall, dsysr), ms(float64(ur0+ur1)), skew)
	if skew < 0 {
		skew = -skew
	}
	switch {
	case w1s < wallclock2020:
		return fail(m, "a wallclock after 2020-01-01")
	case !within(dwall, dsys, rateTolerance) || !rateWithin(dgo, dsys, float64(um0+um1), 1, rateTolerance) ||
		!rateWithin(dgoWall, dsysr, float64(ur0+ur1), 1, rateTolerance):
		return fail(m, "the clocks within 1 % of pvclock, give or take the reads' uncertainty")
	case skew > time.Second:
		return fail(m, "Go's time.Now within 1 s of Xen's wallclock")
	}
	return pass("%s", m)
}

// ---- event channels -------------------------------------------------------------

// loopback sets up (once) a channel from this domain to itself: a port
// allocated unbound for DOMID_SELF and a second port bound to it. Both
// are masked, so the kernel's upcall leaves their events to us.
//
// xen/include/public/event_channel.h: EVTCHNOP_alloc_unbound ("remote_dom
// may be DOMID_SELF, allowing loopback connections"), EVTCHNOP_bind_interdomain
func (e *env) loopback() (a, b uint32, err error) {
	if e.loopDone {
		return e.loopA, e.loopB, e.loopErr
	}
	e.loopDone = true
	if e.shared == nil {
		e.loopErr = errors.New("no shared info")
		return 0, 0, e.loopErr
	}
	a, rc := hypercall.EvtchnAllocUnbound(hypercall.DOMID_SELF)
	if rc != 0 {
		e.loopErr = fmt.Errorf("EVTCHNOP_alloc_unbound(DOMID_SELF): %v", hypercall.Result(rc))
		return 0, 0, e.loopErr
	}
	evtchn.Mask(e.shared, a)
	b, rc = hypercall.EvtchnBindInterdomain(hypercall.DOMID_SELF, a)
	if rc != 0 {
		hypercall.EvtchnClose(a)
		e.loopErr = fmt.Errorf("EVTCHNOP_bind_interdomain(DOMID_SELF, %d): %v", a, hypercall.Result(rc))
		return 0, 0, e.loopErr
	}
	evtchn.Mask(e.shared, b)
	evtchn.ClearPending(e.shared, a)
	evtchn.ClearPending(e.shared, b)
	e.loopA, e.loopB = a, b
	return a, b, nil
}

// closeLoopback closes the channel's ports once the checks are done.
func (e *env) closeLoopback() {
	if e.loopDone && e.loopErr == nil {
		hypercall.EvtchnClose(e.loopB)
		hypercall.EvtchnClose(e.loopA)
	}
}

func checkLoopback(e *env) Result {
	a, b, err := e.loopback()
	if err != nil {
		return fail(err.Error(), "a loopback channel")
	}
	s := e.shared
	// b -> a, then a -> b: the two ends of one channel.
	t0 := e.now()
	rc1 := hypercall.EvtchnSend(b)
	got1 := evtchn.Pending(s, a)
	t1 := e.now()
	rc2 := hypercall.EvtchnSend(a)
	got2 := evtchn.Pending(s, b)
	// SCHEDOP_poll on a port already pending returns at once.
	ports := []uint32{a}
	p0 := e.now()
	rc3 := hypercall.SchedPoll(ports, p0+uint64(time.Second))
	p1 := e.now()
	evtchn.ClearPending(s, b)
	m := fmt.Sprintf("ports %d <-> %d: send %d -> %d pending after %.1f us, send %d -> %d pending %v; SCHEDOP_poll on the pending port returned %d after %.1f us",
		a, b, b, a, float64(t1-t0)/1e3, a, b, got2, rc3, float64(p1-p0)/1e3)
	switch {
	case rc1 != 0 || rc2 != 0:
		return fail(m+fmt.Sprintf(" (EVTCHNOP_send: %v, %v)", hypercall.Result(rc1), hypercall.Result(rc2)), "EVTCHNOP_send to succeed")
	case !got1 || !got2:
		return fail(m, "each send to set the other end's pending bit")
	case rc3 != 0 || p1-p0 > uint64(100*time.Millisecond):
		return fail(m, "SCHEDOP_poll to return 0 at once")
	}
	return pass("%s", m)
}

func checkUpcall(e *env) Result {
	a, b, err := e.loopback()
	if err != nil {
		return errorf(err.Error(), "a loopback channel")
	}
	s := e.shared
	if !evtchn.Pending(s, a) {
		hypercall.EvtchnSend(b)
	}
	if !evtchn.Pending(s, a) {
		return fail(fmt.Sprintf("port %d not pending after a send", a), "a pending event to hand to the upcall")
	}
	// Unmasking a pending port makes Xen raise the upcall; the kernel's
	// handler scans shared info and clears the pending bit of every
	// unmasked port it finds (evtchn.Scan). The bit clearing is the
	// proof that the upcall ran.
	t0 := e.now()
	rc := hypercall.EvtchnUnmask(a)
	deadline := t0 + uint64(500*time.Millisecond)
	var t1 uint64
	for {
		t1 = e.now()
		if !evtchn.Pending(s, a) || t1 > deadline {
			break
		}
	}
	cleared := !evtchn.Pending(s, a)
	evtchn.Mask(s, a)
	evtchn.ClearPending(s, a)
	m := fmt.Sprintf("port %d unmasked while pending (EVTCHNOP_unmask %d): the kernel's upcall took the event after %.1f us", a, rc, float64(t1-t0)/1e3)
	if rc != 0 || !cleared {
		m = fmt.Sprintf("port %d unmasked while pending (EVTCHNOP_unmask %d): still pending after %.0f ms", a, rc, ms(float64(t1-t0)))
		return fail(m, "the upcall to deliver it within 500 ms")
	}
	return pass("%s", m)
}

func checkPoll(e *env) Result {
	a, _, err := e.loopback()
	if err != nil {
		return errorf(err.Error(), "a loopback channel")
	}
	evtchn.ClearPending(e.shared, a)
	ports := []uint32{a}
	const rounds, wait = 10, 3 * time.Millisecond
	var late []time.Duration
	early := 0
	for i := 0; i < rounds; i++ {
		deadline := e.now() + uint64(wait)
		for {
			if rc := hypercall.SchedPoll(ports, deadline); rc != 0 {
				return fail(fmt.Sprintf("SCHEDOP_poll: %v", hypercall.Result(rc)), "0")
			}
			now := e.now()
			if now >= deadline {
				late = append(late, time.Duration(now-deadline))
				break
			}
			// Another event (the kernel's tick) woke the vCPU first.
			early++
		}
	}
	med, max := spread(late)
	m := fmt.Sprintf("%d polls of %v on an idle port: late by %.3f ms at least, %.3f ms median, %.3f ms max (%d early wakeups by other events)",
		rounds, wait, ms(float64(slices.Min(late))), ms(float64(med)), ms(float64(max)), early)
	if !onTime(late, e.opts.TimerSlack) {
		return fail(m, fmt.Sprintf("the earliest within %v (a busy host delays the others)", e.opts.TimerSlack))
	}
	return pass("%s", m)
}

func checkSleep(e *env) Result {
	const n, d = 20, 2 * time.Millisecond
	var late []time.Duration
	for i := 0; i < n; i++ {
		t := time.Now()
		time.Sleep(d)
		late = append(late, time.Since(t)-d)
	}
	var afl []time.Duration
	for i := 0; i < 5; i++ {
		c := make(chan time.Duration, 1)
		t := time.Now()
		time.AfterFunc(d, func() { c <- time.Since(t) - d })
		afl = append(afl, <-c)
	}
	med, max := spread(late)
	amed, amax := spread(afl)
	m := fmt.Sprintf("time.Sleep(%v) x%d late by %.3f ms at least, %.3f ms median, %.3f ms max; time.AfterFunc x5 late by %.3f ms at least, %.3f ms median, %.3f ms max",
		d, n, ms(float64(slices.Min(late))), ms(float64(med)), ms(float64(max)), ms(float64(slices.Min(afl))), ms(float64(amed)), ms(float64(amax)))
	// Both go through the runtime's timers and the kernel's one VIRQ_TIMER.
	if !onTime(append(late, afl...), e.opts.TimerSlack) {
		return fail(m, fmt.Sprintf("the earliest wakeup within %v (the kernel arms VIRQ_TIMER for the earliest sleeper; a busy host delays the others)", e.opts.TimerSlack))
	}
	return pass("%s", m)
}

// ---- console ring ------------------------------------------------------------------

// consoleRingPFN is the frame of a domU's console ring as Xen names it:
// HVM_PARAM_CONSOLE_PFN under PVH; under PV start_info's machine frame,
// which must be the machine frame of the ring the kernel writes to.
func (e *env) consoleRingPFN() (uint64, string, error) {
	if !e.mode.PV {
		pfn, rc := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_PFN)
		if rc != 0 || pfn < 1<<20>>12 || pfn >= 4<<30>>12 {
			return 0, "", fmt.Errorf("HVM_PARAM_CONSOLE_PFN = %#x (rc %d), not a ring page between 1 MiB and 4 GiB", pfn, rc)
		}
		return pfn, "HVM_PARAM_CONSOLE_PFN", nil
	}
	pfn, _, ok := kernel.ConsoleRing()
	if !ok {
		return 0, "", fmt.Errorf("the kernel writes no console ring (start_info console mfn %#x)", e.pv.ConsoleMFN)
	}
	if mfn, ok := kernel.GrantFrame(uintptr(pfn << 12)); !ok || mfn != e.pv.ConsoleMFN {
		return 0, "", fmt.Errorf("the kernel's ring at pfn %#x is machine frame %#x, start_info's console mfn %#x", pfn, mfn, e.pv.ConsoleMFN)
	}
	return pfn, fmt.Sprintf("start_info's console mfn %#x", e.pv.ConsoleMFN), nil
}

func checkConsoleRing(e *env) Result {
	pfn, src, err := e.consoleRingPFN()
	if err != nil {
		return fail(err.Error(), "the domU's console ring")
	}
	ring := (*console.Interface)(at(uintptr(pfn << 12)))
	marker := fmt.Sprintf("smoke: console marker %d\n", e.now())
	t0 := e.now()
	if _, err := os.Stdout.WriteString(marker); err != nil {
		return fail("writing the marker: "+err.Error(), "a console write")
	}
	prod := atomic.LoadUint32(&ring.OutProd)
	var cons uint32
	deadline := t0 + uint64(5*time.Second)
	for {
		cons = atomic.LoadUint32(&ring.OutCons)
		if int32(cons-prod) >= 0 || e.now() > deadline {
			break
		}
		time.Sleep(time.Millisecond)
	}
	took := e.now() - t0
	m := fmt.Sprintf("ring at pfn %#x (%s): a %d-byte marker written, out_prod %d, out_cons %d after %.1f ms, connection %d",
		pfn, src, len(marker), prod, cons, ms(float64(took)), ring.Connection)
	if int32(cons-prod) < 0 {
		return fail(m, "the backend to consume up to out_prod within 5 s")
	}
	return pass("%s", m)
}

// ---- xenstore ------------------------------------------------------------------------

func (e *env) store() (*xenstore.Client, error) {
	if e.xs == nil && e.xsErr == nil {
		e.xs, e.xsErr = xenstore.Open()
	}
	return e.xs, e.xsErr
}

func checkStoreRead(e *env) Result {
	xs, err := e.store()
	if err != nil {
		return fail(err.Error(), "xenstore.Open to connect through /dev/xen/xenbus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t0 := time.Now()
	name, err1 := xs.Read(ctx, "name")
	id, err2 := xs.Read(ctx, "domid")
	took := time.Since(t0)
	if err1 != nil || err2 != nil {
		return fail(fmt.Sprintf("name: %v, domid: %v", err1, err2), "both keys readable")
	}
	n, err := strconv.Atoi(string(id))
	m := fmt.Sprintf("name %q, domid %q, two reads in %.2f ms", name, id, ms(float64(took)))
	if err != nil || n <= 0 || n >= hypercall.DOMID_FIRST_RESERVED || len(name) == 0 {
		return fail(m, "a name and a domid between 1 and 0x7fef")
	}
	e.domid = n
	return pass("%s", m)
}

func checkStoreWrite(e *env) Result {
	xs, err := e.store()
	if err != nil {
		return fail(err.Error(), "a xenstore connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	val := fmt.Sprintf("smoke %d", e.now())
	t0 := time.Now()
	werr := xs.Write(ctx, "data/smoke", []byte(val))
	got, rerr := xs.Read(ctx, "data/smoke")
	took := time.Since(t0)
	m := fmt.Sprintf("wrote %q to data/smoke, read back %q: round trip %.2f ms", val, got, ms(float64(took)))
	if werr != nil || rerr != nil {
		return fail(fmt.Sprintf("write: %v, read: %v", werr, rerr), "data/ to be writable and readable")
	}
	if string(got) != val {
		return fail(m, "the value written")
	}
	xs.Rm(ctx, "data/smoke")
	return pass("%s", m)
}

func checkStoreWatch(e *env) Result {
	xs, err := e.store()
	if err != nil {
		return fail(err.Error(), "a xenstore connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const key = "data/smoke-watch"
	w, err := xs.Watch(ctx, key)
	if err != nil {
		return fail("watch: "+err.Error(), "a watch on "+key)
	}
	defer w.Close()
	// The first event is the one every new watch gets at once.
	select {
	case <-w.Events():
	case <-ctx.Done():
		return fail("no initial event within 5 s", "the event xenstored sends when a watch is set")
	}
	t0 := time.Now()
	if err := xs.Write(ctx, key, []byte("fire")); err != nil {
		return fail("write: "+err.Error(), "a writable "+key)
	}
	select {
	case p, ok := <-w.Events():
		took := time.Since(t0)
		if !ok {
			return fail("the watch ended: "+fmt.Sprint(w.Err()), "an event")
		}
		xs.Rm(ctx, key)
		m := fmt.Sprintf("watch on %s fired for %q %.2f ms after the write", key, p, ms(float64(took)))
		if !strings.HasSuffix(p, key) {
			return fail(m, "an event for "+key)
		}
		return pass("%s", m)
	case <-ctx.Done():
		return fail("no event within 5 s of the write", "the watch to fire")
	}
}

// ---- grant table ------------------------------------------------------------------------

// grantPages are frames of our own to grant: the program's data lives in
// the kernel image, which Xen loaded at its physical addresses, so a
// global's address is its guest-physical address too.
var grantPages [3 * 4096]byte

func checkGrant(e *env) Result {
	t, ok := kernel.GrantTable()
	if !ok {
		return fail("the kernel has no grant table", "a table mapped at boot")
	}
	base := (uintptr(unsafe.Pointer(&grantPages[0])) + 4095) &^ 4095
	src, dst := base, base+4096
	frame, ok1 := kernel.GrantFrame(src)
	dstFrame, ok2 := kernel.GrantFrame(dst)
	if !ok1 || !ok2 {
		return fail(fmt.Sprintf("pages at %#x, %#x: no frame numbers", src, dst), "the image's pages to be RAM frames")
	}
	domid := e.domid
	if domid < 0 {
		return e.grantOnly(t, frame)
	}
	fillPattern(bytesAt(src, 4096), 0x5a5a)
	clear(bytesAt(dst, 4096))
	free0 := t.Free()
	ref, err := t.Grant(uint16(domid), frame, true)
	if err != nil {
		return fail("grant: "+err.Error(), "a free entry")
	}
	ent := t.Entry(ref)
	st1, rc1 := gnttab.CopyFromGrant(ref, dstFrame, 4096)
	same := checksum(bytesAt(src, 4096)) == checksum(bytesAt(dst, 4096))
	rerr := t.Revoke(ref)
	after := t.Entry(ref)
	st2, rc2 := gnttab.CopyFromGrant(ref, dstFrame, 4096)
	m := fmt.Sprintf("frame %#x granted read-only to domain %d as ref %d (entry flags %#x, domid %d, frame %#x); GNTTABOP_copy through it: rc %d, %v, page %s; revoked (flags now %#x, %d free entries, as before: %v); a copy after revoke: rc %d, %v",
		frame, domid, ref, ent.Flags, ent.Domid, ent.Frame, rc1, st1, map[bool]string{true: "identical", false: "DIFFERENT"}[same],
		after.Flags, t.Free(), t.Free() == free0, rc2, st2)
	switch {
	case ent.Flags&gnttab.GTF_permit_access == 0 || uint64(ent.Frame) != frame || int(ent.Domid) != domid:
		return fail(m, "the entry to show the grant")
	case rc1 != 0 || st1 != gnttab.GNTST_okay || !same:
		return fail(m, "Xen to copy the granted page")
	case rerr != nil:
		return fail(m+": revoke: "+rerr.Error(), "the revoke to succeed")
	case after.Flags != 0 || t.Free() != free0:
		return fail(m, "the entry free again")
	case rc2 == 0 && st2 == gnttab.GNTST_okay:
		return fail(m, "Xen to refuse a revoked grant")
	}
	return pass("%s", m)
}

// grantOnly grants and revokes without a copy, for a domU whose domid is
// unknown (the xenstore checks did not run).
func (e *env) grantOnly(t *gnttab.Table, frame uint64) Result {
	free0 := t.Free()
	ref, err := t.Grant(hypercall.DOMID_SELF, frame, true)
	if err != nil {
		return fail("grant: "+err.Error(), "a free entry")
	}
	ent := t.Entry(ref)
	rerr := t.Revoke(ref)
	m := fmt.Sprintf("frame %#x granted to DOMID_SELF as ref %d (entry flags %#x), revoked: %v, %d free entries (before %d); no copy: own domid unknown (run xenstore.read)",
		frame, ref, ent.Flags, rerr, t.Free(), free0)
	if rerr != nil || t.Free() != free0 || ent.Flags&gnttab.GTF_permit_access == 0 {
		return fail(m, "grant and revoke to succeed")
	}
	return pass("%s", m)
}

// ---- memory ---------------------------------------------------------------------------------

func checkMemory(e *env) Result {
	const chunk = 4 << 20
	free, total := kernel.FreeMemory()
	target := memTarget(free, uint64(e.opts.MemMiB)<<20, chunk)
	if target == 0 {
		return fail(fmt.Sprintf("%.1f MiB free of %.1f MiB", float64(free)/(1<<20), float64(total)/(1<<20)), "at least 4 MiB free")
	}
	type area struct {
		b   []byte
		sum uint64
	}
	var areas []area
	t0 := time.Now()
	var filled uint64
	stopped := ""
	for filled < target {
		if time.Since(t0) > e.opts.MemTime {
			stopped = fmt.Sprintf(", stopped by the %v bound", e.opts.MemTime)
			break
		}
		b, err := syscall.Mmap(-1, 0, chunk, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			stopped = ", mmap: " + err.Error()
			break
		}
		fillPattern(b, filled)
		areas = append(areas, area{b, checksum(b)})
		filled += chunk
	}
	fillTook := time.Since(t0)
	freeMid, _ := kernel.FreeMemory()
	bad := 0
	for i, a := range areas {
		if checksum(a.b) != a.sum || a.b[8] != pattern8(uint64(i)*chunk+8) {
			bad++
		}
	}
	for _, a := range areas {
		syscall.Munmap(a.b)
	}
	took := time.Since(t0)
	freeEnd, _ := kernel.FreeMemory()
	m := fmt.Sprintf("filled %.0f MiB of %.1f MiB free (%.0f %%) in %d chunks of 4 MiB in %.2f s (%.0f MiB/s)%s; %d checksums bad; free RAM %.1f MiB while filled, %.1f MiB after munmap; %.2f s in all",
		float64(filled)/(1<<20), float64(free)/(1<<20), 100*float64(filled)/float64(free), len(areas),
		fillTook.Seconds(), float64(filled)/(1<<20)/fillTook.Seconds(), stopped, bad,
		float64(freeMid)/(1<<20), float64(freeEnd)/(1<<20), took.Seconds())
	switch {
	case bad > 0:
		return fail(m, "every checksum to match")
	case len(areas) == 0:
		return fail(m, "some memory filled")
	case int64(free)-int64(freeMid) < int64(filled/2):
		return fail(m, "free RAM to drop while the chunks were filled (pages really backed)")
	}
	return pass("%s", m)
}

// pattern8 is the byte fillPattern puts at offset off of the area.
func pattern8(off uint64) byte {
	v := (off &^ 7) * 0x9e3779b97f4a7c15
	return byte(v >> (8 * (off & 7)))
}
