package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/startinfo"
)

// The pure arithmetic of the checks, apart from the platform so that host
// tests reach it (analysis_test.go).

// memmapSanity checks a memory map: entries have a size, none overlaps
// another, and RAM entries cover the whole image [imgStart, imgEnd). It
// returns the RAM it holds, in bytes, and every problem found.
func memmapSanity(m []startinfo.MemmapEntry, imgStart, imgEnd uint64) (ram uint64, problems []string) {
	if len(m) == 0 {
		return 0, []string{"the memory map is empty"}
	}
	s := append([]startinfo.MemmapEntry(nil), m...)
	sort.Slice(s, func(i, j int) bool { return s[i].Addr < s[j].Addr })
	for i, e := range s {
		if e.Size == 0 {
			problems = append(problems, fmt.Sprintf("entry at %#x has size 0", e.Addr))
		}
		if e.Addr+e.Size < e.Addr {
			problems = append(problems, fmt.Sprintf("entry at %#x wraps", e.Addr))
		}
		if i > 0 && s[i-1].Addr+s[i-1].Size > e.Addr {
			problems = append(problems, fmt.Sprintf("[%#x, %#x) %s overlaps [%#x, %#x) %s",
				s[i-1].Addr, s[i-1].Addr+s[i-1].Size, startinfo.MemmapTypeName(s[i-1].Type),
				e.Addr, e.Addr+e.Size, startinfo.MemmapTypeName(e.Type)))
		}
		if e.Type == startinfo.XEN_HVM_MEMMAP_TYPE_RAM {
			ram += e.Size
		}
	}
	if ram == 0 {
		problems = append(problems, "no RAM entry")
	}
	if imgEnd <= imgStart {
		problems = append(problems, fmt.Sprintf("image bounds [%#x, %#x) are empty", imgStart, imgEnd))
	} else if gap, ok := uncovered(s, imgStart, imgEnd); !ok {
		problems = append(problems, fmt.Sprintf("the image [%#x, %#x) is not all RAM: %#x is not", imgStart, imgEnd, gap))
	}
	return ram, problems
}

// uncovered walks [lo, hi) through the sorted map's RAM entries and
// returns the first address no RAM entry covers.
func uncovered(sorted []startinfo.MemmapEntry, lo, hi uint64) (uint64, bool) {
	at := lo
	for _, e := range sorted {
		if e.Type != startinfo.XEN_HVM_MEMMAP_TYPE_RAM || e.Addr+e.Size <= at {
			continue
		}
		if e.Addr > at {
			return at, false
		}
		at = e.Addr + e.Size
		if at >= hi {
			return 0, true
		}
	}
	return at, at >= hi
}

// reservationSlackPages is how far the memory map's RAM and Xen's count
// of the domain's pages may differ. Xen's count also holds the pages the
// toolstack places outside RAM (console and xenstore rings, ACPI tables),
// and the frame the kernel gave up to map shared info at; the toolstack
// sets the maximum 1 MiB above the target (libxl's LIBXL_MAXMEM_CONSTANT).
// 2 MiB covers these on every layout seen and still catches a map that is
// off by any real amount of memory.
const reservationSlackPages = 512

// reservationAgrees compares the RAM in the memory map with Xen's current
// and maximum reservation (pages of 4 KiB).
func reservationAgrees(mapPages, cur, max int64) (string, bool) {
	m := fmt.Sprintf("memory map %d pages (%.1f MiB), current reservation %d pages (%.1f MiB), maximum %d pages (%.1f MiB)",
		mapPages, mib(mapPages), cur, mib(cur), max, mib(max))
	d := cur - mapPages
	if d < 0 {
		d = -d
	}
	switch {
	case cur <= 0 || max <= 0 || mapPages <= 0:
		return m, false
	case cur > max:
		return m + ": current above maximum", false
	case d > reservationSlackPages:
		return m + fmt.Sprintf(": map and current differ by %d pages", d), false
	case max < mapPages-reservationSlackPages:
		return m + ": maximum below the map's RAM", false
	}
	return m, true
}

func mib(pages int64) float64 { return float64(pages) * 4096 / (1 << 20) }

// relDiff is (got-want)/want.
func relDiff(got, want float64) float64 {
	if want == 0 {
		return math.Inf(1)
	}
	return (got - want) / want
}

// within says got is within frac (0.01 for 1 %) of want.
func within(got, want, frac float64) bool { return math.Abs(relDiff(got, want)) <= frac }

// rateWithin says whether a rate of dx per dsys can be want, to within
// frac, when each end of the interval dsys is known only to within a
// total of u (the half-widths of the pvclock reads that bracket each
// end): it is true if some interval in [dsys-u, dsys+u] gives a rate in
// [want(1-frac), want(1+frac)]. A vCPU descheduled between a clock read
// and the pvclock read next to it, as on a busy host, then widens u
// instead of failing the check; an interval known exactly is held to
// frac. When u is not below dsys nothing can be said, and it is true.
func rateWithin(dx, dsys, u, want, frac float64) bool {
	if u >= dsys {
		return true
	}
	lo, hi := dx/(dsys+u), dx/(dsys-u)
	return hi >= want*(1-frac) && lo <= want*(1+frac)
}

// rateTolerance is the 1 % the issue allows between clocks.
const rateTolerance = 0.01

