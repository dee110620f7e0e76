package kernel

import "math"

// Time and counter arithmetic on values the program hands in. Each is a
// pure function, checked by host tests: a wrapped deadline would be in the
// past (a timeout that fires at once) or 0 (which means "no deadline", a
// wait for ever), and a wrapped eventfd counter would lose every count.

// timespecToNs converts a struct timespec to nanoseconds, as Linux's
// timespec64_valid does: a negative tv_sec, or a tv_nsec outside
// [0, 1e9), is EINVAL. A duration beyond what int64 nanoseconds hold
// (292 years) saturates at math.MaxInt64.
func timespecToNs(sec, nsec int64) (ns int64, errno int64) {
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, eINVAL
	}
	if sec > (math.MaxInt64-nsec)/1e9 {
		return math.MaxInt64, 0
	}
	return sec*1e9 + nsec, 0
}

// readTimespec reads the struct timespec at p (two int64s) from the program.
func readTimespec(p uintptr) (ns int64, errno int64) {
	ts, errno := readUser[[2]int64](p)
	if errno != 0 {
		return 0, errno
	}
	return timespecToNs(ts[0], ts[1])
}

// deadlineAfter is the deadline ns nanoseconds after now. It saturates
// rather than wrap, and is never 0, the value that means "no deadline";
// a duration of zero or less is due at once.
func deadlineAfter(now, ns int64) int64 {
	d := now
	if ns > 0 {
		if now > math.MaxInt64-ns {
			d = math.MaxInt64
		} else {
			d = now + ns
		}
	}
	if d <= 0 {
		d = 1 // system time starts near 0: due at once, but not "never"
	}
	return d
}

// eventfdMax is the largest value an eventfd counter holds (eventfd(2)).
const eventfdMax = math.MaxUint64 - 1

// eventfdAdd adds a written value v to an eventfd counter. ok is false
// when the sum would pass eventfdMax: the writer must wait for a read (or
// fail EAGAIN). Writing 0xffffffffffffffff is EINVAL.
func eventfdAdd(count, v uint64) (sum uint64, ok bool, errno int64) {
	if v == math.MaxUint64 {
		return count, false, eINVAL
	}
	if v > eventfdMax-count {
		return count, false, 0
	}
	return count + v, true, 0
}
