package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pvh"
)

// Descriptor tables. The entry code left a temporary GDT in bootTables;
// these are the kernel's own, with a TSS whose interrupt stack table (IST)
// gives faults a known-good stack: everything runs at ring 0, so without
// IST a fault would push its frame onto whatever stack was in use, maybe
// a goroutine stack with a few hundred bytes left.

const (
	selCode = 0x08
	selData = 0x10
	selTSS  = 0x18
)

var (
	gdt  [5]uint64
	tss  [26]uint32 // the 104-byte 64-bit TSS
	idt  [256][2]uint64
	dtr  [2]uint64   // scratch pseudo-descriptor for LGDT/LIDT
	ist1 [16384]byte // page faults (demand paging)
	ist2 [8192]byte  // double fault, NMI, machine check
	ist3 [8192]byte  // every other exception
)

// vectorTable returns the addresses of the 32 exception stubs (trap_amd64.s).
func vectorTable() *[32]uintptr

func stackTop(s []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(&s[len(s)-16]))+16) &^ 15
}

func setTSS64(off int, v uint64) { // the TSS's 64-bit fields are only 4-byte aligned
	tss[off/4] = uint32(v)
	tss[off/4+1] = uint32(v >> 32)
}

func initTraps() {
	gdt[1] = 0x00AF9A000000FFFF     // 64-bit code, as in the entry GDT
	gdt[2] = 0x00CF92000000FFFF     // data
	setTSS64(36, stackTop(ist1[:])) // IST1
	setTSS64(44, stackTop(ist2[:])) // IST2
	setTSS64(52, stackTop(ist3[:])) // IST3
	tss[25] = 104 << 16             // no I/O permission bitmap
	base := uint64(uintptr(unsafe.Pointer(&tss)))
	gdt[3] = 103 | (base&0xFFFFFF)<<16 | 0x89<<40 | (base>>24&0xFF)<<56
	gdt[4] = base >> 32
	dtr[0] = uint64(len(gdt)*8-1) | uint64(uintptr(unsafe.Pointer(&gdt)))<<16
	dtr[1] = uint64(uintptr(unsafe.Pointer(&gdt))) >> 48
	lgdt(uintptr(unsafe.Pointer(&dtr)))
	ltr(selTSS)

	vectors := vectorTable()
	for v := range vectors {
		ist := uint64(3)
		switch v {
		case 14:
			ist = 1
		case 2, 8, 18:
			ist = 2
		}
		setGate(v, vectors[v], ist)
	}
	dtr[0] = uint64(len(idt)*16-1) | uint64(uintptr(unsafe.Pointer(&idt)))<<16
	dtr[1] = uint64(uintptr(unsafe.Pointer(&idt))) >> 48
	lidt(uintptr(unsafe.Pointer(&dtr)))
}

// setGate points IDT vector v at handler h, as a 64-bit interrupt gate
// (type 0xE: IF is cleared on entry) running on IST stack ist.
func setGate(v int, h uintptr, ist uint64) {
	a := uint64(h)
	idt[v][0] = a&0xFFFF | selCode<<16 | ist<<32 | 0x8E<<40 | (a>>16&0xFFFF)<<48
	idt[v][1] = a >> 32
}

// kernelFS is the FS base while kernel code runs (the kernel's TLS). A
// fault whose saved FS is anything else interrupted the Go program.
var kernelFS uint64

// keepEarlyTLS makes the TLS block package pvh's Entry loaded, whose g
// has a zero stack guard, the kernel's own for the life of the guest:
// every kernel entry (trap_amd64.s) loads kernelFS.
func keepEarlyTLS() {
	kernelFS = pvh.EarlyFS()
	curFS = kernelFS
}

