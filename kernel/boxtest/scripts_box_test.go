//go:build box

package boxtest

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// scripts/goxen-run in the box's dom0, as a user runs it on a Xen host:
// hello powers off (0), a program that exits 3 crashes (2), the sleeper
// runs into the timeout (3) or is rebooted by `xl reboot` (6), a file
// that is no kernel fails xl create (4), and a bad command line is 64.
// The box's own guest is the sleeper, kept alive while the script runs
// and shut down at the end. One dom0 boot serves every case.
// (smoke-runner, a link to the same script, is TestSmokeRunner's.)
func TestScriptsGoxenRun(t *testing.T) {
	files := map[string][]byte{}
	for path, pkg := range map[string]string{"/opt/run/hello.elf": "./examples/hello", "/opt/run/exit3.elf": "./kernel/boxtest/testdata/exit3"} {
		b, err := os.ReadFile(buildKernel(t, pkg))
		if err != nil {
			t.Fatal(err)
		}
		files[path] = b
	}
	sleeper := buildKernel(t, "./kernel/boxtest/testdata/sleeper")
	script, err := os.ReadFile("../../scripts/goxen-run")
	if err != nil {
		t.Fatal(err)
	}
	files["/opt/run/goxen-run"] = script
	dom0 := `R=/opt/run/goxen-run
# The box's guests sit on physical CPU 1, away from dom0's (see box.guestCPUs).
X='cpus = "1"'
$R -x "$X" -n run-hello /opt/run/hello.elf; echo "@@CASE poweroff exit $?"
# This case reads the console from xenconsoled's log (-L) instead of xl console.
$R -x "$X" -n run-exit3 -L /var/log/xen/console/guest-run-exit3.log /opt/run/exit3.elf; echo "@@CASE crash exit $?"
$R -q -x "$X" -n run-sleep -t 5 /box/guest.elf; echo "@@CASE timeout exit $?"
# xl reboot once the guest has printed (its xenstore watch is set by then).
$R -q -x "$X" -n run-reboot -t 120 /box/guest.elf >/tmp/reboot.out 2>&1 &
P=$!
i=0
while ! grep -q sleeping /var/log/xen/console/guest-run-reboot.log 2>/dev/null && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
xl reboot run-reboot
wait $P; echo "@@CASE reboot exit $?"
cat /tmp/reboot.out
$R -q -x "$X" -n run-bad /opt/run/goxen-run; echo "@@CASE create-failed exit $?"
$R -m 0 /opt/run/hello.elf; echo "@@CASE usage exit $?"
$R --help | grep -c '^Exit status'; echo "@@CASE help exit $?"
xl list
xl shutdown -w guest
`
	r := boot(t, box.Config{Kernel: sleeper, Mode: box.DomU, Memory: 32, Timeout: 300 * time.Second,
		Files: files, Dom0Script: dom0})
	t.Logf("dom0 script:\n%s", r.Script)
	expect(t, r, box.PoweredOff, "sleeping for an hour")
	// Each case's exit status, as the script reported it.
	exits := map[string]string{}
	for _, m := range regexp.MustCompile(`@@CASE (\S+) exit (\d+)`).FindAllStringSubmatch(r.Script, -1) {
		exits[m[1]] = m[2]
	}
	want := map[string]string{"poweroff": "0", "crash": "2", "timeout": "3", "reboot": "6", "create-failed": "4", "usage": "64", "help": "0"}
	for name, code := range want {
		if got, ok := exits[name]; !ok {
			t.Errorf("case %s: did not finish", name)
		} else if got != code {
			t.Errorf("case %s: exit %s, want %s", name, got, code)
		}
	}
	// The summary lines say the same in words, and --help lists the statuses.
	for _, l := range []string{
		"goxen-run: run-hello: POWEROFF (exit 0), the domain powered off (state ---s",
		"goxen-run: run-exit3: CRASH (exit 2), the domain crashed (state ",
		"goxen-run: run-sleep: TIMEOUT (exit 3), the domain still running at the timeout of 5 s: destroyed",
		"goxen-run: run-reboot: REBOOT (exit 6), the domain rebooted (state ---sr",
		"goxen-run: run-bad: CREATE-FAILED (exit 4), xl create failed",
		"goxen-run: -m must be at least 1",
		"1\n@@CASE help",
	} {
		if !strings.Contains(r.Script, l) {
			t.Errorf("no line %q in the script's output", l)
		}
	}
	// The console reached the user: live through xl console for hello,
	// from xenconsoled's log for exit3.
	for _, l := range []string{"hello, world", "exiting with status 3", "goxen: exit status 3"} {
		if !strings.Contains(r.Script, l) {
			t.Errorf("no console line %q in the script's output", l)
		}
	}
	for _, m := range regexp.MustCompile(`goxen-run: (run-[a-z0-9]+): ([A-Z-]+) \(exit \d+\).*\[([0-9.]+) s from xl create to exit\]`).FindAllStringSubmatch(r.Script, -1) {
		t.Logf("FIGURES goxen-run %s %s: %s s from xl create to exit", m[1], m[2], m[3])
	}
}
