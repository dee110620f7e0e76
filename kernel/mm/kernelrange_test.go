package mm

import "testing"

// The kernel keeps its own memory (kernel stacks) in a Space of its own at
// the top of the lower half, sharing the page table with the program's
// Space below it. Whatever the program asks, the kernel's pages stay:
// munmap over them is EINVAL, madvise and mprotect ENOMEM, and MAP_FIXED
// ENOMEM, as Linux answers for addresses beyond TASK_SIZE.
func TestKernelRangeOutOfReach(t *testing.T) {
	const kernelLo = UserLimit - 1<<32
	e := newEnv(t, 4<<20, testLo, kernelLo)
	prog := e.sp
	kern := &Space{PT: prog.PT, Lo: kernelLo, Hi: UserLimit}

	// A kernel stack: guard page, then two pages, faulted in at once.
	ks, errno := kern.Mmap(0, 3*PageSize, ProtNone, MAP_PRIVATE|MAP_ANONYMOUS)
	if errno != 0 {
		t.Fatalf("kernel Mmap: %s", ErrnoName(errno))
	}
	if ks < kernelLo {
		t.Fatalf("kernel stack at %#x, below the kernel range %#x", ks, kernelLo)
	}
	stack := ks + PageSize
	if errno := kern.Mprotect(stack, 2*PageSize, ProtRead|ProtWrite); errno != 0 {
		t.Fatal(ErrnoName(errno))
	}
	for p := stack; p < stack+2*PageSize; p += PageSize {
		if errno := kern.Fault(p, true); errno != 0 {
			t.Fatal(ErrnoName(errno))
		}
		e.frame(p)[0] = 0x5ca1ab1e
	}
	// And a program mapping, so the program's calls have something to do.
	a := mustMmap(t, prog, 0, 4*PageSize, ProtRead|ProtWrite, anon)
	e.touch(t, a, true)

	check := func(name string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %s, want %s", name, ErrnoName(got), ErrnoName(want))
		}
	}
	check("munmap of a kernel stack", prog.Munmap(stack, PageSize), EINVAL)
	check("munmap from the program's range into the kernel's", prog.Munmap(kernelLo-PageSize, 2*PageSize), EINVAL)
	check("munmap of everything", prog.Munmap(0, uint64(UserLimit)), EINVAL)
	check("munmap below the program's range", prog.Munmap(0x200000, PageSize), EINVAL)
	check("madvise(DONTNEED) of a kernel stack", prog.Madvise(stack, PageSize, MADV_DONTNEED), ENOMEM)
	check("mprotect of a kernel stack", prog.Mprotect(stack, PageSize, ProtRead), ENOMEM)
	_, errno = prog.Mmap(stack, PageSize, ProtRead|ProtWrite, anon|MAP_FIXED)
	check("MAP_FIXED over a kernel stack", errno, ENOMEM)
	if va, errno := prog.Mmap(stack, PageSize, ProtRead|ProtWrite, anon); errno == 0 && va >= kernelLo {
		t.Errorf("a hint inside the kernel range was honoured: %#x", va)
	}
	if errno := prog.Fault(stack, true); errno != EFAULT {
		t.Errorf("a program fault in the kernel range = %s, want EFAULT", ErrnoName(errno))
	}
	for p := stack; p < stack+2*PageSize; p += PageSize {
		if f := e.frame(p); f == nil || f[0] != 0x5ca1ab1e {
			t.Fatalf("the kernel stack page at %#x was lost", p)
		}
	}
	// The program's own calls still work.
	check("munmap of the program's mapping", prog.Munmap(a, 4*PageSize), 0)
}
