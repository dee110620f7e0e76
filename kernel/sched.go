package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/hypercall"
)

// Threads. The Go runtime creates threads with clone and parks them with
// futex, nanosleep and epoll_pwait. Each thread has a kernel stack whose
// top holds its saved user registers (a frame) while it is inside the
// kernel. A thread gives up the CPU inside a system call or at a timer
// interrupt (preemption, events.go), by switching kernel stacks (swtch).
// There is one vCPU.

const (
	maxThreads = 64
	kstackSize = 32 << 10 // must match KSTACK_SIZE (trap_amd64.s)
	frameSize  = 688      // must match forkReturn (trap_amd64.s)
)

// These fail to compile unless kstackSize is KSTACK_SIZE and ist4 is
// IST4_SIZE bytes long.
const (
	_ = uint(kstackSize - 0x8000)
	_ = uint(0x8000 - kstackSize)
	_ = uint(len(ist4) - 16384)
	_ = uint(16384 - len(ist4))
)

type threadState uint8

const (
	tFree threadState = iota
	tRunnable
	tBlocked
	tDead
)

// wakeReason says why block returned.
type wakeReason uint8

const (
	woken       wakeReason = iota // by wake: what the thread waited for happened
	wokeTimeout                   // its deadline passed
	wokeSignal                    // a signal for it arrived: the call fails EINTR
)

type thread struct {
	state     threadState
	why       wakeReason // why the last block ended
	tid       int32
	kstackTop uintptr // top of the kernel stack; its frame sits just below
	ksp       uintptr // saved kernel SP while switched out
	waitAddr  uintptr // futex word, or waitEpoll/waitConsole
	deadline  int64   // nanotime to give up waiting; 0 = never
	userFS    uint64  // the FS base the program set (arch_prctl, clone)
}

var (
	threads   [maxThreads]thread
	cur       int     // index of the running thread
	kstackTop uintptr // read by syscallEntry: the running thread's kernel stack
	userSP    uintptr // scratch for syscallEntry
	nextTID   int32   = 1
)

// idlePorts are the event channels an idle vCPU waits on (SCHEDOP_poll):
// the console's and xenstore's, as initConsole and initXenstore add them.
var (
	idlePorts [2]uint32
	idleNPort int
)

// addIdlePort adds an event channel that wakes an idle vCPU.
func addIdlePort(port uint32) {
	// kernel:nopanic called once per kernel port at boot, fewer than len(idlePorts)
	idlePorts[idleNPort] = port
	idleNPort++
}

// kernel:nopanic cur < maxThreads: it is only ever set to a thread table index
func currentTID() int32 { return threads[cur].tid }

func frameOf(t *thread) *frame {
	return (*frame)(at(t.kstackTop - frameSize))
}

// initThreads makes the boot context thread 1, the Go program's main thread.
func initThreads() {
	if unsafe.Sizeof(frame{}) != frameSize {
		fatal("frame layout does not match the assembly", nil)
	}
	t := &threads[0]
	t.state = tRunnable
	t.tid = nextTID
	nextTID++
	t.kstackTop = kmap(kstackSize) + kstackSize
	cur = 0
	kstackTop = t.kstackTop
	setKernelStack(kstackTop)
}

// clone creates a thread that returns from this same system call with
// RAX=0, the given stack and TLS, and every other register as the parent's.
func clone(parent *frame, flags, stack, tls uint64) int64 {
	const want = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS
	if flags&^want != 0 || flags&0x10000 == 0 {
		klog().s("clone: unsupported flags ").hex(flags).print()
		return -eINVAL
	}
	if flags&0x80000 != 0 && tls >= uint64(userHi) {
		return -ePERM // Linux's ARCH_SET_FS check: the child's FS load would fault
	}
	n := -1
	for i := range threads {
		if threads[i].state == tFree || threads[i].state == tDead {
			n = i
			break
		}
	}
	if n < 0 {
		klog().s("clone: thread table full (").dec(maxThreads).s(" threads)").print()
		return -eAGAIN
	}
	// kernel:nopanic n >= 0 (checked above), an index from a loop over threads
	t := &threads[n]
	if t.kstackTop == 0 {
		t.kstackTop = kmap(kstackSize) + kstackSize
	}
	child := frameOf(t)
	*child = *parent
	child.rax = 0
	child.slot = 0 // its TLS is not the parent's: nothing of it was set aside
	if stack != 0 {
		child.rsp = stack
	}
	if flags&0x80000 != 0 {
		child.fs = tls
	}
	t.userFS = child.fs
	// kernel:nopanic n and cur are thread table indices
	sigs[n] = sigState{mask: sigs[cur].mask} // Linux: the mask is inherited, the alternate stack is not
	// A switched-out context is [saved BP][return address] (see swtch).
	sp := t.kstackTop - frameSize - 16
	*(*uintptr)(at(sp)) = 0
	*(*uintptr)(at(sp + 8)) = forkReturnAddr()
	if pvMode {
		*(*uintptr)(at(sp + 8)) = pvForkAddr
	}
	t.ksp = sp
	t.tid = nextTID
	nextTID++
	t.deadline = 0
	t.waitAddr = 0
	t.why = woken
	t.state = tRunnable
	return int64(t.tid)
}

