// Package faults keeps the account of a box test binary's boots and of
// the platform faults among them: states of the test bed (Xen under
// QEMU's software-emulated SVM) that no correct CPU reaches, which a box
// test may retry once.
//
// The rule: a test (by t.Name()) gets one retry per run of the test
// binary, however many boots it makes. A second platform fault in the
// same test fails it, since a test bed that fails a test twice hides
// whatever the test is there to find. At the end the binary prints
// "platform faults: N of M boots" and which tests met one (Main).
//
// The package does not import package box, so that box's own tests can
// use it.
package faults

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TB is the part of testing.TB the account needs.
type TB interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Account counts boots and platform faults. The zero value is ready.
type Account struct {
	mu     sync.Mutex
	boots  int
	faults map[string][]string // test name -> why, one per fault
}

// Default is the account of the running test binary.
var Default = &Account{}

// Boot counts one boot (a retry too).
func (a *Account) Boot() {
	a.mu.Lock()
	a.boots++
	a.mu.Unlock()
}

// Fault records that a boot of test t ended in a platform fault (why),
// and says whether t may boot once more: yes for its first platform
// fault in this run, no after that, when it also fails t.
func (a *Account) Fault(t TB, why string) (retry bool) {
	t.Helper()
	a.mu.Lock()
	if a.faults == nil {
		a.faults = map[string][]string{}
	}
	name := t.Name()
	a.faults[name] = append(a.faults[name], why)
	n := len(a.faults[name])
	a.mu.Unlock()
	if n == 1 {
		t.Logf("platform fault: the emulated CPU failed (%s); booting once more (one retry per test and run)", why)
		return true
	}
	t.Errorf("platform fault again (%s): %d in this test, which may retry once per run", why, n)
	return false
}

// Counts returns the boots and the platform faults so far.
func (a *Account) Counts() (boots, faults int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range a.faults {
		faults += len(f)
	}
	return a.boots, faults
}

// Report is "platform faults: N of M boots", then a line per test that
// met one: its name, its count, and why.
func (a *Account) Report() string {
	boots, n := a.Counts()
	var b strings.Builder
	fmt.Fprintf(&b, "platform faults: %d of %d boots\n", n, boots)
	a.mu.Lock()
	defer a.mu.Unlock()
	names := make([]string, 0, len(a.faults))
	for name := range a.faults {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := a.faults[name]
		verdict := "retried"
		if len(f) > 1 {
			verdict = "FAILED"
		}
		fmt.Fprintf(&b, "  %s: %d, %s (%s)\n", name, len(f), verdict, strings.Join(f, "; "))
	}
	return b.String()
}

// Main runs the tests, prints the Default account's Report and exits
// with the tests' status. A box test package calls it from TestMain:
//
//	func TestMain(m *testing.M) { faults.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	fmt.Print(Default.Report())
	os.Exit(code)
}
