package kernel

// The system call table, in the manner of gVisor's linux64.go: every
// Linux x86-64 system call the kernel answers, with how completely. It is
// the one source of that list: dispatch (syscall.go) has a case for
// exactly these numbers (a host test checks it), the README's table is
// made from it (a host test keeps them equal), and a call the kernel does
// not know is named from it when it can be.

type support uint8

const (
	supported support = iota // as Linux does it, for what a Go program asks
	partial                  // the common cases; the note says what is missing
	stub                     // answers without doing the work; the note says what
)

var supportNames = [...]string{supported: "supported", partial: "partial", stub: "stub"}

type sysInfo struct {
	nr      uint16
	name    string
	support support
	note    string
}

var syscallTable = [...]sysInfo{
	{sysRead, "read", partial, "fd 0 (console input; EIO once the input ring is hostile), eventfds, /dev/xen/xenbus, /dev/xen/evtchn (fired ports)"},
	{sysWrite, "write", partial, "fds 1 and 2 (the console), eventfds, /dev/xen/xenbus, /dev/xen/evtchn (unmask: a port is masked when it fires until written back, as on Linux)"},
	{sysClose, "close", supported, "also ends the epoll watches on the descriptor"},
	{sysMmap, "mmap", partial, "anonymous mappings, demand-zero; /dev/xen/gntalloc pages, MAP_SHARED (their identity-map address, so not MAP_FIXED)"},
	{sysMprotect, "mprotect", supported, "read-only is enforced at ring 0 (CR0.WP)"},
	{sysMunmap, "munmap", supported, "EINVAL outside the program's range (the kernel's memory); on /dev/xen/gntalloc pages drops a mapping: a page given up is released at its last munmap"},
	{sysIoctl, "ioctl", partial, "Linux's /dev/xen/evtchn (bind, unbind, notify) and /dev/xen/gntalloc (alloc, dealloc, unmap notify) requests; ENOTTY for the rest"},
	{sysRtSigaction, "rt_sigaction", supported, ""},
	{sysRtSigprocmask, "rt_sigprocmask", supported, "per thread"},
	{sysRtSigreturn, "rt_sigreturn", supported, "a bad frame or MXCSR gives SIGSEGV"},
	{sysSchedYield, "sched_yield", supported, ""},
	{sysMadvise, "madvise", partial, "DONTNEED, FREE, REMOVE drop pages; other advice is accepted and ignored"},
	{sysNanosleep, "nanosleep", supported, "EINTR when a signal arrives; rem is not written"},
	{sysGetpid, "getpid", stub, "always 1: there is one process"},
	{sysKill, "kill", partial, "pid 1 (0 and -1 name it too): to one thread that does not block the signal"},
	{sysClone, "clone", partial, "threads only (CLONE_THREAD and friends); EPERM for a TLS past the program's range"},
	{sysExit, "exit", supported, "ends the thread"},
	{sysFcntl, "fcntl", stub, "F_GETFD, F_GETFL answer; F_SETFD, F_SETFL are accepted with no effect"},
	{sysSigaltstack, "sigaltstack", supported, "EPERM on the stack, EINVAL for an unknown mode, ENOMEM under MINSIGSTKSZ"},
	{sysPrctl, "prctl", stub, "always EINVAL (Go then stops naming its mappings)"},
	{sysArchPrctl, "arch_prctl", partial, "ARCH_SET_FS only; EPERM past the program's range, as Linux past TASK_SIZE"},
	{sysGettid, "gettid", supported, ""},
	{sysTkill, "tkill", supported, "a blocked thread is woken with EINTR"},
	{sysFutex, "futex", partial, "FUTEX_WAIT and FUTEX_WAKE (private or not)"},
	{sysSchedGetaffinity, "sched_getaffinity", stub, "one CPU; the size is an unsigned int, checked as Linux checks it"},
	{sysClockGettime, "clock_gettime", supported, "MONOTONIC and friends from pvclock; REALTIME adds Xen's wallclock"},
	{sysExitGroup, "exit_group", supported, "0 powers the domain off (or does what the toolstack asked); other statuses crash it"},
	{sysEpollCtl, "epoll_ctl", partial, "one eventfd per epoll instance: what the runtime's netpoller uses"},
	{sysTgkill, "tgkill", supported, "a blocked thread is woken with EINTR"},
	{sysOpenat, "openat", partial, "/dev/xen/xenbus, /dev/xen/evtchn, /dev/xen/gntalloc; everything else ENOENT"},
	{sysEpollPwait, "epoll_pwait", partial, "see epoll_ctl"},
	{sysEventfd2, "eventfd2", supported, "the counter waits instead of wrapping; a write is exactly 8 bytes (Linux 6.6 on)"},
	{sysEpollCreate1, "epoll_create1", supported, ""},
	{sysPrlimit64, "prlimit64", stub, "reports fixed limits, ignores new ones"},
	{sysGetrandom, "getrandom", partial, "RDRAND when the CPU has it; otherwise a TSC-seeded generator, not fit for cryptography (said at boot). At most MAX_RW_COUNT bytes; a fault part way returns the bytes written"},
}

// sysLookup finds a system call in the table.
func sysLookup(nr uint64) (*sysInfo, bool) {
	for i := range syscallTable {
		if uint64(syscallTable[i].nr) == nr {
			return &syscallTable[i], true
		}
	}
	return nil, false
}

// linuxNames names calls the kernel does not answer that a Go program
// may still make, for the console line that reports them.
var linuxNames = [...]struct {
	nr   uint16
	name string
}{
	{4, "stat"}, {5, "fstat"}, {6, "lstat"}, {7, "poll"}, {8, "lseek"},
	{17, "pread64"}, {18, "pwrite64"}, {19, "readv"}, {20, "writev"}, {21, "access"},
	{22, "pipe"}, {sysMincore, "mincore"}, {32, "dup"}, {33, "dup2"}, {41, "socket"},
	{42, "connect"}, {57, "fork"}, {59, "execve"}, {61, "wait4"}, {sysUname, "uname"},
	{79, "getcwd"}, {80, "chdir"}, {89, "readlink"}, {96, "gettimeofday"},
	{102, "getuid"}, {104, "getgid"}, {107, "geteuid"}, {108, "getegid"}, {110, "getppid"},
	{sysClockNanosleep, "clock_nanosleep"}, {217, "getdents64"}, {262, "newfstatat"},
	{280, "utimensat"}, {293, "pipe2"}, {332, "statx"},
}

// sysName is a call's name, or "" if the kernel does not know it.
func sysName(nr uint64) string {
	if s, ok := sysLookup(nr); ok {
		return s.name
	}
	for _, n := range linuxNames {
		if uint64(n.nr) == nr {
			return n.name
		}
	}
	return ""
}
