package box

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// soakFeed runs a soak's serial stream through a demux as runQEMU sets it
// up, with feed's fake clock, and returns the result and the progress
// lines.
func soakFeed(n int, expect Outcome, h hostFacts, lines ...string) (*Result, []string) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	d := newDemux(DomU, func() time.Time { now = now.Add(time.Second); return now }, nil)
	var progress []string
	d.soak = &soakState{n: n, expect: expect, progress: func(s string) { progress = append(progress, s) }}
	for _, l := range lines {
		d.Line(l)
	}
	h.start, h.end = t0, t0.Add(time.Hour)
	return d.result(h), progress
}

// guestLines is the marker stream dom0 prints for guest i of a soak.
func guestLines(i int, state string, unpaused, first, end string, console []string, xen []string, pf string) []string {
	n := strconv.Itoa(i)
	ls := []string{"@@BOX guest-begin " + n, "@@BOX created " + strconv.Itoa(i+4), "@@BOX tty /dev/pts/" + n, "@@BOX unpaused " + unpaused}
	ls = append(ls, xen...)
	if first != "" {
		ls = append(ls, "@@BOX firstbyte "+first)
	}
	ls = append(ls, "@@BOX state "+state+" "+end, "@@BOX cputime 0.2", "", "@@GUESTLOG-BEGIN")
	for _, c := range console {
		ls = append(ls, "@@L "+c)
	}
	return append(ls, "", "@@GUESTLOG-END", "@@BOX guest-end "+n+" "+state+" platform-fault="+pf)
}

func soakStream(guests ...[]string) []string {
	ls := []string{"(XEN) Xen version 4.17", "[    0.000000] Linux version 6.1", "@@BOX dom0-ready 9.00"}
	for _, g := range guests {
		ls = append(ls, g...)
	}
	return append(ls, "@@BOX done")
}

var tripleInXen = []string{"(XEN) d6v0 Triple fault - invoking HVM shutdown action 1",
	"(XEN) *** Dumping Dom6 vcpu#0 state: ***", "(XEN) RIP:    e008:[<ffff82d0402044a5>]"}

