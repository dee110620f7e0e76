package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/kernel/mm"
	"github.com/goxen/goxen/pvh"
)

// Program memory, reached one way only, as Linux's uaccess does
// (arch/x86/include/asm/uaccess.h, copy_from_user/copy_to_user): a system
// call never dereferences a pointer the program handed it. copyIn and
// copyOut check the range against the program's address space
// (userRange) and copy with ucopy (uaccess_amd64.s), whose one REP MOVSB
// may fault: demand paging maps a fresh page as for the program itself,
// and a fault it cannot resolve (no mapping, PROT_NONE, a write to
// read-only memory) resumes after the copy (userCopyFault, called by
// trap) with the bytes left uncopied, which the caller turns into EFAULT.
//
// The copies run in system calls, on the thread's kernel stack. Code on a
// fault's IST stack (signal delivery) must not fault again, so it checks
// and faults its pages in first (userWritable, signal.go).

// ucopy copies n bytes from src to dst and returns how many it did not
// copy because memory faulted (uaccess_amd64.s).
//
//go:noescape
func ucopy(dst, src unsafe.Pointer, n uintptr) (left uintptr)

// ucopyRepAddr is the address of ucopy's REP MOVSB.
func ucopyRepAddr() uintptr

// maxRW is Linux's MAX_RW_COUNT (INT_MAX rounded down to a page,
// include/linux/fs.h): one read, write or getrandom moves no more.
const maxRW = 0x7ffff000

// accessOK is Linux's access_ok: [addr, addr+n) neither wraps nor reaches
// past the program's range, userHi, the guest's TASK_SIZE (the kernel's
// stacks lie above it, as Linux's kernel lies above its TASK_SIZE). It is
// the cheap test some calls make before anything else (vfs_read,
// vfs_write, import_ubuf, get_futex_key), which decides their error when
// a bad pointer comes with a bad size, or is never read; whether the
// memory is the program's is the copy's question.
func accessOK(addr, n uintptr) bool {
	end := addr + n
	return end >= addr && end <= uintptr(userHi)
}

// userRange reports whether [addr, addr+n) may hold program memory: the
// program's mappings' range, its image (the Go program and this kernel
// are one ELF image, so its globals are the program's) but for the
// kernel's stacks and page tables there (kernelOnly), or pages of
// /dev/xen/gntalloc it mapped (their identity-map address). The kernel's
// stacks above userHi, the RAM of the identity map outside the image
// (page tables, free frames) and non-canonical addresses are not.
// Holes and PROT_NONE inside the range are the copy's faults. An empty
// range touches nothing and is always fine.
func userRange(addr, n uintptr) bool {
	if n == 0 {
		return true
	}
	end := addr + n
	switch {
	case end < addr:
		return false
	case addr >= uintptr(userLo) && end <= uintptr(userHi):
		return true
	case addr >= imageStart && end <= imageEnd:
		for _, r := range kernelOnly() {
			if addr < r.End && end > r.Start {
				return false
			}
		}
		return true
	}
	return gntallocHolds(addr, end)
}

// kernelOnly are the kernel's memory inside the image: the page tables
// and stack pvh's entry set up (CR3 points at those tables) and the IST
// stacks faults and upcalls run on. A copy into them would corrupt the
// kernel under its own feet.
func kernelOnly() [6]pvh.Region {
	e := pvh.EarlyRegions()
	return [...]pvh.Region{e[0], e[1], regionOf(ist1[:]), regionOf(ist2[:]), regionOf(ist3[:]), regionOf(ist4[:])}
}

// regionOf is the memory of b.
func regionOf(b []byte) pvh.Region {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pvh.Region{Start: p, End: p + uintptr(len(b))}
}

// copyInSome copies program memory at src into dst as far as it can and
// returns the bytes copied: len(dst), or fewer if the range is not the
// program's (0) or faults part way.
func copyInSome(dst []byte, src uintptr) int {
	n := uintptr(len(dst))
	if n == 0 || !userRange(src, n) {
		return 0
	}
	return int(n - ucopy(unsafe.Pointer(unsafe.SliceData(dst)), at(src), n))
}

// copyOutSome copies src to program memory at dst as far as it can and
// returns the bytes copied.
func copyOutSome(dst uintptr, src []byte) int {
	n := uintptr(len(src))
	if n == 0 || !userRange(dst, n) {
		return 0
	}
	return int(n - ucopy(at(dst), unsafe.Pointer(unsafe.SliceData(src)), n))
}

// copyIn copies len(dst) bytes of program memory at src into dst: 0, or
// eFAULT if any of it is not there to read.
func copyIn(dst []byte, src uintptr) int64 {
	if copyInSome(dst, src) != len(dst) {
		return eFAULT
	}
	return 0
}

// copyOut copies src to program memory at dst: 0, or eFAULT if any of it
// is not there to write.
func copyOut(dst uintptr, src []byte) int64 {
	if copyOutSome(dst, src) != len(src) {
		return eFAULT
	}
	return 0
}

// readUser reads a T (an integer, or a struct or array of them) from
// program memory at addr. (The value is copied as raw memory, not
// through a slice of it: unsafe.Slice would bring a length check, and a
// panic call, into every instance.)
func readUser[T any](addr uintptr) (v T, errno int64) {
	n := unsafe.Sizeof(v)
	if !userRange(addr, n) || ucopy(unsafe.Pointer(&v), at(addr), n) != 0 {
		return v, eFAULT
	}
	return v, 0
}

// writeUser writes v to program memory at addr.
func writeUser[T any](addr uintptr, v T) int64 {
	n := unsafe.Sizeof(v)
	if !userRange(addr, n) || ucopy(at(addr), unsafe.Pointer(&v), n) != 0 {
		return eFAULT
	}
	return 0
}

// u32Bytes is the memory of p, for copyOut.
func u32Bytes(p []uint32) []byte {
	// kernel:nopanic a slice's length times 4 is a length: no overflow, not negative
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(p))), len(p)*4)
}

// userProbe makes sure [addr, addr+n) is program memory the kernel can
// read (and write, if write) now, faulting its pages in; 0 or eFAULT. A
// call that must not lose data once it has taken it (a device's queue)
// probes the buffer before it takes anything. Writing is probed by
// copying a byte onto itself, which changes nothing.
func userProbe(addr, n uintptr, write bool) int64 {
	if !userRange(addr, n) {
		return eFAULT
	}
	var b [1]byte
	for p := addr; p-addr < n; p = (p | (mm.PageSize - 1)) + 1 {
		dst := unsafe.Pointer(&b[0])
		if write {
			dst = at(p)
		}
		if ucopy(dst, at(p), 1) != 0 {
			return eFAULT
		}
	}
	return 0
}

// userCopyFault resumes a fault in ucopy's REP MOVSB that demand paging
// could not resolve: at the RET after it, RCX holding the bytes left, so
// the copy returns short and its caller answers EFAULT. Any other fault
// (the program's, or elsewhere in the kernel) is not the copy's.
func userCopyFault(f *trapFrame) bool {
	if !kernelContext(f) || f.rip != uint64(ucopyRepAddr()) {
		return false
	}
	switch f.vector {
	case 14, 13: // #PF; #GP (a non-canonical address, though userRange refuses those)
		f.rip += 2 // REP MOVSB is F3 A4
		counts.copyFaults++
		return true
	}
	return false
}
