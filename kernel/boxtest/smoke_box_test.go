//go:build box

package boxtest

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting"
)

// The smoke test (./smoke) under real Xen: as PVH dom0 (Xen's CI way),
// as a domU, failed on purpose, and driven by scripts/smoke-runner in the
// box's dom0 the way a Xen host would run it.

// domUOnly are the checks a PVH dom0 cannot have (a PV dom0 runs the
// first: dom0Skips).
var domUOnly = []string{"startinfo.reservation", "console.ring", "xenstore.read", "xenstore.write", "xenstore.watch"}

// allChecks is every check smoke has, in its order; the tests compare
// against smoke's own -list in TestSmokeDom0.
var allChecks = []string{"xen.cpuid", "xen.version", "hypercall.page", "startinfo.header", "startinfo.memmap",
	"startinfo.reservation", "time.shared-info", "time.monotonic", "time.tsc-rate", "time.wallclock",
	"evtchn.loopback", "evtchn.upcall", "evtchn.poll", "timer.sleep", "console.ring", "xenstore.read",
	"xenstore.write", "xenstore.watch", "gnttab.grant", "memory.checksum"}

// boxSlack is how late a timer may fire in the box: smoke's default
// (5 ms) is for real hosts; under QEMU's software emulation a wakeup
// costs a few milliseconds more and a busy host delays QEMU itself
// (TestTimers allows 20 ms for the same reason). A timer that waits for
// the kernel's next tick, or never fires, still fails. Seen in the box:
// time.Sleep late by 1.7-5.1 ms median, AfterFunc up to 12.7 ms.
const boxSlack = "-timer-slack 20ms"

var checkLine = regexp.MustCompile(`^(PASS|SKIP|ERROR|FAIL) +([a-z0-9.-]+): (.*)$`)

// smokeLines maps each check to its verdict and line, failing the test on
// a check line seen twice.
func smokeLines(t *testing.T, console string) map[string][2]string {
	t.Helper()
	got := map[string][2]string{}
	for _, l := range strings.Split(console, "\n") {
		m := checkLine.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil {
			continue
		}
		if _, dup := got[m[2]]; dup {
			t.Errorf("check %s reported twice", m[2])
		}
		got[m[2]] = [2]string{m[1], m[3]}
	}
	return got
}

// lastLine is the console's last non-empty line.
func lastLine(console string) string {
	ls := strings.Split(strings.TrimRight(console, "\r\n"), "\n")
	return strings.TrimRight(ls[len(ls)-1], "\r")
}

// wantVerdicts checks every check's verdict: SKIP for skipped, PASS for
// the rest, and logs the figures.
func wantVerdicts(t *testing.T, console, mode string, skipped []string) {
	t.Helper()
	got := smokeLines(t, console)
	for _, c := range allChecks {
		v, ok := got[c]
		want := "PASS"
		for _, s := range skipped {
			if s == c {
				want = "SKIP"
			}
		}
		if !ok {
			t.Errorf("no line for check %s", c)
			continue
		}
		t.Logf("FIGURES smoke %s %s %s: %s", mode, v[0], c, v[1])
		if v[0] != want {
			t.Errorf("%s: %s, want %s: %s", c, v[0], want, v[1])
		}
		if v[0] == "SKIP" && !strings.Contains(v[1], "dom0") {
			t.Errorf("%s: SKIP without saying what lacks it: %q", c, v[1])
		}
	}
	if len(got) != len(allChecks) {
		t.Errorf("%d check lines, want %d", len(got), len(allChecks))
	}
}