func TestDemuxSoak(t *testing.T) {
	r, progress := soakFeed(5, PoweredOff, hostFacts{}, soakStream(
		guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"hello", "bye"}, nil, "no"),
		guestLines(2, "---sr-", "20.00", "20.20", "21.00", []string{"hi"}, tripleInXen, "no"),
		guestLines(3, "---sc-", "30.00", "30.30", "31.50", []string{"hi", "goxen: platform fault: an upcall again", "exit"}, nil, "yes"),
		// dom0 found the line in the complete log; the dump lacks it.
		guestLines(4, "---sc-", "40.00", "40.40", "42.00", []string{"hi"}, nil, "yes"),
		guestLines(5, "---sc-", "50.00", "50.50", "52.50", []string{"panic: boom"}, nil, "no"),
	)...)
	k := r.Soak
	if k == nil {
		t.Fatal("no soak account")
	}
	if k.N != 5 || len(k.Guests) != 5 || k.Expected != 1 || k.FaultInXen != 1 || k.FaultReported != 2 || k.Other != 1 {
		t.Fatalf("account %+v", k)
	}
	if k.AllExpected() {
		t.Error("AllExpected with 4 failures")
	}
	// The outcome is the first guest that did not end as expected.
	if r.Outcome != Crashed || !strings.HasPrefix(r.Detail, "guest 2 crashed: triple fault") || !strings.Contains(r.Detail, "[platform fault: a triple fault inside Xen]") {
		t.Errorf("outcome %v %q", r.Outcome, r.Detail)
	}
	// Each guest is judged on its own lines: only guest 2 saw the triple fault.
	for i, g := range k.Guests {
		if g.FaultInXen != (i == 1) || strings.Contains(g.XenLog, "Triple") != (i == 1) {
			t.Errorf("guest %d: FaultInXen %v, xen log %q", i+1, g.FaultInXen, g.XenLog)
		}
	}
	if g := k.Guests[0]; g.Outcome != PoweredOff || g.Console != "hello\nbye\n" || g.Timings.FirstByte != 100*time.Millisecond || g.Timings.Run != 500*time.Millisecond {
		t.Errorf("guest 1: %v %q %+v", g.Outcome, g.Console, g.Timings)
	}
	if k.Guests[4].Outcome != Crashed || k.Guests[4].PlatformFault() != "" {
		t.Errorf("guest 5: %v %q", k.Guests[4].Outcome, k.Guests[4].PlatformFault())
	}
	want := Spread{N: 5, Min: 100 * time.Millisecond, Median: 300 * time.Millisecond, P90: 500 * time.Millisecond, Max: 500 * time.Millisecond}
	if k.FirstByte != want {
		t.Errorf("first byte spread %+v, want %+v", k.FirstByte, want)
	}
	if k.Run.Min != 500*time.Millisecond || k.Run.Max != 2500*time.Millisecond || k.Run.Median != 1500*time.Millisecond {
		t.Errorf("run spread %+v", k.Run)
	}
	wantProgress := []string{
		"guest 1/5 powered off 0.50s",
		"guest 2/5 crashed 1.00s [platform fault: a triple fault inside Xen]",
		"guest 3/5 crashed 1.50s [platform fault: the kernel reported a platform fault: an upcall again]",
		"guest 4/5 crashed 2.00s [platform fault: the kernel reported a platform fault (found by dom0)]",
		"guest 5/5 crashed 2.50s (xl state ---sc-)",
	}
	if strings.Join(progress, "\n") != strings.Join(wantProgress, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(progress, "\n"), strings.Join(wantProgress, "\n"))
	}
	// The whole console holds every guest's, headed.
	if !strings.Contains(r.Console, "==== guest 1: guest powered off") || !strings.Contains(r.Console, "hello\nbye\n==== guest 2") {
		t.Errorf("console %q", r.Console)
	}
	if strings.Contains(r.Dom0Log, "@@L") || !strings.Contains(r.Dom0Log, "@@BOX guest-end 3 ---sc- platform-fault=yes") {
		t.Errorf("dom0 log %q", r.Dom0Log)
	}
	if r.Timings.Run != -1 || r.Timings.FirstByte != -1 || r.CPUTime != -1 || len(r.ConsoleLines) != 0 {
		t.Errorf("a soak's result carries the first guest's figures: %+v cpu %v lines %d", r.Timings, r.CPUTime, len(r.ConsoleLines))
	}
	s := r.Summary()
	for _, w := range []string{"soak: 1 of 5 guests powered off, 3 platform faults (1 triple fault in Xen, 2 reported by the kernel), 1 other",
		"(first: guest 2 crashed", "first byte 0.10/0.30/0.50/0.50s, run 0.50/1.50/2.50/2.50s (min/median/p90/max)"} {
		if !strings.Contains(s, w) {
			t.Errorf("summary %q lacks %q", s, w)
		}
	}
}

// A first byte dom0 only saw with the guest's end is an upper bound, and
// the summary says how many of the spread are.
func TestDemuxSoakFirstByteUpperBounds(t *testing.T) {
	g2 := guestLines(2, "---s--", "20.00", "", "20.40", []string{"b"}, nil, "no")
	g2 = append(g2[:5], append([]string{"@@BOX firstbyte-by 20.40"}, g2[5:]...)...)
	r, _ := soakFeed(2, PoweredOff, hostFacts{}, soakStream(
		guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"a"}, nil, "no"), g2)...)
	k := r.Soak
	if k.FirstByte.N != 2 || k.FirstByte.Max != 400*time.Millisecond || k.FirstByteUpper != 1 || !k.Guests[1].Timings.FirstByteUpper {
		t.Fatalf("%+v", k)
	}
	if s := r.Summary(); !strings.Contains(s, "first byte 0.10/0.40/0.40/0.40s (1 upper bounds), run") {
		t.Errorf("summary %q", s)
	}
}

