//go:build box

package boxtest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// shutdownScript is dom0's side: wait for the guest ($G) to settle, run
// cmd (xl shutdown or xl reboot), and time how long until the domain has
// shut down, by dom0's clock.
func shutdownScript(cmd string) string {
	return `sleep 2
now; t0=$T
` + cmd + ` "$G"
echo "xl exit $?"
i=0
while [ $i -lt 200 ]; do
	s=$(xl list "$G" 2>/dev/null | awk 'NR == 2 { print $5 }')
	case "$s" in ???s* | "") break ;; esac
	usleep 20000
	i=$((i + 1))
done
now
echo "shut down after $(echo "$t0 $T" | awk '{ printf "%.2f", $2 - $1 }') s"
`
}

// shutDownAfter reads the script's timing, in seconds.
func shutDownAfter(t testingT, r *box.Result) float64 {
	t.Helper()
	t.Logf("dom0 script:\n%s", r.Script)
	m := regexp.MustCompile(`shut down after ([0-9.]+) s`).FindStringSubmatch(r.Script)
	if m == nil {
		t.Fatalf("the dom0 script gave no timing")
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// `xl shutdown` reaches a guest that sleeps for an hour and has no
// SIGTERM handler: the kernel acknowledges, the program is ended at once,
// and the domain shuts down with reason poweroff within 3 s.
var xlShutdownCheck = check{name: "xl-shutdown", pkg: "./kernel/boxtest/testdata/sleeper", mode: box.DomU, memory: 32,
	timeout: 60 * time.Second, during: shutdownScript("xl shutdown"),
	want: box.PoweredOff, lines: []string{"sleeping for an hour",
		"goxen: the toolstack asks for poweroff: acknowledged; SIGTERM to the program",
		"goxen: killed by signal 15", "goxen: poweroff, as the toolstack asked"},
	more: func(t testingT, r *box.Result) {
		took := shutDownAfter(t, r)
		t.Logf("FIGURES xl shutdown to domain shut down: %.2f s (dom0's clock)", took)
		if !strings.Contains(r.Script, "xl exit 0") {
			t.Errorf("xl shutdown failed")
		}
		if took >= 3 {
			t.Errorf("the domain took %.2f s to shut down, want under 3 s", took)
		}
	}}

func TestXLShutdown(t *testing.T) { xlShutdownCheck.run(t) }

// With a SIGTERM handler the program finishes first; its exit 0 ends the
// domain with the reason asked for. `xl shutdown -w` waits and returns 0.
var xlShutdownHandlerCheck = check{name: "xl-shutdown-handler", pkg: "./kernel/boxtest/testdata/sleeper", mode: box.DomU, memory: 32,
	cmdline: "handler", timeout: 60 * time.Second, during: shutdownScript("xl shutdown -w"),
	want: box.PoweredOff, lines: []string{"sleeping for an hour, with a SIGTERM handler",
		"goxen: the toolstack asks for poweroff: acknowledged; SIGTERM to the program",
		"SIGTERM handler: cleaning up, then exiting 0",
		"goxen: the program exited; poweroff, as the toolstack asked"},
	more: func(t testingT, r *box.Result) {
		if strings.Contains(r.Console, "killed by signal") {
			t.Errorf("the program was killed although it handles SIGTERM")
		}
		if !strings.Contains(r.Script, "xl exit 0") {
			t.Errorf("xl shutdown -w did not return 0")
		}
		t.Logf("FIGURES xl shutdown -w, program with a handler: %.2f s", shutDownAfter(t, r))
	}}

func TestXLShutdownWithHandler(t *testing.T) { xlShutdownHandlerCheck.run(t) }

// `xl reboot` ends the domain with reason reboot (the box preserves it).
var xlRebootCheck = check{name: "xl-reboot", pkg: "./kernel/boxtest/testdata/sleeper", mode: box.DomU, memory: 32,
	timeout: 60 * time.Second, during: shutdownScript("xl reboot"),
	want: box.Rebooted, lines: []string{"goxen: the toolstack asks for reboot: acknowledged; SIGTERM to the program",
		"goxen: reboot, as the toolstack asked"},
	more: func(t testingT, r *box.Result) {
		t.Logf("FIGURES xl reboot to domain shut down: %.2f s", shutDownAfter(t, r))
	}}

func TestXLReboot(t *testing.T) { xlRebootCheck.run(t) }

// A program reads and writes xenstore through /dev/xen/xenbus and watches
// a key: dom0 reads what it wrote under data/, and the value dom0 writes
// reaches it through the watch. The guest prints its name and domid.
var xenstoreCheck = check{name: "xenstore", pkg: "./examples/store", mode: box.DomU, memory: 32, timeout: 60 * time.Second,
	during: `echo "domain $G"
i=0
until xenstore-read /local/domain/$DOMID/data/greeting >/dev/null 2>&1 || [ $i -ge 100 ]; do usleep 100000; i=$((i + 1)); done
echo "dom0 read: $(xenstore-read /local/domain/$DOMID/data/greeting)"
sleep 1
xenstore-write /local/domain/$DOMID/data/input "typed in dom0"
sleep 2
xl shutdown -w "$G"
echo "xl shutdown -w: $?"
`,
	want: box.PoweredOff, lines: []string{
		"store: no/such/key does not exist, as expected",
		"store: a 2000-byte value went there and back intact",
		"store: watching data/input",
		`store: data/input changed: "typed in dom0"`,
		"store: SIGTERM: the toolstack wants us gone; goodbye"},
	more: func(t testingT, r *box.Result) {
		t.Logf("dom0 script:\n%s", r.Script)
		// The guest knows its own name (the box's guest is "guest").
		if m := regexp.MustCompile(`(?m)^domain (\S+)$`).FindStringSubmatch(r.Script); m == nil {
			t.Errorf("the dom0 script did not name the domain")
		} else {
			for _, l := range []string{`goxen: xenstore: domain "` + m[1] + `", domid `, `store: name = "` + m[1] + `"`} {
				if !strings.Contains(r.Console, l) {
					t.Errorf("console lacks %q", l)
				}
			}
		}
		if !strings.Contains(r.Script, "dom0 read: hello from goxen") {
			t.Errorf("dom0 did not read what the guest wrote")
		}
		if !strings.Contains(r.Script, "xl shutdown -w: 0") {
			t.Errorf("xl shutdown -w did not return 0")
		}
		if m := regexp.MustCompile(`a read takes ([0-9.]+) ms`).FindStringSubmatch(r.Console); m != nil {
			t.Logf("FIGURES xenstore read round trip: %s ms", m[1])
		}
	}}

func TestXenstore(t *testing.T) { xenstoreCheck.run(t) }

// A program holds a /dev/xen/xenbus it never reads while its watch there
// fires hundreds of times: the kernel drops that file's events (and says
// so), its other connection is answered throughout, and `xl shutdown`
// is still heard (issue 23, item 8).
func TestXenbusStalledReader(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/xenbusstall")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Timeout: 120 * time.Second,
		Dom0Script: `i=0
until xenstore-read /local/domain/$DOMID/data/flooded >/dev/null 2>&1 || [ $i -ge 600 ]; do usleep 100000; i=$((i + 1)); done
G=guest
` + shutdownScript("xl shutdown")})
	expect(t, r, box.PoweredOff, "xenbusstall: 400 writes under a watch nobody reads, all answered",
		"watch events dropped for a /dev/xen/xenbus that is not read",
		"goxen: the toolstack asks for poweroff: acknowledged; SIGTERM to the program")
	if n := strings.Count(r.Console, "watch events dropped"); n > 2 {
		t.Errorf("%d lines about dropped events; want the first, then one a thousand", n)
	}
	t.Logf("FIGURES xl shutdown with an unread xenbus file: %.2f s", shutDownAfter(t, r))
}

// A program closes /dev/xen/xenbus 150 times with a transaction and a
// watch open: the kernel ends both at close, so xenstored's quotas never
// refuse the next (issue 23, item 11).
func TestXenbusCloseEndsTransactions(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/xenbusclose")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Timeout: 90 * time.Second})
	expect(t, r, box.PoweredOff,
		"xenbusclose: 150 files closed with a transaction and a watch open; every start and watch was granted")
}
