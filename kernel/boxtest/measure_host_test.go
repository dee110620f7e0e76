package boxtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// marks makes the console of the clock guest: mark i printed at guest
// time i*1s (plus skew), arriving at host time 2s + i*1s*hostPerGuest
// (plus lag[i]).
func marks(n int, hostPerGuest float64, lag map[int]time.Duration) []box.ConsoleLine {
	ls := []box.ConsoleLine{{At: time.Second, Text: "boot noise"}}
	for i := 0; i < n; i++ {
		g := time.Duration(i)*time.Second + 3*time.Millisecond
		at := 2*time.Second + time.Duration(float64(g)*hostPerGuest) + lag[i]
		ls = append(ls, box.ConsoleLine{At: at, Text: fmt.Sprintf("clock mark %d", g.Nanoseconds())})
	}
	return append(ls, box.ConsoleLine{At: 20 * time.Second, Text: "clock done"})
}

func TestFitClock(t *testing.T) {
	f, err := fitClock(marks(8, 1, nil))
	if err != nil || f.Marks != 8 || f.Guest != 7*time.Second || f.Host != 7*time.Second || f.Ratio != 1 || f.Jitter != 0 {
		t.Errorf("true clock: %+v %v", f, err)
	}
	// A guest clock 3 % slow (the host sees 1.03 s per guest second) is
	// caught by the 2 % bound; 1 % is not.
	f, _ = fitClock(marks(8, 1.03, nil))
	if d := f.Ratio - 1; d > -0.02 {
		t.Errorf("3 %% slow clock: ratio %.4f", f.Ratio)
	}
	f, _ = fitClock(marks(8, 1/1.01, nil))
	if d := f.Ratio - 1; d < 0 || d > 0.02 {
		t.Errorf("1 %% fast clock: ratio %.4f", f.Ratio)
	}
	// A line held back 300 ms shows as jitter, whichever direction.
	f, _ = fitClock(marks(8, 1, map[int]time.Duration{3: 300 * time.Millisecond}))
	if f.Jitter != 300*time.Millisecond {
		t.Errorf("held-back line: jitter %v", f.Jitter)
	}
	for _, tc := range []struct {
		lines []box.ConsoleLine
		want  string
	}{
		{marks(5, 1, nil), "5 clock marks"},
		{marks(8, 0.5, nil), "span 3.5s of host time"},
		{nil, "0 clock marks"},
	} {
		if _, err := fitClock(tc.lines); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestCPUBetween(t *testing.T) {
	ls := []box.ConsoleLine{
		{At: 1 * time.Second, QEMUCPU: 800 * time.Millisecond, Text: "done"},
		{At: 2 * time.Second, QEMUCPU: time.Second, Text: "sleeping 10s"},
		{At: 7 * time.Second, QEMUCPU: 3 * time.Second, Text: "tick"},
		{At: 12 * time.Second, QEMUCPU: 4500 * time.Millisecond, Text: "done"},
	}
	cpu, host, err := cpuBetween(ls, "sleeping 10s", "done")
	if err != nil || cpu != 3500*time.Millisecond || host != 10*time.Second {
		t.Errorf("got %v %v %v", cpu, host, err)
	}
	if _, _, err := cpuBetween(ls, "sleeping 10s", "never"); err == nil {
		t.Error("missing end line accepted")
	}
	ls[1].QEMUCPU = -1
	if _, _, err := cpuBetween(ls, "sleeping 10s", "done"); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("unknown CPU time: %v", err)
	}
}
