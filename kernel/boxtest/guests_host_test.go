package boxtest

import (
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// The shared boot's output is read back per guest: console, dom0 side,
// outcome by goxen-run's exit status, CPU time; a guest dom0 never
// finished is a box error that says so, and lines of other kinds are
// left alone.
func TestGuestResults(t *testing.T) {
	script := strings.Join([]string{
		"dom0 chatter",
		"pv-exit| exiting with status 3",
		"pv-exit| goxen: exit status 3",
		"pv-exit= 2 0.3 goxen-run: pv-exit: CRASH (exit 2), the domain crashed (state --ps-c-)",
		"pv-stop> xl exit 0",
		"pv-stop| sleeping for an hour",
		"pv-stop= 6 1.5 goxen-run: pv-stop: REBOOT (exit 6), the domain rebooted",
		"pv-idle| done",
		"pv-idle= 0 - goxen-run: pv-idle: POWEROFF (exit 0)",
		"pv-cut| half a line",
		"pv-odd= x",
		"pv- bad| not a guest",
		"exit 0",
	}, "\n")
	got := guestResults(script)
	if len(got) != 5 {
		t.Fatalf("%d guests, want 5: %v", len(got), got)
	}
	for name, want := range map[string]box.Result{
		"exit": {Outcome: box.Crashed, Console: "exiting with status 3\ngoxen: exit status 3\n", CPUTime: 300 * time.Millisecond,
			Detail: "goxen-run: pv-exit: CRASH (exit 2), the domain crashed (state --ps-c-)"},
		"stop": {Outcome: box.Rebooted, Console: "sleeping for an hour\n", Script: "xl exit 0\n", CPUTime: 1500 * time.Millisecond,
			Detail: "goxen-run: pv-stop: REBOOT (exit 6), the domain rebooted"},
		"idle": {Outcome: box.PoweredOff, Console: "done\n", CPUTime: -1, Detail: "goxen-run: pv-idle: POWEROFF (exit 0)"},
		"cut":  {Outcome: box.BoxError, Console: "half a line\n", CPUTime: -1, Detail: "dom0 printed no end for this guest"},
		"odd":  {Outcome: box.BoxError, CPUTime: -1, Detail: "a bad end line: x"},
	} {
		r := got[name]
		if r == nil || r.Outcome != want.Outcome || r.Console != want.Console || r.Script != want.Script ||
			r.CPUTime != want.CPUTime || r.Detail != want.Detail {
			t.Errorf("%s: %+v\nwant %+v", name, r, want)
		}
	}
}

// Every outcome's code maps back to it; an unknown code is a box error.
func TestOutcomeOfCode(t *testing.T) {
	for _, o := range []box.Outcome{box.PoweredOff, box.Crashed, box.Timeout, box.CreateFailed, box.Rebooted} {
		if got := outcomeOfCode(o.ExitCode()); got != o {
			t.Errorf("outcomeOfCode(%d) = %v, want %v", o.ExitCode(), got, o)
		}
	}
	for _, c := range []int{1, 5, 64, 143} {
		if got := outcomeOfCode(c); got != box.BoxError {
			t.Errorf("outcomeOfCode(%d) = %v, want box error", c, got)
		}
	}
}

// The script runs each check as a PV domU at its PV memory and timeout,
// with its command line quoted, its input typed into its console and
// its dom0 side run once it has printed; the box's guest goes last.
func TestGuestsScript(t *testing.T) {
	s := guestsScript([]check{
		{name: "small", pkg: "./examples/hello", memory: 4, pvMemory: 8},
		{name: "args", pkg: "./kernel/boxtest/testdata/hardening", cmdline: "it's", timeout: 90 * time.Second},
		{name: "echo", pkg: "./examples/echo", input: []string{"a line", "quit"}},
		{name: "stop", pkg: "./kernel/boxtest/testdata/sleeper", during: "xl shutdown $G\n"},
	}, 60*time.Second)
	for _, want := range []string{
		"G=pv-small\nstart_guest /opt/pv/hello.elf 8 60 ''\nend_guest\n",
		`start_guest /opt/pv/hardening.elf 32 90 'it'\''s'`,
		"wait_output\n(\ntty=$(xenstore-read /local/domain/$DOMID/console/tty)\nsleep 1; printf '%s\\n' 'a line' >\"$tty\"\nsleep 1; printf '%s\\n' 'quit' >\"$tty\"\n) 2>&1 | sed \"s/^/$G> /\"\nend_guest\n",
		"wait_output\n(\nxl shutdown $G\n) 2>&1",
		"-T pv", "-k",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if !strings.HasSuffix(s, "\nxl shutdown -w guest\n") {
		t.Errorf("the script does not end by shutting down the box's guest:\n%s", s)
	}
}
