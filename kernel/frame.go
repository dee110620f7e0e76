package kernel

// The register frames the entries in trap_amd64.s save, lowest address
// first. Every entry saves the same registers; exceptions add their
// vector and error code. The tail is what IRETQ pops.

type gpRegs struct {
	r15, r14, r13, r12, r11, r10, r9, r8 uint64
	rbp, rdi, rsi, rdx, rcx, rbx, rax    uint64
}

type iretFrame struct {
	rip, cs, rflags, rsp, ss uint64
}

// frame is a thread's saved user context at the top of its kernel stack
// (system calls and interrupts).
type frame struct {
	fx [512]byte // FXSAVE64 area: x87, MXCSR, XMM0-15
	fs uint64    // FS base of the interrupted code
	// slot is PV's: the program's word at fs-8 (its g), with bit 0 set,
	// while the kernel's g stands in for it there (pvtrap_amd64.s:
	// pvEnterFS); 0 when it does not.
	slot uint64
	gpRegs
	iretFrame
}

// trapFrame is an exception's saved context, on the vector's IST stack.
type trapFrame struct {
	fx       [512]byte
	fs, slot uint64 // as in frame
	gpRegs
	vector, errcode uint64
	iretFrame
}
