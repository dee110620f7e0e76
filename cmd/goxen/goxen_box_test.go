//go:build box

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting"
	"github.com/goxen/goxen/internal/boxtesting/faults"
)

// TestMain prints, after the tests, "platform faults: N of M boots".
func TestMain(m *testing.M) { boxtesting.Main(m) }

// goxenBinary builds this command into a temporary directory.
func goxenBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "goxen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/goxen: %v\n%s", err, out)
	}
	return bin
}

// goxenIn runs the goxen binary in dir, the box's cache being this
// repository's (otherwise the box would build one under dir/build/box).
func goxenIn(t *testing.T, bin, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XENBOX_CACHE="+box.CacheRoot())
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("goxen %q: %v", args, err)
	}
	t.Logf("goxen %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, o.String(), boxtesting.Tail(e.String(), 15))
	return o.String(), e.String(), code
}

// A module of a user's, outside this repository: goxen build makes its
// kernel, the kernel boots as a domU started by xl create, and in that
// dom0 the configs of goxen xl, of type pvh and of type pv, pass `xl
// create -n` and then, created for real side by side, run the program to
// its end. goxen run boots the package as dom0 (PV under XENBOX_TYPE=pv).
func TestUserModule(t *testing.T) {
	bin := goxenBinary(t)
	dir := userModule(t)

	out, _, code := goxenIn(t, bin, dir, "build")
	if code != 0 || !regexp.MustCompile(`^goxen: mymodule\.elf: [0-9.]+ MiB \(\d+ bytes\), example\.com/mymodule, entry 0x[0-9a-f]+, boots as pvh\+pv, image ends at [0-9.]+ MiB; symbols and DWARF in mymodule\.elf\.dbg \([0-9.]+ MiB\)\n$`).MatchString(out) {
		t.Fatalf("goxen build: exit %d, stdout %q", code, out)
	}
	kernel := filepath.Join(dir, "mymodule.elf") // stripped: what boots below
	if _, err := os.Stat(kernel + ".dbg"); err != nil {
		t.Errorf("goxen build wrote no .dbg beside the kernel: %v", err)
	}
	// The box gives a domU physical CPUs of its own, away from dom0's (see
	// box.XLConfig): so must the second guest, hence the cpus line.
	const xlCmdline = "GREETING=bonjour -- from goxen xl"
	if _, _, code := goxenIn(t, bin, dir, "xl", "-cmdline", xlCmdline, "-extra", `cpus = "1"`, "-o", "mymodule.cfg", "mymodule.elf"); code != 0 {
		t.Fatalf("goxen xl: exit %d", code)
	}
	if _, _, code := goxenIn(t, bin, dir, "xl", "-type", "pv", "-name", "mymodule-pv", "-cmdline", xlCmdline, "-extra", `cpus = "1"`,
		"-o", "mymodule-pv.cfg", "mymodule.elf"); code != 0 {
		t.Fatalf("goxen xl -type pv: exit %d", code)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "mymodule.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mymodule.cfg:\n%s", cfg)
	cfgPV, err := os.ReadFile(filepath.Join(dir, "mymodule-pv.cfg"))
	if err != nil {
		t.Fatal(err)
	}

	// In dom0: the kernel at the path the config names (on a real host
	// it would be there), a dry run, then a real create once the box's
	// own guest has stopped, and that guest's console log. (dom0 starts
	// the script when it sees the guest's first output, so the guest
	// must not be gone by then: mymodule ticks for 1.5 s.)
	script := fmt.Sprintf(`mkdir -p %[1]s && ln -s /box/guest.elf %[2]s
xl create -n /etc/goxen/mymodule.cfg >/run/goxen-dry.out 2>&1
echo "dry-run exit $?"
sed 's/^/dry-run: /' /run/goxen-dry.out
xl create -n /etc/goxen/mymodule-pv.cfg >/run/goxen-dry-pv.out 2>&1
echo "dry-run-pv exit $?"
sed 's/^/dry-run-pv: /' /run/goxen-dry-pv.out
i=0
while [ $i -lt 200 ]; do
	case "$(xl list guest 2>/dev/null | awk 'NR == 2 { print $5 }')" in ???s* | ????c* | "") break ;; esac
	usleep 100000
	i=$((i + 1))
done
(timeout 25 xl create -F /etc/goxen/mymodule-pv.cfg >/run/goxen-create-pv.out 2>&1; echo "create-pv exit $?" >>/run/goxen-create-pv.out) &
timeout 25 xl create -F /etc/goxen/mymodule.cfg >/run/goxen-create.out 2>&1
echo "create exit $?"
wait
sed 's/^/xl: /' /run/goxen-create.out
sed 's/^/xl-pv: /' /run/goxen-create-pv.out
sleep 1
sed 's/^/console: /' /var/log/xen/console/guest-mymodule.log
sed 's/^/console-pv: /' /var/log/xen/console/guest-mymodule-pv.log
`, filepath.Dir(kernel), kernel)
	r := boxtesting.Boot(t, box.Config{
		Kernel: kernel, Mode: box.DomU, Memory: 32, Cmdline: "GREETING=hello -- from the box",
		Files:      map[string][]byte{"/etc/goxen/mymodule.cfg": cfg, "/etc/goxen/mymodule-pv.cfg": cfgPV},
		Dom0Script: script, Timeout: 60 * time.Second,
	})
	t.Logf("dom0 script:\n%s", r.Script)
	boxtesting.Expect(t, r, box.PoweredOff, "mymodule: hello from a module of its own (go1.", "linux/amd64)",
		"mymodule: args from the box", "mymodule: 78498 primes below 1000000", "mymodule: tick 3", "mymodule: done in ")

	// What xl made of the config: its JSON domain configuration, which
	// leaves out values that are xl's defaults (on_poweroff and on_crash
	// "destroy"); then the real guest's end, as xl -F saw it.
	for _, want := range []string{
		"dry-run exit 0",
		`"type": "pvh"`, `"name": "mymodule"`, fmt.Sprintf(`"kernel": %q`, kernel),
		`"max_memkb": 32768`, fmt.Sprintf(`"cmdline": %q`, xlCmdline), `"on_reboot": "restart"`,
		"create exit 0",
		"has shut down, reason code 0 0x0", "xl: Action for shutdown reason code 0 is destroy",
		"console: mymodule: bonjour from a module of its own", "console: mymodule: args from goxen xl",
		"console: mymodule: 78498 primes below 1000000", "console: mymodule: tick 3",
		// The same kernel as a PV domU.
		"dry-run-pv exit 0", `"type": "pv"`, `"name": "mymodule-pv"`,
		"xl-pv: create-pv exit 0", "console-pv: mymodule: bonjour from a module of its own", "console-pv: mymodule: args from goxen xl",
		"console-pv: mymodule: 78498 primes below 1000000", "console-pv: mymodule: tick 3",
	} {
		if !strings.Contains(r.Script, want) {
			t.Errorf("dom0 script output lacks %q", want)
		}
	}

	// goxen run builds the package in the directory and boots it, here
	// as dom0 (a boot of two seconds).
	runType := boxtesting.Type(t, box.Config{})
	for {
		faults.Default.Boot()
		out, _, code = goxenIn(t, bin, dir, "run", "-mode", "dom0", "-type", runType.String(), "-timeout", "60s", "-cmdline", "GREETING=salut -- from goxen run")
		why := ""
		switch {
		case strings.Contains(out, box.PlatformFaultLine):
			why = "the kernel reported a platform fault"
		case code == box.Crashed.ExitCode() && strings.Contains(out, "RIP is in Xen"):
			why = "a triple fault inside Xen"
		}
		if why == "" || !faults.Default.Fault(t, why) {
			break
		}
	}
	for _, want := range []string{"mymodule: salut from a module of its own", "mymodule: args from goxen run",
		"mymodule: 78498 primes below 1000000", "\ngoxen: guest powered off"} {
		if !strings.Contains(out, want) {
			t.Errorf("goxen run: output lacks %q", want)
		}
	}
	if code != 0 {
		t.Errorf("goxen run: exit %d, want 0", code)
	}
}
