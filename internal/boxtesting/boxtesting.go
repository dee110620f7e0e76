// Package boxtesting holds what the box tests of several packages share:
// booting a kernel under Xen from a test, and checking how it ended.
package boxtesting

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting/faults"
)

// Boot runs cfg in the box, with the test's own temporary directory for
// the logs and the box's progress in the test log, and logs the summary
// and the guest console. A box error fails the test.
//
// Every boot counts in faults.Default. A run that ended in a fault of the
// emulated CPU (PlatformFault) is run once more, and said so in the log,
// if it is the test's first in this run of the test binary; a test's
// second platform fault, in the same Boot call or a later one, fails it
// and is the result.
func Boot(t *testing.T, cfg box.Config) *box.Result {
	t.Helper()
	return bootWith(t, faults.Default, func() *box.Result { return boot(t, cfg) })
}

// bootWith is Boot with the account and the boot itself given.
func bootWith(t faults.TB, a *faults.Account, run func() *box.Result) *box.Result {
	t.Helper()
	for {
		a.Boot()
		r := run()
		why := PlatformFault(r)
		if why == "" || !a.Fault(t, why) {
			return r
		}
	}
}

// Main runs a box test package's tests and prints, at the end, how many
// of the binary's boots met a platform fault and which tests retried
// ("platform faults: N of M boots"). Call it from TestMain:
//
//	func TestMain(m *testing.M) { boxtesting.Main(m) }
func Main(m *testing.M) { faults.Main(m) }

func boot(t *testing.T, cfg box.Config) *box.Result {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	cfg.Type = Type(t, cfg)
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	cfg.Progress = Writer{t}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := box.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("box: %v", err)
	}
	t.Logf("%s", r.Summary())
	t.Logf("guest console:\n%s", r.Console)
	return r
}

// TypeEnv is the environment variable that, set to "pv", boots every
// guest of a box test run as classic PV (make test-pv-all): the box
// suite in PV mode. Unset or "pvh", each boot keeps its Config.Type.
const TypeEnv = "XENBOX_TYPE"

// Type is the guest type a boot of cfg uses in this run: PV for every
// boot under XENBOX_TYPE=pv, else cfg.Type. A test chooses what it
// expects of a mode by it (e.g. "PV start info" or "PVH start info").
// Any other value of XENBOX_TYPE fails the test.
func Type(t testing.TB, cfg box.Config) box.Type {
	t.Helper()
	typ, err := typeFor(os.Getenv(TypeEnv), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// typeFor is Type with the variable's value given.
func typeFor(env string, cfg box.Config) (box.Type, error) {
	if env == "" {
		return cfg.Type, nil
	}
	typ, err := box.ParseType(env)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want pv (every guest PV) or pvh (each boot's own type)", TypeEnv, env)
	}
	if typ == box.PV {
		return box.PV, nil
	}
	return cfg.Type, nil
}

// PlatformFault says why r ended in a fault of the test bed (Xen under
// QEMU's software-emulated SVM) rather than of the guest, or "": see
// box.Result.PlatformFault. Only states a correct CPU cannot reach
// count: a triple fault whose RIP is in Xen, and the kernel's report of
// one ("goxen: platform fault: ...", e.g. an upcall delivered on top of
// its own delivery, kernel/trap.go).
func PlatformFault(r *box.Result) string { return r.PlatformFault() }

// Expect checks the outcome and that each line appears on the console.
func Expect(t *testing.T, r *box.Result, want box.Outcome, lines ...string) {
	t.Helper()
	if r.Outcome != want {
		t.Logf("xen log tail:\n%s", Tail(r.XenLog, 30))
		// The verdict comes last, where a log cut short still shows it.
		t.Errorf("outcome %v (%s), want %v", r.Outcome, r.Detail, want)
	}
	for _, l := range lines {
		if !strings.Contains(r.Console, l) {
			t.Errorf("console lacks %q", l)
		}
	}
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// Writer sends what is written to the test log, a line at a time.
type Writer struct{ T *testing.T }

func (w Writer) Write(p []byte) (int, error) {
	w.T.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