func TestDemuxSoakAllExpected(t *testing.T) {
	r, progress := soakFeed(2, PoweredOff, hostFacts{}, soakStream(
		guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"a"}, nil, "no"),
		guestLines(2, "---s--", "20.00", "20.10", "20.50", []string{"b"}, nil, "no"),
	)...)
	if r.Outcome != PoweredOff || !r.Soak.AllExpected() || len(progress) != 2 {
		t.Fatalf("%v %q %+v %q", r.Outcome, r.Detail, r.Soak, progress)
	}
	if s := r.Summary(); !strings.HasPrefix(s, "soak: 2 of 2 guests powered off, 0 platform faults") || strings.Contains(s, "first:") {
		t.Errorf("summary %q", s)
	}
	// Expecting a crash: guests that power off are failures.
	r, _ = soakFeed(2, Crashed, hostFacts{}, soakStream(
		guestLines(1, "---sc-", "10.00", "10.10", "10.50", []string{"panic: x"}, nil, "no"),
		guestLines(2, "---s--", "20.00", "20.10", "20.50", []string{"b"}, nil, "no"),
	)...)
	if r.Outcome != PoweredOff || r.Soak.Expected != 1 || r.Soak.Other != 1 || !strings.HasPrefix(r.Detail, "guest 2 powered off") {
		t.Errorf("expect crashed: %v %q %+v", r.Outcome, r.Detail, r.Soak)
	}
}

func TestDemuxSoakCreateFailed(t *testing.T) {
	r, progress := soakFeed(2, PoweredOff, hostFacts{}, soakStream(
		[]string{"@@BOX guest-begin 1", "@@E libxl: error: bad", "@@BOX create-failed", "@@BOX guest-end 1 create-failed platform-fault=no"},
		guestLines(2, "---s--", "20.00", "20.10", "20.50", []string{"b"}, nil, "no"),
	)...)
	if r.Soak.Other != 1 || r.Soak.Expected != 1 || r.Outcome != CreateFailed || !strings.Contains(r.Detail, "libxl: error: bad") {
		t.Errorf("%v %q %+v", r.Outcome, r.Detail, r.Soak)
	}
	if progress[0] != "guest 1/2 create failed - (libxl: error: bad)" {
		t.Errorf("progress %q", progress)
	}
}

// The box dying in the middle of a soak is a box error, whatever the
// guests so far did, and the guest it interrupted is counted.
func TestDemuxSoakBoxEnded(t *testing.T) {
	lines := soakStream(guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"a"}, nil, "no"))
	lines = append(lines[:len(lines)-1], "@@BOX guest-begin 2", "@@BOX created 7", "@@BOX unpaused 20.00")
	r, _ := soakFeed(4, PoweredOff, hostFacts{hostTimeout: true}, lines...)
	if r.Outcome != BoxError || !strings.Contains(r.Detail, "the box ended after 2 of 4 guests: host timeout") {
		t.Fatalf("%v %q", r.Outcome, r.Detail)
	}
	if k := r.Soak; len(k.Guests) != 2 || k.Expected != 1 || k.Other != 1 || k.Guests[1].Outcome != Timeout {
		t.Errorf("account %+v, guest 2 %v", k, k.Guests[1].Outcome)
	}
	if s := r.Summary(); !strings.Contains(s, "soak: box error: the box ended after 2 of 4 guests") || !strings.Contains(s, "2 never started") {
		t.Errorf("summary %q", s)
	}
	// All guests reported, but dom0 never said it was done.
	lines = soakStream(guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"a"}, nil, "no"))
	r, _ = soakFeed(1, PoweredOff, hostFacts{qemuErr: "QEMU exited (signal: killed)"}, lines[:len(lines)-1]...)
	if r.Outcome != BoxError || !strings.Contains(r.Detail, "QEMU exited") {
		t.Errorf("no done: %v %q", r.Outcome, r.Detail)
	}
}

// Fed the same lines without a soak, the demux judges one guest as before.
func TestDemuxSingleIgnoresSoakMarkers(t *testing.T) {
	d, _, t0 := feed(DomU, guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"a"}, nil, "no")...)
	r := d.result(hostFacts{start: t0, end: t0.Add(time.Minute)})
	if r.Soak != nil || r.Outcome != PoweredOff || r.Console != "a\n" {
		t.Errorf("%v %q %q", r.Outcome, r.Detail, r.Console)
	}
}

