//go:build box

package boxtest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting/faults"
)

// The stock-Go flavour as a classic PV guest: the Go program runs in PV
// guest-user mode and powers off, as a domU (console ring found by
// machine frame) and as dom0 (console_io, no xenstore).
func TestStockPVDomU(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: 32})
	expect(t, r, box.PoweredOff, "hello, world", "PV start info", "goxen: PV entry, guest-kernel mode")
	if strings.Contains(r.Console, "goxen: fatal:") {
		t.Errorf("a fatal line:\n%s", r.Console)
	}
}

func TestStockPVDom0(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Type: box.PV})
	expect(t, r, box.PoweredOff, "hello, world", "PV start info", "goxen: no xenstore: dom0 starts before any toolstack")
}

// pvGuestChecks are the checks TestPVGuests runs as PV domUs in one boot:
// every one of the list whose subject a domU created by xl has.
var pvGuestChecks = []check{
	helloCheck, smallMemoryCheck, exitStatusCheck, panicCheck, nilDereferenceCheck, outOfMemoryCheck,
	readOnlyMemoryCheck, kernelMemoryCheck, sigtermCheck, tickerCheck, idleCheck, busyCheck, echoCheck,
	xlShutdownCheck, xlShutdownHandlerCheck, xlRebootCheck, xenstoreCheck,
}

// The box suite's checks in PV, many guests to a boot: dom0 creates each
// check's program in turn as a PV domU with scripts/goxen-run (xl create
// from a config of type "pv"), does the check's part (typing into its
// console, xl shutdown/reboot, xenstore), and the check's own lines and
// bounds are held against that guest's console and end, as its own test
// holds a PVH guest's. The box's own guest, a PV sleeper, is shut down
// at the end. One boot instead of one per check keeps make test short.
func TestPVGuests(t *testing.T) {
	files := map[string][]byte{}
	for _, c := range pvGuestChecks {
		if _, ok := files[c.elfName()]; ok {
			continue
		}
		b, err := os.ReadFile(buildKernel(t, c.pkg))
		if err != nil {
			t.Fatal(err)
		}
		files[c.elfName()] = b
	}
	script, err := os.ReadFile("../../scripts/goxen-run")
	if err != nil {
		t.Fatal(err)
	}
	files["/opt/pv/goxen-run"] = script
	sleeper := buildKernel(t, "./kernel/boxtest/testdata/sleeper")
	cfg := box.Config{Kernel: sleeper, Mode: box.DomU, Type: box.PV, Memory: 32, Timeout: 600 * time.Second,
		Files: files, Dom0Script: guestsScript(pvGuestChecks, 60*time.Second)}
	var r *box.Result
	var guests map[string]*box.Result
	// A guest's platform fault is the boot's: one retry, as Boot gives.
	for {
		r = boot(t, cfg)
		guests = guestResults(r.Script)
		why := ""
		for _, c := range pvGuestChecks {
			if g := guests[c.name]; g != nil && g.PlatformFault() != "" {
				why = c.name + ": " + g.PlatformFault()
				break
			}
		}
		if why == "" || !faults.Default.Fault(t, why) {
			break
		}
	}
	t.Logf("dom0 script:\n%s", r.Script)
	expect(t, r, box.PoweredOff, "sleeping for an hour")
	for _, c := range pvGuestChecks {
		t.Run(c.name, func(t *testing.T) {
			g := guests[c.name]
			if g == nil {
				t.Fatalf("dom0 never ran this guest")
			}
			t.Logf("%s: %s, cpu %v\nconsole:\n%s", c.name, g.Detail, g.CPUTime, g.Console)
			c.expect(t, g, box.PV)
		})
	}
	if idle, busy := guests[idleCheck.name], guests[busyCheck.name]; idle != nil && busy != nil {
		t.Run("idle-versus-busy", func(t *testing.T) { idleVersusBusy(t, idle, busy) })
	}
}
