package kernel

import (
	"slices"
	"testing"
)

// Xen's command line: KEY=VALUE words before "--" are the environment,
// everything else (and everything after "--") arguments.
func TestSplitCmdline(t *testing.T) {
	for _, c := range []struct {
		in        string
		args, env []string
	}{
		{"", nil, nil},
		{"one two", []string{"one", "two"}, nil},
		{"GREETING=hi one -- two X=Y", []string{"one", "two", "X=Y"}, []string{"GREETING=hi"}},
		{"  \tA=1\t\tb  ", []string{"b"}, []string{"A=1"}},
		{"-- -- x", []string{"--", "x"}, nil},
		{"=", nil, []string{"="}},
	} {
		var args, env []string
		splitCmdline([]byte(c.in), func(w []byte, isEnv bool) {
			if isEnv {
				env = append(env, string(w))
			} else {
				args = append(args, string(w))
			}
		})
		if !slices.Equal(args, c.args) || !slices.Equal(env, c.env) {
			t.Errorf("splitCmdline(%q): args %q env %q; want %q %q", c.in, args, env, c.args, c.env)
		}
	}
}

// A CPU exception in the program becomes the signal Linux would send.
func TestFaultSignal(t *testing.T) {
	for _, c := range []struct {
		vector, errcode, cr2 uint64
		sig, code            int
		addr                 uint64
	}{
		{14, 0x6, 0x1000, sigSEGV, 1, 0x1000}, // write to a page not present: SEGV_MAPERR
		{14, 0x7, 0x2000, sigSEGV, 2, 0x2000}, // write to a present read-only page: SEGV_ACCERR
		{13, 0, 0, sigSEGV, 0x80, 0},          // #GP: SI_KERNEL
		{6, 0, 0, 4, 2, 0},                    // #UD: SIGILL
		{0, 0, 0, 8, 1, 0},                    // #DE: SIGFPE
		{3, 0, 0, 5, 1, 0},                    // #BP: SIGTRAP
		{17, 0, 0, 7, 1, 0},                   // #AC: SIGBUS
		{8, 0, 0, 0, 0, 0},                    // #DF: no signal, the kernel crashes
	} {
		sig, code, addr := faultSignal(c.vector, c.errcode, c.cr2)
		if sig != c.sig || code != c.code || addr != c.addr {
			t.Errorf("faultSignal(%d, %#x, %#x) = %d, %d, %#x; want %d, %d, %#x", c.vector, c.errcode, c.cr2, sig, code, addr, c.sig, c.code, c.addr)
		}
	}
}

// The wait queues: wake takes up to n threads blocked on an address,
// wakeExpired those whose deadline passed, earliestDeadline finds the
// soonest, and a signal interrupts a wait.
func TestWaitQueues(t *testing.T) {
	saved := threads
	t.Cleanup(func() { threads = saved })
	threads = [maxThreads]thread{}
	blockAt := func(i int, addr uintptr, deadline int64) {
		threads[i] = thread{state: tBlocked, tid: int32(i + 1), waitAddr: addr, deadline: deadline}
	}
	blockAt(1, 0x1000, 0)
	blockAt(2, 0x1000, 500)
	blockAt(3, 0x2000, 300)
	blockAt(4, 0x1000, 0)
	threads[5] = thread{state: tRunnable, tid: 6}

	if got := earliestDeadline(); got != 300 {
		t.Errorf("earliestDeadline = %d, want 300", got)
	}
	if n := wake(0x1000, 2); n != 2 || threads[1].state != tRunnable || threads[2].state != tRunnable || threads[4].state != tBlocked {
		t.Errorf("wake(0x1000, 2) = %d; states %d %d %d", n, threads[1].state, threads[2].state, threads[4].state)
	}
	if threads[1].why != woken || threads[1].waitAddr != 0 {
		t.Errorf("a woken thread: why %d, waitAddr %#x", threads[1].why, threads[1].waitAddr)
	}
	wakeExpired(299)
	if threads[3].state != tBlocked {
		t.Error("woken before its deadline")
	}
	wakeExpired(300)
	if threads[3].state != tRunnable || threads[3].why != wokeTimeout {
		t.Errorf("at its deadline: state %d, why %d", threads[3].state, threads[3].why)
	}
	if got := earliestDeadline(); got != 0 {
		t.Errorf("earliestDeadline with none left = %d, want 0", got)
	}
	interruptWait(4)
	if threads[4].state != tRunnable || threads[4].why != wokeSignal {
		t.Errorf("interrupted: state %d, why %d", threads[4].state, threads[4].why)
	}
	interruptWait(5) // a runnable thread is left alone
	if threads[5].why != woken {
		t.Error("interruptWait changed a thread that was not waiting")
	}
}

