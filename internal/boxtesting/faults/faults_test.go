package faults

import (
	"fmt"
	"strings"
	"testing"
)

// fakeT records what the account says to a test.
type fakeT struct {
	name       string
	logs, errs []string
}

func (t *fakeT) Helper()                    {}
func (t *fakeT) Name() string               { return t.name }
func (t *fakeT) Logf(f string, args ...any) { t.logs = append(t.logs, fmt.Sprintf(f, args...)) }
func (t *fakeT) Errorf(format string, args ...any) {
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
}

func TestAccount(t *testing.T) {
	var a Account
	idle, timers, clean := &fakeT{name: "TestIdleCPU"}, &fakeT{name: "TestTimers"}, &fakeT{name: "TestHello"}
	a.Boot()
	a.Boot()
	if !a.Fault(idle, "a triple fault inside Xen") {
		t.Fatal("first fault of a test: no retry")
	}
	if len(idle.errs) != 0 || len(idle.logs) != 1 || !strings.Contains(idle.logs[0], "booting once more") {
		t.Errorf("first fault: logs %q errs %q", idle.logs, idle.errs)
	}
	a.Boot() // the retry
	a.Boot() // the test's second boot (e.g. the busy guest)
	if !a.Fault(timers, "x") {
		t.Error("another test's first fault: no retry")
	}
	a.Boot()
	// The same test again, in a later boot: it fails.
	if a.Fault(idle, "the kernel reported a platform fault: upcall") {
		t.Error("second fault of a test: retried")
	}
	if len(idle.errs) != 1 || !strings.Contains(idle.errs[0], "platform fault again") || !strings.Contains(idle.errs[0], "2 in this test") {
		t.Errorf("second fault: errs %q", idle.errs)
	}
	a.Boot()
	if len(clean.errs)+len(clean.logs)+len(timers.errs) != 0 {
		t.Error("a test without a second fault was told something")
	}
	if b, f := a.Counts(); b != 6 || f != 3 {
		t.Errorf("counts %d boots %d faults, want 6 and 3", b, f)
	}
	want := "platform faults: 3 of 6 boots\n" +
		"  TestIdleCPU: 2, FAILED (a triple fault inside Xen; the kernel reported a platform fault: upcall)\n" +
		"  TestTimers: 1, retried (x)\n"
	if got := a.Report(); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

func TestAccountEmpty(t *testing.T) {
	var a Account
	a.Boot()
	if got := a.Report(); got != "platform faults: 0 of 1 boots\n" {
		t.Errorf("report %q", got)
	}
}
