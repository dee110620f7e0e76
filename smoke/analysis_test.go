package main

import (
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/startinfo"
)

const (
	ram  = startinfo.XEN_HVM_MEMMAP_TYPE_RAM
	resv = startinfo.XEN_HVM_MEMMAP_TYPE_RESERVED
)

func TestMemmapSanity(t *testing.T) {
	good := []startinfo.MemmapEntry{
		{Addr: 0x100000, Size: 0x1f00000, Type: ram},
		{Addr: 0, Size: 0x9f000, Type: ram},
		{Addr: 0xfc000000, Size: 0x1000, Type: resv},
	}
	r, p := memmapSanity(good, 0x200000, 0x54e000)
	if len(p) != 0 || r != 0x1f00000+0x9f000 {
		t.Errorf("good map: ram %#x, problems %v", r, p)
	}
	// The image straddling two adjacent RAM entries is covered.
	split := []startinfo.MemmapEntry{{Addr: 0x100000, Size: 0x300000, Type: ram}, {Addr: 0x400000, Size: 0x400000, Type: ram}}
	if _, p := memmapSanity(split, 0x200000, 0x54e000); len(p) != 0 {
		t.Errorf("adjacent RAM: %v", p)
	}
	for _, c := range []struct {
		m      []startinfo.MemmapEntry
		lo, hi uint64
		want   string
	}{
		{nil, 1, 2, "empty"},
		{[]startinfo.MemmapEntry{{Addr: 0x100000, Size: 0x200000, Type: ram}, {Addr: 0x200000, Size: 0x1000, Type: resv}}, 0x100000, 0x101000, "overlaps"},
		{[]startinfo.MemmapEntry{{Addr: 0x100000, Size: 0x100000, Type: ram}}, 0x180000, 0x280000, "not all RAM: 0x200000"},
		{[]startinfo.MemmapEntry{{Addr: 0x100000, Size: 0x100000, Type: ram}, {Addr: 0x201000, Size: 0x100000, Type: ram}}, 0x100000, 0x250000, "0x200000 is not"},
		{[]startinfo.MemmapEntry{{Addr: 0x100000, Size: 0x400000, Type: resv}}, 0x200000, 0x300000, "no RAM entry"},
		{[]startinfo.MemmapEntry{{Addr: 0x100000, Size: 0, Type: ram}, {Addr: 0x100000, Size: 0x400000, Type: ram}}, 0x200000, 0x300000, "size 0"},
		{good, 0x300000, 0x300000, "empty"},
	} {
		_, p := memmapSanity(c.m, c.lo, c.hi)
		if !strings.Contains(strings.Join(p, "; "), c.want) {
			t.Errorf("%v: problems %v, want %q", c.m, p, c.want)
		}
	}
}

func TestReservationAgrees(t *testing.T) {
	for _, c := range []struct {
		m, cur, max int64
		ok          bool
	}{
		{8160, 8200, 8448, true},
		{8160, 8160 + reservationSlackPages, 9000, true},
		{8160, 8160 + reservationSlackPages + 1, 9000, false}, // a map short of real memory
		{8160, 4000, 8448, false},
		{8160, 8200, 8199, false}, // current above maximum
		{8160, 8200, 0, false},
		{8160, 8200, 7000, false}, // maximum far below the map
	} {
		m, ok := reservationAgrees(c.m, c.cur, c.max)
		if ok != c.ok {
			t.Errorf("%+v: %v (%s)", c, ok, m)
		}
	}
}

func TestRates(t *testing.T) {
	if !within(2300e6*1.0099, 2300e6, rateTolerance) || within(2300e6*1.0101, 2300e6, rateTolerance) ||
		within(2300e6*0.9899, 2300e6, rateTolerance) || within(1, 0, rateTolerance) {
		t.Error("1 % bound misplaced")
	}
	if b, w := monotonic([]uint64{1, 2, 2, 5, 3, 4, 1}); b != 2 || w != 3 {
		t.Errorf("monotonic: %d backs, worst %d", b, w)
	}
	med, max := spread([]time.Duration{5, 1, 9, 3, 7})
	if med != 5 || max != 9 {
		t.Errorf("spread %v %v", med, max)
	}
}

func TestPatternAndChecksum(t *testing.T) {
	a, b := make([]byte, 8192), make([]byte, 8192)
	fillPattern(a, 0)
	fillPattern(b, 8192)
	if checksum(a) == checksum(b) {
		t.Error("two areas with the same checksum: a page at the wrong place would pass")
	}
	for _, off := range []uint64{0, 8, 13, 4095} {
		if a[off] != pattern8(off) {
			t.Errorf("pattern8(%d) = %#x, byte is %#x", off, pattern8(off), a[off])
		}
	}
	s := checksum(a)
	a[4000] ^= 1
	if checksum(a) == s {
		t.Error("a flipped bit kept the checksum")
	}
	if got := memTarget(100<<20, 256<<20, 4<<20); got != 72<<20 {
		t.Errorf("memTarget %d MiB", got>>20)
	}
	if got := memTarget(1<<30, 256<<20, 4<<20); got != 256<<20 {
		t.Errorf("memTarget capped %d MiB", got>>20)
	}
}

// A rate is judged with the uncertainty of its interval's ends: a vCPU
// descheduled between a clock read and the pvclock reads around it (a
// busy host) widens the interval's ends, and must not fail the check; an
// interval known exactly is held to the 1 %.
func TestRateWithin(t *testing.T) {
	for _, c := range []struct {
		dx, dsys, u, want float64
		ok                bool
	}{
		{300, 300e6 / 1e6, 0, 1, true},     // exact
		{303, 300, 0, 1, true},             // +1 %
		{305, 300, 0, 1, false},            // +1.7 %, known exactly
		{305, 300, 3, 1, true},             // +1.7 %, but the ends are each known to 1.5 ms only
		{330, 300, 3, 1, false},            // +10 %: no slack of 3 explains it
		{295, 300, 3, 1, true},             // -1.7 %, 3 of slack
		{2.6e9 * 0.3, 0.3e9, 0, 2.6, true}, // a TSC at 2.6 GHz over 300 ms
		{2.6e9 * 0.3 * 1.015, 0.3e9, 3e6, 2.6, true},
		{2.6e9 * 0.3 * 1.015, 0.3e9, 1e5, 2.6, false},
		{100, 2, 3, 1, true}, // wider than itself: nothing can be said, so no failure
	} {
		if got := rateWithin(c.dx, c.dsys, c.u, c.want, rateTolerance); got != c.ok {
			t.Errorf("rateWithin(%v, %v, %v, %v) = %v, want %v", c.dx, c.dsys, c.u, c.want, got, c.ok)
		}
	}
}

// Timers are judged by their earliest wakeup: a busy host holds a guest's
// wakeups back (a loaded TestTimers run held all five AfterFuncs 19-47 ms
// late) without the guest doing anything wrong, but a kernel that wakes
// no sleeper on time fails.
func TestOnTime(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x*1e6))
		}
		return ds
	}
	loaded := ms(19, 23, 31, 47, 40, 0.4, 25, 26, 22, 30)
	if !onTime(loaded, 20*time.Millisecond) {
		t.Error("a loaded host's wakeups, the earliest 0.4 ms late, fail")
	}
	tickOnly := ms(8, 9, 8.5, 9.9, 8.1) // woken only by a 10 ms tick
	if onTime(tickOnly, 5*time.Millisecond) {
		t.Error("a kernel that wakes sleepers only at its tick passes")
	}
	if onTime(nil, time.Second) {
		t.Error("no wakeup at all passes")
	}
}