// wallclock2020 is 2020-01-01T00:00:00Z: a wallclock before it was
// never set.
const wallclock2020 = 1577836800

// spread sorts ds and returns its median and maximum.
func spread(ds []time.Duration) (median, max time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)-1]
}

// onTime says whether the earliest of the wakeups in late (how late each
// was) came within slack. The earliest is what the guest controls: a busy
// host delays the others however well the kernel arms its timer.
func onTime(late []time.Duration, slack time.Duration) bool {
	return len(late) > 0 && slices.Min(late) <= slack
}

// monotonic counts how often a series of clock reads went back, and the
// largest step back.
func monotonic(reads []uint64) (backs int, worst uint64) {
	for i := 1; i < len(reads); i++ {
		if reads[i] < reads[i-1] {
			backs++
			if d := reads[i-1] - reads[i]; d > worst {
				worst = d
			}
		}
	}
	return backs, worst
}

// fillPattern writes a page-dependent pattern into b (whose first byte is
// byte number base of the whole area), so a page that shows up at another
// address, or is zeroed, fails the checksum.
func fillPattern(b []byte, base uint64) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := (base + uint64(i)) * 0x9e3779b97f4a7c15
		b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		b[i+4], b[i+5], b[i+6], b[i+7] = byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
	}
}

// checksum is a 64-bit FNV-1a-like sum of b, 8 bytes at a time.
func checksum(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i+8 <= len(b); i += 8 {
		w := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		h = (h ^ w) * 1099511628211
	}
	return h
}

// memTarget is how much of free RAM the memory check takes: three
// quarters of it, keeping the rest for the runtime and page tables, at
// most limit bytes, and whole chunks.
func memTarget(free, limit, chunk uint64) uint64 {
	t := free / 4 * 3
	if t > limit {
		t = limit
	}
	return t / chunk * chunk
}

// pvMemoryMap is a PV guest's memory map: what XENMEM_memory_map returned
// (e820, rc), or, when Xen keeps none for the domain (-ENOSYS, as for a
// PV dom0, whose builder sets no map), the one RAM range of nr_pages
// frames from 0 that the start info describes, as Linux assumes then
// (arch/x86/xen/setup.c: xen_memory_setup). src says which.
func pvMemoryMap(nrPages uint64, e820 []startinfo.MemmapEntry, rc int) (m []startinfo.MemmapEntry, src string, err error) {
	switch {
	case rc == -int(hypercall.ENOSYS):
		return []startinfo.MemmapEntry{{Addr: 0, Size: nrPages * 4096, Type: startinfo.XEN_HVM_MEMMAP_TYPE_RAM}},
			"start_info's nr_pages (XENMEM_memory_map: ENOSYS, Xen keeps no map for this domain)", nil
	case rc != 0:
		return nil, "", fmt.Errorf("XENMEM_memory_map: %v", hypercall.Result(rc))
	}
	return e820, "from XENMEM_memory_map", nil
}

// pvFramesCovered says what is wrong, or "", with a PV memory map whose
// RAM must hold every pseudo-physical frame the domain has: 0 up to
// nr_pages.
func pvFramesCovered(nrPages uint64, m []startinfo.MemmapEntry) string {
	s := append([]startinfo.MemmapEntry(nil), m...)
	sort.Slice(s, func(i, j int) bool { return s[i].Addr < s[j].Addr })
	if gap, ok := uncovered(s, 0, nrPages*4096); !ok {
		return fmt.Sprintf("the %d frames of nr_pages are not all RAM: %#x is not", nrPages, gap)
	}
	return ""
}

// pvStartInfoProblems checks a PV start_info's fields beyond the magic
// (which startinfo.PV.Decode checked): pages, a page-aligned shared info
// machine address, the initial page tables and P2M list, and for a domU
// the xenstore and console rings with their event channels (a dom0 has
// neither), for dom0 the privilege flags.
//
// xen/include/public/xen.h: struct start_info
func pvStartInfoProblems(p *startinfo.PV, dom0 bool) []string {
	var out []string
	add := func(bad bool, s string) {
		if bad {
			out = append(out, s)
		}
	}
	add(p.NrPages == 0, "nr_pages is 0")
	add(p.SharedInfo == 0 || p.SharedInfo&0xfff != 0, fmt.Sprintf("shared_info %#x is not a page's machine address", p.SharedInfo))
	add(p.PTBase == 0 || p.NrPTFrames == 0, fmt.Sprintf("pt_base %#x with %d frames: no initial page tables", p.PTBase, p.NrPTFrames))
	add(p.MFNList == 0, "mfn_list is 0: no P2M list")
	if dom0 {
		add(p.Flags&startinfo.SIF_PRIVILEGED == 0, "dom0 is not SIF_PRIVILEGED")
		return out
	}
	add(p.StoreMFN == 0 || p.StoreEvtchn == 0, fmt.Sprintf("xenstore ring mfn %#x, port %d: a domU's store is missing", p.StoreMFN, p.StoreEvtchn))
	add(p.ConsoleMFN == 0 || p.ConsoleEvtchn == 0, fmt.Sprintf("console ring mfn %#x, port %d: a domU's console is missing", p.ConsoleMFN, p.ConsoleEvtchn))
	return out
}
