package kernel

import "testing"

// The default action of each signal, as Linux's signal(7) table has it:
// the ones that end a process must end the program (exit status 128+n),
// not be ignored. Go's runtime relies on it: a SIGTERM nobody asked for is
// re-raised with SIG_DFL (dieFromSignal) and must then kill.
func TestDefaultAction(t *testing.T) {
	ends := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 25, 26, 27, 29, 30, 31, 34, 64}
	ignored := []int{17, 18, 19, 20, 21, 22, 23, 28}
	for _, sig := range ends {
		if !defaultTerminates(sig) {
			t.Errorf("signal %d: the default action must end the program", sig)
		}
	}
	for _, sig := range ignored {
		if defaultTerminates(sig) {
			t.Errorf("signal %d: the default action must not end the program", sig)
		}
	}
}

// What happens to a pending signal, by the handler the program set.
func TestDisposition(t *testing.T) {
	for _, c := range []struct {
		handler uint64
		sig     int
		want    sigOutcome
	}{
		{0, 15, sigTerminate}, // SIG_DFL SIGTERM
		{0, 2, sigTerminate},  // SIG_DFL SIGINT
		{0, 23, sigDiscard},   // SIG_DFL SIGURG: ignored by default
		{1, 15, sigDiscard},   // SIG_IGN
		{0x401000, 15, sigRunHandler},
		{0x401000, 23, sigRunHandler},
	} {
		if got := disposition(c.handler, c.sig); got != c.want {
			t.Errorf("disposition(%#x, %d) = %v, want %v", c.handler, c.sig, got, c.want)
		}
	}
}

// rt_sigreturn must not load an MXCSR with reserved bits set: FXRSTOR
// would fault in the kernel. Such a frame gets the program SIGSEGV.
func TestMXCSRValid(t *testing.T) {
	var fx [512]byte
	put := func(off int, v uint32) {
		fx[off], fx[off+1], fx[off+2], fx[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	for _, c := range []struct {
		mxcsr, mask uint32
		ok          bool
	}{
		{0x1f80, 0xffff, true}, // the power-on value
		{0xffff, 0xffff, true},
		{0x10000, 0xffff, false},       // bit 16 is reserved
		{0x1f80 | 0x40, 0xffbf, false}, // DAZ on a CPU without it
		{0x1f80 | 0x40, 0, false},      // mask 0 means 0xffbf
		{0x1f80, 0, true},
	} {
		put(24, c.mxcsr)
		if got := mxcsrValid(&fx, c.mask); got != c.ok {
			t.Errorf("mxcsrValid(mxcsr %#x, mask %#x) = %v, want %v", c.mxcsr, c.mask, got, c.ok)
		}
	}
}