func TestSpreadOf(t *testing.T) {
	if s := spreadOf(nil); s.N != 0 || s.String() != "-" {
		t.Errorf("empty: %+v %q", s, s)
	}
	var ds []time.Duration
	for i := 10; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Second)
	}
	s := spreadOf(ds)
	if s != (Spread{N: 10, Min: time.Second, Median: 6 * time.Second, P90: 9 * time.Second, Max: 10 * time.Second}) {
		t.Errorf("%+v", s)
	}
	if s.String() != "1.00/6.00/9.00/10.00s" {
		t.Errorf("%q", s)
	}
}

func TestParseOutcome(t *testing.T) {
	for in, want := range map[string]Outcome{"powered-off": PoweredOff, "poweroff": PoweredOff, "Powered Off": PoweredOff,
		"crashed": Crashed, "timeout": Timeout, "create-failed": CreateFailed, "rebooted": Rebooted} {
		if got, err := ParseOutcome(in); err != nil || got != want {
			t.Errorf("ParseOutcome(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseOutcome("exploded"); err == nil || !strings.Contains(err.Error(), `unknown outcome "exploded"`) {
		t.Errorf("error %v", err)
	}
}

func TestHostDeadlineScalesWithRepeat(t *testing.T) {
	one := hostDeadline(Config{Timeout: time.Minute, BootTimeout: 4 * time.Minute})
	if one != 5*time.Minute {
		t.Errorf("single: %v", one)
	}
	hundred := hostDeadline(Config{Timeout: time.Minute, BootTimeout: 4 * time.Minute, Repeat: 100})
	if hundred < 4*time.Minute+100*time.Minute {
		t.Errorf("100 guests: %v, less than 100 guest timeouts", hundred)
	}
}

func TestParseStatCPU(t *testing.T) {
	// Fields from proc(5): pid (comm) state ppid pgrp session tty tpgid
	// flags minflt cminflt majflt cmajflt utime stime ...; the comm holds
	// a blank and a ')'.
	stat := "4242 (qemu) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 3 0 12345"
	if got := parseStatCPU(stat); got != 3800*time.Millisecond {
		t.Errorf("got %v, want 3.8s", got)
	}
	for _, bad := range []string{"", "4242 (qemu", "4242 (qemu) S 1 2", "4242 (q) S 1 2 3 4 5 6 7 8 9 10 x 11"} {
		if got := parseStatCPU(bad); got != -1 {
			t.Errorf("parseStatCPU(%q) = %v, want -1", bad, got)
		}
	}
	// Our own process: a number that grows as we burn CPU.
	a := qemuCPUTime(os.Getpid())
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if b := qemuCPUTime(os.Getpid()); a < 0 || b <= a {
		t.Errorf("own CPU time %v then %v", a, b)
	}
	if qemuCPUTime(-1) != -1 {
		t.Error("no process, yet a CPU time")
	}
}

// QEMU's CPU time is taken between the guest's first console line and
// its end, and each console line carries the sample read at its arrival.
func TestDemuxQEMUCPU(t *testing.T) {
	cpu := time.Duration(0)
	mk := func(mode Mode) (*demux, time.Time) {
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		now := t0
		d := newDemux(mode, func() time.Time { now = now.Add(time.Second); return now }, nil)
		d.cpu = func() time.Duration { cpu += 500 * time.Millisecond; return cpu }
		return d, t0
	}
	d, t0 := mk(Dom0)
	for _, l := range []string{"(XEN) *** Building a PVH Dom0 ***", "(XEN) Freed 656kB init memory",
		"sleeping 10s", "done", "(XEN) Hardware Dom0 halted: halting machine"} {
		d.Line(l)
	}
	r := d.result(hostFacts{start: t0, end: t0.Add(time.Minute), cpuEnd: 99 * time.Second})
	// Samples: created 0.5, unpaused 1.0, "sleeping" 1.5, "done" 2.0, halted 2.5.
	if r.QEMUCPU != time.Second {
		t.Errorf("qemu cpu %v, want 1s (first line at 1.5s to the halt at 2.5s)", r.QEMUCPU)
	}
	if len(r.ConsoleLines) != 2 || r.ConsoleLines[0].QEMUCPU != 1500*time.Millisecond || r.ConsoleLines[1].QEMUCPU != 2*time.Second ||
		r.ConsoleLines[1].Text != "done" || r.ConsoleLines[1].At != 4*time.Second {
		t.Errorf("console lines %+v", r.ConsoleLines)
	}
	// Still running when the host gave up: up to the host's last sample.
	cpu = 0
	d, t0 = mk(Dom0)
	for _, l := range []string{"(XEN) *** Building a PVH Dom0 ***", "(XEN) Freed 656kB init memory", "spinning"} {
		d.Line(l)
	}
	r = d.result(hostFacts{start: t0, end: t0.Add(time.Minute), hostTimeout: true, cpuEnd: 10 * time.Second})
	if r.QEMUCPU != 8500*time.Millisecond {
		t.Errorf("timeout: qemu cpu %v, want 8.5s", r.QEMUCPU)
	}
	// No sample (nothing printed, or no /proc): unknown.
	d, t0 = mk(Dom0)
	d.cpu = nil
	d.Line("(XEN) Freed 656kB init memory")
	d.Line("x")
	if r := d.result(hostFacts{start: t0, end: t0, cpuEnd: -1}); r.QEMUCPU != -1 {
		t.Errorf("unknown: %v", r.QEMUCPU)
	}
	// domU: from dom0's first-byte report to its state report.
	cpu = 0
	d, t0 = mk(DomU)
	for _, l := range []string{"@@BOX created 1", "@@BOX unpaused 1.0", "@@BOX firstbyte 1.2", "@@G a", "@@BOX state ---s-- 3.0"} {
		d.Line(l)
	}
	if r := d.result(hostFacts{start: t0, end: t0}); r.QEMUCPU != time.Second {
		t.Errorf("domU: %v, want 1s", r.QEMUCPU)
	}
}

func TestKeepFailures(t *testing.T) {
	r, _ := soakFeed(3, PoweredOff, hostFacts{}, soakStream(
		guestLines(1, "---s--", "10.00", "10.10", "10.50", []string{"fine"}, nil, "no"),
		guestLines(2, "---sr-", "20.00", "20.20", "21.00", []string{"hi"}, tripleInXen, "no"),
		guestLines(3, "---sc-", "30.00", "30.30", "31.50", []string{"panic: x"}, nil, "no"),
	)...)
	dir := t.TempDir()
	if err := keepFailures(dir, r.Soak, 1); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "guest-002.xen.log"))
	if err != nil || !strings.Contains(string(b), "Triple fault") {
		t.Errorf("guest-002.xen.log: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "guest-002.log")); err != nil || string(b) != "hi\n" {
		t.Errorf("guest-002.log: %q %v", b, err)
	}
	for _, name := range []string{"guest-001.log", "guest-003.log"} { // expected; beyond the first 1
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s kept", name)
		}
	}
	table, _ := os.ReadFile(filepath.Join(dir, "soak.txt"))
	if strings.Count(string(table), "\n") != 3 || !strings.Contains(string(table), "3\tguest crashed: xl state ---sc-") {
		t.Errorf("soak.txt %q", table)
	}
}

// A changed init.sh must not reuse an image built from the old one.
func TestCacheKeyCoversInitScript(t *testing.T) {
	v := map[string]string{"xen": "4.17.1"}
	a := cacheKey(v)
	old := initScript
	defer func() { initScript = old }()
	initScript += "\n# changed\n"
	if cacheKey(v) == a {
		t.Error("init.sh change kept the cache key")
	}
}

func TestResultPlatformFault(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Outcome: Crashed, FaultInXen: true}, "a triple fault inside Xen"},
		{Result{Outcome: Crashed, Console: "a\ngoxen: platform fault: upcall again\nexit 2\n"}, "the kernel reported a platform fault: upcall again"},
		{Result{Outcome: Crashed, Console: "goxen: platform fault: " + long}, "the kernel reported a platform fault: " + long[:80] + "..."},
		{Result{Outcome: Crashed, Console: "panic: boom"}, ""},
		{Result{Outcome: Timeout, Console: "goxen: platform fault: x"}, ""},
		{Result{Outcome: PoweredOff, FaultInXen: true}, ""},
	} {
		if got := tc.r.PlatformFault(); got != tc.want {
			t.Errorf("PlatformFault(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