// runSmoke boots the smoke test as typ and mode (XENBOX_TYPE=pv makes
// any type PV) and wants SUCCESS as the last console line, the domain
// powered off, every check of skipped a SKIP with a reason and every
// other check a PASS. One boot.
func runSmoke(t *testing.T, typ box.Type, mode box.Mode, skipped []string) {
	k := buildKernel(t, "./smoke")
	typ = boxtesting.Type(t, box.Config{Type: typ})
	cfg := box.Config{Kernel: k, Mode: mode, Type: typ, Cmdline: boxSlack, Timeout: 90 * time.Second}
	if mode == box.DomU {
		cfg.Memory, cfg.Timeout = 32, 120*time.Second
	}
	r := boot(t, cfg)
	name := strings.ToUpper(typ.String()) + " domU" // smoke's Mode.String
	if mode == box.Dom0 {
		name = strings.ToUpper(typ.String()) + " dom0"
	}
	expect(t, r, box.PoweredOff, "smoke: goxen boot-path smoke test as "+name+": 20 of 20 checks", "Test result: SUCCESS")
	if l := lastLine(r.Console); l != "Test result: SUCCESS" {
		t.Errorf("last console line %q, want the result line", l)
	}
	wantVerdicts(t, r.Console, name, skipped)
}

// dom0Skips are the checks a dom0 has no subject for: no toolstack gave
// it a console ring or xenstore; a PVH dom0's memory map is also the
// host's, not its allocation (a PV dom0's nr_pages is its own).
func dom0Skips(t *testing.T, typ box.Type) []string {
	if boxtesting.Type(t, box.Config{Type: typ}) == box.PV {
		return domUOnly[1:]
	}
	return domUOnly
}

// As PVH dom0 (no toolstack): SUCCESS, with the domU-only checks SKIP,
// the last line the result, the machine halted by a poweroff.
func TestSmokeDom0(t *testing.T) { runSmoke(t, box.PVH, box.Dom0, dom0Skips(t, box.PVH)) }

// As a domU started by xl: every check runs and passes.
func TestSmokeDomU(t *testing.T) { runSmoke(t, box.PVH, box.DomU, nil) }

// As classic PV dom0, the way Xen's CI boots XTF's test-pv64-example:
// the checks read PV's start_info, Xen's leaves by forced-emulation
// CPUID, the PV hypercall page; the dom0-only skips are PVH's but for
// the reservation, which runs.
func TestSmokePVDom0(t *testing.T) { runSmoke(t, box.PV, box.Dom0, dom0Skips(t, box.PV)) }

// As a classic PV domU: every check runs and passes (console ring and
// xenstore from start_info).
func TestSmokePVDomU(t *testing.T) { runSmoke(t, box.PV, box.DomU, nil) }

// A check failed on purpose: FAILURE, the check named, the domain
// crashed, and nothing after the result line. A bad command line is an
// ERROR that says what was wrong (same boot: -run limits it to two
// checks, so it is quick).
func TestSmokeForcedFailure(t *testing.T) {
	k := buildKernel(t, "./smoke")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Cmdline: "-run xen,memory -fail memory.checksum", Timeout: 60 * time.Second})
	expect(t, r, box.Crashed, "smoke: goxen boot-path smoke test as "+strings.ToUpper(boxtesting.Type(t, box.Config{Type: box.PVH}).String())+" dom0: 3 of 20 checks",
		"PASS  xen.cpuid: ", "FAIL  memory.checksum: failed on purpose (-fail memory.checksum); it measured: filled",
		"; expected no -fail option", "Test result: FAILURE")
	if l := lastLine(r.Console); l != "Test result: FAILURE" {
		t.Errorf("last console line %q, want the result line", l)
	}
	bad := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Cmdline: "-run time.walk", Timeout: 60 * time.Second})
	expect(t, bad, box.Crashed, `ERROR options: -run: no check or group "time.walk"`, "Test result: ERROR")
}