// trap is called by trapCommon for every exception. A page fault inside a
// mapping is demand paging: map a zero page and retry. A fault in the
// kernel's copy of program memory makes the copy return short
// (userCopyFault). A fault the program caused becomes a signal, which
// the Go runtime turns into a panic. A fault in the kernel itself
// crashes the domain.
func trap(f *trapFrame) {
	if f.vector == upcallVector { // only irqEntry's redelivered path
		upcallRedelivered(f)
	}
	var cr2 uint64
	if f.vector == 14 {
		cr2 = faultAddr()
		if errno := pageFault(uintptr(cr2), f.errcode&2 != 0); errno == 0 {
			counts.faults++
			return
		}
	}
	if userCopyFault(f) {
		return // a bad pointer from the program: its system call fails EFAULT
	}
	if f.fs != kernelFS {
		sig, code, addr := faultSignal(f.vector, f.errcode, cr2)
		if sig != 0 && signalFault(f, sig, code, addr) {
			return
		}
	}
	fatalTrap(f, cr2)
}

// faultSignal maps an exception to the signal Linux would send.
func faultSignal(vector, errcode, cr2 uint64) (sig, code int, addr uint64) {
	switch vector {
	case 14:
		code = 1 // SEGV_MAPERR
		if errcode&1 != 0 {
			code = 2 // SEGV_ACCERR
		}
		return sigSEGV, code, cr2
	case 13, 12, 11:
		return sigSEGV, 0x80, 0 // SI_KERNEL
	case 6:
		return 4, 2, 0 // SIGILL, ILL_ILLOPN
	case 0, 16, 19:
		return 8, 1, 0 // SIGFPE
	case 3, 1:
		return 5, 1, 0 // SIGTRAP
	case 17:
		return 7, 1, 0 // SIGBUS
	}
	return 0, 0, 0
}

// fatalTrap prints the CPU state and crashes the domain.
func fatalTrap(f *trapFrame, cr2 uint64) {
	l := klog().s("CPU exception ").dec(int64(f.vector)).s(" (").s(pvh.ExceptionNames[f.vector&31]).s(") at rip=").hex(f.rip)
	if f.vector == 14 {
		l.s(" address=").hex(cr2)
		if f.errcode&2 != 0 {
			l.s(" write")
		} else {
			l.s(" read")
		}
		if f.errcode&1 == 0 {
			l.s(" not-present")
		} else {
			l.s(" protection")
		}
	}
	l.s(" error=").hex(f.errcode).s(" thread=").dec(int64(currentTID()))
	l.printAll()
	printRegs(f, cr2)
	shutdown(hypercall.SHUTDOWN_crash)
}

// printRegs prints a frame's registers, four to a line.
func printRegs(f *trapFrame, cr2 uint64) {
	regs := [...]struct {
		n string
		v uint64
	}{
		{"rax", f.rax}, {"rbx", f.rbx}, {"rcx", f.rcx}, {"rdx", f.rdx},
		{"rsi", f.rsi}, {"rdi", f.rdi}, {"rbp", f.rbp}, {"rsp", f.rsp},
		{"r8", f.r8}, {"r9", f.r9}, {"r10", f.r10}, {"r11", f.r11},
		{"r12", f.r12}, {"r13", f.r13}, {"r14", f.r14}, {"r15", f.r15},
		{"rip", f.rip}, {"rflags", f.rflags}, {"cs", f.cs}, {"ss", f.ss},
		{"fs.base", f.fs}, {"cr2", cr2}, {"cr3", pageTableRoot()},
	}
	for i := 0; i < len(regs); i += 4 {
		l := klog().s("  ")
		for j := i; j < i+4 && j < len(regs); j++ {
			l.s(regs[j].n).s("=").hex(regs[j].v).s(" ")
		}
		l.printAll()
	}
}

// fatal prints one message (prefix + detail) and crashes the domain.
func fatal(prefix string, detail []byte) {
	klog().s("fatal: ").s(prefix).bytes(detail).fatal()
}

// fatal prints the line on every sink and crashes the domain.
func (l *line) fatal() {
	l.printAll()
	shutdown(hypercall.SHUTDOWN_crash)
}

// shutdown flushes the console and asks Xen to end the domain (pvh's
// fatal path).
func shutdown(reason uint32) { pvh.Shutdown(reason) }