// switchTo resumes thread n; returns when the current thread runs again.
func switchTo(n int) {
	if n == cur {
		return
	}
	prev := cur
	cur = n
	// kernel:nopanic n is a thread table index: pickNext's (cur+i) % maxThreads
	kstackTop = threads[n].kstackTop
	setKernelStack(kstackTop)
	// kernel:nopanic n and prev are thread table indices
	swtch(&threads[prev].ksp, threads[n].ksp)
}

// reschedule runs another runnable thread, or the current one again if it
// is the only one; with nothing runnable, the vCPU sleeps in Xen until
// the earliest deadline or an event.
func reschedule() {
	for {
		wakeExpired(nanotime())
		for i := 1; i <= maxThreads; i++ {
			n := (cur + i) % maxThreads
			// kernel:nopanic (cur+i) % maxThreads is a thread table index
			if threads[n].state == tRunnable {
				switchTo(n)
				return
			}
		}
		idle()
	}
}

// block parks the current thread until wake, its deadline, or a signal
// for it (interrupt), and says which came first.
func block(addr uintptr, deadline int64) wakeReason {
	// kernel:nopanic cur < maxThreads: it is only ever set to a thread table index
	t := &threads[cur]
	t.state = tBlocked
	t.waitAddr = addr
	t.deadline = deadline
	t.why = woken
	reschedule()
	return t.why
}

// interruptWait ends the wait of thread n, if it is blocked, with EINTR: a
// signal is waiting for it, delivered on its way back to the program.
func interruptWait(n int) {
	t := &threads[n]
	if t.state == tBlocked {
		t.state = tRunnable
		t.why = wokeSignal
		t.waitAddr = 0
	}
}

// wake makes up to n threads blocked on addr runnable and returns how many.
func wake(addr uintptr, n int) int {
	woken := 0
	for i := range threads {
		if woken >= n {
			break
		}
		t := &threads[i]
		if t.state == tBlocked && t.waitAddr == addr {
			t.state = tRunnable
			t.waitAddr = 0
			woken++
		}
	}
	return woken
}

func wakeExpired(now int64) {
	for i := range threads {
		t := &threads[i]
		if t.state == tBlocked && t.deadline != 0 && now >= t.deadline {
			t.state = tRunnable
			t.why = wokeTimeout
			t.waitAddr = 0
		}
	}
}

// yield lets every other runnable thread run once.
func yield() { reschedule() }

// exitThread ends the current thread for good.
func exitThread() {
	// kernel:nopanic cur < maxThreads: it is only ever set to a thread table index
	threads[cur].state = tDead
	for i := range threads {
		if threads[i].state == tRunnable || threads[i].state == tBlocked {
			reschedule()
			fatal("a dead thread was resumed", nil)
		}
	}
	klog().s("the last thread exited without exit_group").printAll()
	shutdown(hypercall.SHUTDOWN_crash)
}

// earliestDeadline is the soonest deadline of a blocked thread; 0 if none.
func earliestDeadline() int64 {
	var earliest int64
	for i := range threads {
		t := &threads[i]
		if t.state == tBlocked && t.deadline != 0 && (earliest == 0 || t.deadline < earliest) {
			earliest = t.deadline
		}
	}
	return earliest
}

// idle waits in Xen (SCHEDOP_poll) for the earliest deadline, or for an
// event on one of idlePorts or the program's ports (pollPorts). With no ports (dom0 has no console ring) the
// poll is a timed block: Xen accepts nr_ports 0 (sched.h). The vCPU never
// spins: if Xen refuses the poll, the one-shot timer is armed for the
// deadline and the vCPU blocks until an event.
func idle() {
	earliest := earliestDeadline()
	var buf [len(idlePorts) + maxDevPorts]uint32
	ports := pollPorts(&buf)
	if earliest == 0 && len(ports) == 0 {
		klog().s("deadlock: every thread is blocked with no deadline and nothing can wake them").printAll()
		shutdown(hypercall.SHUTDOWN_crash)
	}
	if rc := hypercall.SchedPoll(ports, uint64(earliest)); rc < 0 {
		if !reportedPoll {
			reportedPoll = true
			klog().s("SCHEDOP_poll refused (").dec(int64(rc)).s("): idling with SCHEDOP_block and the timer").print()
		}
		if haveTimer && earliest != 0 {
			hypercall.VcpuSetSingleshotTimer(0, uint64(earliest), 0)
			timerArmed = earliest
		}
		hypercall.SchedBlock()
	}
	handleEvents()
}

var reportedPoll bool