// scripts/smoke-runner in the box's dom0, against the smoke kernel and a
// guest that never prints a result (the sleeper, which is also the box's
// own guest, kept alive while the script runs): exits 0, 5 and 6, with a
// JUnit file for the first. One dom0 boot serves all three.
func TestSmokeRunner(t *testing.T) {
	smoke := buildKernel(t, "./smoke")
	sleeper := buildKernel(t, "./kernel/boxtest/testdata/sleeper")
	elf, err := os.ReadFile(smoke)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := os.ReadFile("../../scripts/smoke-runner")
	if err != nil {
		t.Fatal(err)
	}
	script := `R=/opt/smoke/smoke-runner K=/opt/smoke/smoke.elf
# The box's guest sits on physical CPU 1, away from dom0's (see box.guestCPUs).
X='cpus = "1"'
$R -q -m 32 -t 90 -x "$X" -n smoke-ok -c "` + boxSlack + `" -j /tmp/ok.xml $K; echo "@@CASE success exit $?"
# This case reads the console from xenconsoled's log (-L) instead of xl console.
$R -q -m 32 -t 90 -x "$X" -n smoke-fail -L /var/log/xen/console/guest-smoke-fail.log -c "-run xen,memory -fail memory.checksum" -o /tmp/fail $K; echo "@@CASE failure exit $?"
$R -q -m 32 -t 5 -x "$X" -n smoke-sleeper /box/guest.elf; echo "@@CASE crash exit $?"
$R -m 32 -t nonsense $K; echo "@@CASE usage exit $?"
echo "@@FAILLOG $(grep -c '^FAIL  memory.checksum: failed on purpose' /tmp/fail/console.log) $(tail -n 1 /tmp/fail/console.log)"
echo "@@JUNIT $(grep -c '<testcase' /tmp/ok.xml) cases, $(grep -c '<skipped' /tmp/ok.xml) skipped, $(grep -c '<failure' /tmp/ok.xml) failures"
grep -B1 -A4 '<failure' /tmp/ok.xml # which check, and what it measured
xl list
xl shutdown -w guest
`
	r := boot(t, box.Config{Kernel: sleeper, Mode: box.DomU, Memory: 32, Timeout: 300 * time.Second,
		Files:      map[string][]byte{"/opt/smoke/smoke.elf": elf, "/opt/smoke/smoke-runner": runner},
		Dom0Script: script})
	t.Logf("dom0 script:\n%s", r.Script)
	expect(t, r, box.PoweredOff, "sleeping for an hour")
	for _, c := range []struct{ name, exit, summary string }{
		// Seen either gone (destroyed on poweroff) or in its last moments ("shut down (state --ps--)").
		{"success", "0", "smoke-runner: smoke-ok: SUCCESS (exit 0), the domain "},
		{"failure", "5", "smoke-runner: smoke-fail: FAILURE (exit 5), the domain crashed"},
		{"crash", "6", "smoke-runner: smoke-sleeper: CRASH (exit 6), the domain still running at the timeout of 5 s: destroyed"},
		{"usage", "64", "smoke-runner: -t nonsense: not a whole number of seconds"},
	} {
		if !strings.Contains(r.Script, "@@CASE "+c.name+" exit "+c.exit+"\n") {
			t.Errorf("case %s: want exit %s", c.name, c.exit)
		}
		if !strings.Contains(r.Script, c.summary) {
			t.Errorf("case %s: no line %q", c.name, c.summary)
		}
	}
	if strings.Contains(r.Script, "smoke-ok: SUCCESS (exit 0), the domain crashed") {
		t.Errorf("the smoke guest crashed after SUCCESS")
	}
	if !strings.Contains(r.Script, "@@FAILLOG 1 Test result: FAILURE\n") {
		t.Errorf("the console taken from xenconsoled's log lacks the failed check or ends otherwise")
	}
	if !strings.Contains(r.Script, "@@JUNIT 20 cases, 0 skipped, 0 failures") {
		t.Errorf("the JUnit file does not hold 20 passing cases")
	}
	for _, m := range regexp.MustCompile(`smoke-runner: (smoke-[a-z]+): ([A-Z]+) \(exit \d+\).*\[([0-9.]+) s from xl create to exit\]`).FindAllStringSubmatch(r.Script, -1) {
		t.Logf("FIGURES smoke-runner %s %s: %s s from xl create to exit", m[1], m[2], m[3])
	}
	if strings.Contains(r.Script, "smoke-ok") && !strings.Contains(r.Script, "exit 0") {
		t.Errorf("the script did not finish")
	}
}
