package boxtesting

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting/faults"
)

// Only the two states a correct CPU cannot reach are blamed on the test
// bed; a crash of the guest's own making never is.
func TestPlatformFault(t *testing.T) {
	for _, tc := range []struct {
		r    box.Result
		want bool
	}{
		{box.Result{Outcome: box.Crashed, FaultInXen: true}, true},
		{box.Result{Outcome: box.Crashed, Console: "busy\ngoxen: platform fault: an event upcall was delivered again ..."}, true},
		{box.Result{Outcome: box.Crashed, Detail: "triple fault; xl state ---sr-; rip 00000000002b2c25"}, false},
		{box.Result{Outcome: box.Crashed, Console: "fatal error: runtime: split stack overflow"}, false},
		{box.Result{Outcome: box.Timeout, Console: "goxen: platform fault: "}, false},
		{box.Result{Outcome: box.PoweredOff, FaultInXen: true}, false},
	} {
		if got := PlatformFault(&tc.r) != ""; got != tc.want {
			t.Errorf("PlatformFault(%+v) = %v, want %v", tc.r, got, tc.want)
		}
	}
}

// fakeT stands in for a test: what Boot tells it.
type fakeT struct {
	name       string
	logs, errs []string
}

func (t *fakeT) Helper()                   {}
func (t *fakeT) Name() string              { return t.name }
func (t *fakeT) Logf(f string, a ...any)   { t.logs = append(t.logs, fmt.Sprintf(f, a...)) }
func (t *fakeT) Errorf(f string, a ...any) { t.errs = append(t.errs, fmt.Sprintf(f, a...)) }

// A test gets one platform-fault retry per run, not one per Boot call:
// a test that boots twice and meets a fault in each fails.
func TestBootRetriesOncePerTest(t *testing.T) {
	inXen := &box.Result{Outcome: box.Crashed, FaultInXen: true}
	reported := &box.Result{Outcome: box.Crashed, Console: "goxen: platform fault: upcall again\n"}
	ok := &box.Result{Outcome: box.PoweredOff, Console: "done\n"}
	queue := func(rs ...*box.Result) func() *box.Result {
		return func() *box.Result { r := rs[0]; rs = rs[1:]; return r }
	}
	var a faults.Account
	idle := &fakeT{name: "TestIdleCPU"}
	// First call: a fault, retried, then fine.
	if r := bootWith(idle, &a, queue(inXen, ok)); r != ok || len(idle.errs) != 0 {
		t.Fatalf("first call: %v, errs %q", r.Outcome, idle.errs)
	}
	// Second call of the same test: a fault again; no retry, the test fails.
	if r := bootWith(idle, &a, queue(reported, ok)); r != reported || len(idle.errs) != 1 {
		t.Fatalf("second call: %v, errs %q", r.Outcome, idle.errs)
	}
	// Two faults in one call: the second is the result and fails the test.
	twice := &fakeT{name: "TestTwice"}
	if r := bootWith(twice, &a, queue(inXen, inXen, ok)); r != inXen || len(twice.errs) != 1 {
		t.Fatalf("twice in a call: %v, errs %q", r.Outcome, twice.errs)
	}
	// A crash of the guest's own making is not retried.
	own := &fakeT{name: "TestPanic"}
	crash := &box.Result{Outcome: box.Crashed, Console: "panic: boom"}
	if r := bootWith(own, &a, queue(crash, ok)); r != crash || len(own.logs)+len(own.errs) != 0 {
		t.Fatalf("guest crash: %v, logs %q errs %q", r.Outcome, own.logs, own.errs)
	}
	if b, f := a.Counts(); b != 6 || f != 4 {
		t.Errorf("counts: %d boots, %d faults; want 6, 4", b, f)
	}
	if rep := a.Report(); !strings.HasPrefix(rep, "platform faults: 4 of 6 boots\n") ||
		!strings.Contains(rep, "TestIdleCPU: 2, FAILED") || !strings.Contains(rep, "TestTwice: 2, FAILED") || strings.Contains(rep, "TestPanic") {
		t.Errorf("report:\n%s", rep)
	}
}

// XENBOX_TYPE=pv makes every boot PV; unset (or pvh) leaves each boot's
// own type; anything else is an error that names the variable.
func TestTypeFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  string
		cfg  box.Type
		want box.Type
	}{
		{"", box.PVH, box.PVH}, {"", box.PV, box.PV},
		{"pv", box.PVH, box.PV}, {"PV", box.PV, box.PV},
		{"pvh", box.PVH, box.PVH}, {"pvh", box.PV, box.PV},
	} {
		got, err := typeFor(tc.env, box.Config{Type: tc.cfg})
		if err != nil || got != tc.want {
			t.Errorf("XENBOX_TYPE=%q, Config.Type %v: %v, %v; want %v", tc.env, tc.cfg, got, err, tc.want)
		}
	}
	if _, err := typeFor("hvm", box.Config{}); err == nil || !strings.Contains(err.Error(), `XENBOX_TYPE="hvm"`) {
		t.Errorf("XENBOX_TYPE=hvm: error %v", err)
	}
}
