package kernel

import (
	"github.com/goxen/goxen/gnttab"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pv"
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/sharedinfo"
	"github.com/goxen/goxen/startinfo"
)

// What the kernel found at boot, for programs that look at the platform
// itself (the smoke test, diagnostics). Each is read-only after boot and
// safe to call from any goroutine unless it says otherwise.

// StartInfo returns a copy of the decoded PVH start info (memory map
// included; for a dom0 the map came from XENMEM_memory_map).
func StartInfo() startinfo.PVH { return *si }

// Xen returns what CPUID said about the hypervisor: version, leaves,
// hypercall MSR, TSC mode.
func Xen() hypercall.Xen { return pvh.Xen() }

// SharedInfo returns Xen's shared info page (event bitmaps, pvclock,
// wallclock), or nil before it is mapped.
func SharedInfo() *sharedinfo.SharedInfo { return shared }

// Image returns the loaded kernel image's bounds, page-rounded.
func Image() (start, end uintptr) { return imageStart, imageEnd }

// GrantTable returns the domain's grant table, mapped at boot, and false
// if Xen gave none. The kernel grants nothing itself yet; a program that
// uses the table must serialise its calls (gnttab.Table is not safe for
// concurrent use).
func GrantTable() (*gnttab.Table, bool) { return &grants, haveGrant }

// HaveXenstore reports whether the kernel connected to xenstore (a domU
// does; a PVH dom0 has none). Programs reach it through /dev/xen/xenbus.
func HaveXenstore() bool { return haveStore }

// FreeMemory returns how many bytes of RAM the frame allocator has free
// now and how many it managed in all. A snapshot: the program's own page
// faults change it at any moment.
func FreeMemory() (free, total uint64) {
	return frames.FreeCount() * 4096, frames.TotalCount() * 4096
}

// PV reports whether the kernel booted as a classic PV guest (type =
// "pv") rather than PVH.
func PV() bool { return pvMode }

// GrantFrame returns the frame number a grant entry or GNTTABOP_copy
// names for the image page at va (a global's address is its
// pseudo-physical address in both modes): the page's own under PVH, its
// machine frame under PV. ok is false for an address that is no RAM frame
// of the guest.
func GrantFrame(va uintptr) (frame uint64, ok bool) { return grantFrame(va) }

// PVStartInfo returns a copy of the decoded start_info Xen passed a
// classic PV guest, and false under PVH (which has none; StartInfo is
// its start info). The P2M list and the rings it names are machine
// frames; ConsoleRing and GrantFrame translate.
func PVStartInfo() (startinfo.PV, bool) {
	if !pvMode {
		return startinfo.PV{}, false
	}
	return pv.StartInfo, true
}

// ConsoleRing returns the pseudo-physical frame of the console ring the
// kernel writes to and its event channel, and false when the console is
// not a ring (a dom0 writes with console_io). Under PVH the frame came
// from HVM_PARAM_CONSOLE_PFN, under PV from start_info's machine frame;
// the ring's address is the frame's (pfn << 12) in both.
func ConsoleRing() (pfn uint64, port uint32, ok bool) { return pvh.ConsoleRing() }