// A process-directed signal goes to a thread that does not block it, and
// wakes it if blocked (unless it would be discarded).
func TestSendProcessSignal(t *testing.T) {
	savedT, savedS, savedA := threads, sigs, sigactions
	t.Cleanup(func() { threads, sigs, sigactions = savedT, savedS, savedA })
	threads = [maxThreads]thread{}
	sigs = [maxThreads]sigState{}
	threads[0] = thread{state: tBlocked, tid: 1, waitAddr: 0x10}
	threads[1] = thread{state: tBlocked, tid: 2, waitAddr: 0x20}
	sigs[0].mask = sigbit(15)
	sigactions[15][0] = 0x401000 // a handler

	sendProcessSignal(15)
	if sigs[1].pending&sigbit(15) == 0 || threads[1].why != wokeSignal || threads[1].state != tRunnable {
		t.Errorf("SIGTERM not posted to the thread that does not block it: pending %#x, state %d", sigs[1].pending, threads[1].state)
	}
	if sigs[0].pending != 0 || threads[0].state != tBlocked {
		t.Error("the thread that blocks SIGTERM was disturbed")
	}
	sigactions[23][0] = sigDFL // SIGURG's default is to ignore it: no wakeup
	threads[1] = thread{state: tBlocked, tid: 2, waitAddr: 0x20}
	sendProcessSignal(23)
	if threads[1].state != tBlocked {
		t.Error("a signal that would be discarded woke a thread")
	}
}

// appendMs prints a boot timeline's figures: milliseconds, two decimals,
// truncated, with a sign for a step that ran "backwards" (a clock fault
// must show, not wrap).
func TestAppendMs(t *testing.T) {
	for _, c := range []struct {
		ns   int64
		want string
	}{
		{0, "0.00"},
		{9_999, "0.00"},
		{10_000, "0.01"},
		{12_345_678, "12.34"},
		{1_000_000_000, "1000.00"},
		{-1_500_000, "-1.50"},
	} {
		var b [24]byte
		if got := string(appendMs(b[:0], c.ns)); got != c.want {
			t.Errorf("appendMs(%d) = %q, want %q", c.ns, got, c.want)
		}
	}
}

// A return to the program reads the clock only when the timer needs it;
// every case where skipping would lose a wakeup or a tick reads it.
func TestNeedClock(t *testing.T) {
	for _, c := range []struct {
		tick, timer     bool
		armed, earliest int64
		want            bool
		why             string
	}{
		{false, true, 500, 0, false, "armed, no sleeper: the timer brings the next tick"},
		{false, true, 500, 500, false, "a sleeper due at the armed expiry"},
		{false, true, 500, 900, false, "a sleeper due after the armed expiry"},
		{true, true, 500, 0, true, "the tick came"},
		{false, true, 0, 0, true, "nothing armed (the timer fired and was taken)"},
		{false, true, 500, 400, true, "a sleeper due before the armed expiry"},
		{false, false, 500, 0, true, "no timer: only the clock wakes sleepers"},
	} {
		if got := needClock(c.tick, c.timer, c.armed, c.earliest); got != c.want {
			t.Errorf("%s: needClock = %v, want %v", c.why, got, c.want)
		}
	}
}
