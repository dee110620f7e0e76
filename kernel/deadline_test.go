package kernel

import (
	"math"
	"testing"
)

// A timespec from the program: Linux refuses a negative tv_sec and a
// tv_nsec outside [0, 1e9) with EINVAL; seconds too large for int64
// nanoseconds saturate rather than wrap.
func TestTimespecToNs(t *testing.T) {
	for _, c := range []struct {
		sec, nsec int64
		ns        int64
		errno     int64
	}{
		{0, 0, 0, 0},
		{1, 500, 1e9 + 500, 0},
		{0, 999999999, 999999999, 0},
		{0, 1e9, 0, eINVAL},
		{0, -1, 0, eINVAL},
		{-1, 0, 0, eINVAL},
		{math.MaxInt64, 0, math.MaxInt64, 0},
		{9223372036, 854775807, math.MaxInt64, 0}, // exactly MaxInt64
		{9223372036, 854775808, math.MaxInt64, 0}, // one more: saturates
		{9223372037, 0, math.MaxInt64, 0},
	} {
		ns, errno := timespecToNs(c.sec, c.nsec)
		if ns != c.ns || errno != c.errno {
			t.Errorf("timespecToNs(%d, %d) = %d, errno %d; want %d, errno %d", c.sec, c.nsec, ns, errno, c.ns, c.errno)
		}
	}
}

// now+ns never wraps to a negative deadline, and never lands on 0, which
// means "no deadline".
func TestDeadlineAfter(t *testing.T) {
	for _, c := range []struct{ now, ns, want int64 }{
		{100, 50, 150},
		{100, 0, 100},
		{100, -5, 100},
		{math.MaxInt64 - 10, 100, math.MaxInt64},
		{1, math.MaxInt64, math.MaxInt64},
		{0, 0, 1},  // 0 would mean "never"
		{-1, 1, 1}, // the same, from a clock that reads -1
	} {
		if got := deadlineAfter(c.now, c.ns); got != c.want {
			t.Errorf("deadlineAfter(%d, %d) = %d, want %d", c.now, c.ns, got, c.want)
		}
	}
}

// The eventfd counter holds at most 0xfffffffffffffffe; a write that would
// pass it must wait (or fail EAGAIN), and writing 0xffffffffffffffff is
// EINVAL (eventfd(2)).
func TestEventfdAdd(t *testing.T) {
	for _, c := range []struct {
		count, v uint64
		want     uint64
		ok       bool
		errno    int64
	}{
		{0, 1, 1, true, 0},
		{5, 7, 12, true, 0},
		{math.MaxUint64 - 1, 0, math.MaxUint64 - 1, true, 0},
		{math.MaxUint64 - 2, 1, math.MaxUint64 - 1, true, 0},
		{math.MaxUint64 - 1, 1, math.MaxUint64 - 1, false, 0},
		{1, math.MaxUint64 - 1, 1, false, 0},
		{0, math.MaxUint64, 0, false, eINVAL},
	} {
		got, ok, errno := eventfdAdd(c.count, c.v)
		if got != c.want || ok != c.ok || errno != c.errno {
			t.Errorf("eventfdAdd(%#x, %#x) = %#x, %v, errno %d; want %#x, %v, errno %d", c.count, c.v, got, ok, errno, c.want, c.ok, c.errno)
		}
	}
}
