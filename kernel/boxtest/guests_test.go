package boxtest

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goxen/goxen/box"
)

// check is one box test's program and what its end must be, apart from
// how it is booted: its own test boots it alone (in PVH, or in PV under
// XENBOX_TYPE=pv), and TestPVGuests runs it as one of many PV domUs that
// dom0 creates in a single boot with scripts/goxen-run. One definition
// serves both, so the two modes are held to the same lines.
type check struct {
	name    string // the subtest's name in TestPVGuests, and the domain's
	pkg     string // the program, relative to the module root
	mode    box.Mode
	cmdline string
	// memory is the domain's memory in MiB (0: the mode's default);
	// pvMemory, if set, is PV's, where the bootstrap region Xen builds
	// (start info, P2M list, page tables, stack) takes more than PVH's.
	memory, pvMemory int
	timeout          time.Duration
	want             box.Outcome
	lines            []string
	// byType are lines that only a guest of that type prints.
	byType map[box.Type][]string
	// input are lines typed into the guest's console, a second apart,
	// once it has printed something.
	input []string
	// during is dom0's side while the guest runs (busybox sh, started
	// once the guest has printed something): $G is the guest's domain
	// name and $DOMID its id. Its output is the result's Script.
	during string
	// more checks the result further (its Console, Script, CPUTime).
	more func(t testingT, r *box.Result)
}

// testingT is what a check's more function needs of a test.
type testingT interface {
	Helper()
	Logf(string, ...any)
	Errorf(string, ...any)
	Fatalf(string, ...any)
}

// memoryFor is c's memory in MiB for a guest of type typ.
func (c check) memoryFor(typ box.Type) int {
	if typ == box.PV && c.pvMemory != 0 {
		return c.pvMemory
	}
	return c.memory
}

// linesFor is every line c wants from a guest of type typ.
func (c check) linesFor(typ box.Type) []string {
	return append(append([]string(nil), c.lines...), c.byType[typ]...)
}

// config is the box configuration of c booted alone as a guest of type
// typ (the box's guest is named "guest").
func (c check) config(kernel string, typ box.Type) box.Config {
	cfg := box.Config{Kernel: kernel, Mode: c.mode, Type: typ, Memory: c.memoryFor(typ), Cmdline: c.cmdline,
		Timeout: c.timeout, Input: c.input}
	if c.during != "" {
		cfg.Dom0Script = "G=guest\n" + c.during
	}
	return cfg
}

// elfName is where the shared boot puts c's kernel in dom0.
func (c check) elfName() string { return "/opt/pv/" + path.Base(c.pkg) + ".elf" }

// guestsPrelude defines run_guest for guestsScript: it creates $G from
// an ELF as a PV domU with goxen-run (the end preserved, -k, so xl list
// still shows its CPU time), runs the case's dom0 side once the guest
// has printed, and prints, each line marked with the guest's name, the
// dom0 side's output ("G> "), the console ("G| ") and the end ("G= RC
// CPU SUMMARY", RC goxen-run's exit status, which is box.Outcome's code).
const guestsPrelude = `R=/opt/pv/goxen-run
# The box's guests sit on physical CPU 1, away from dom0's (see box.guestCPUs).
X='cpus = "1"'
start_guest() { # ELF MEMORY TIMEOUT CMDLINE
	LOG=/var/log/xen/console/guest-$G.log
	$R -q -k -T pv -x "$X" -n "$G" -m "$2" -t "$3" -c "$4" -L "$LOG" -o "/tmp/$G" "$1" >"/tmp/$G.sum" 2>&1 &
	P=$!
}
wait_output() {
	i=0
	until [ -s "$LOG" ] || [ $i -ge 600 ]; do usleep 100000; i=$((i + 1)); done
	DOMID=$(xl domid "$G" 2>/dev/null)
}
end_guest() {
	wait $P
	rc=$?
	cpu=$(xl list "$G" 2>/dev/null | awk 'NR == 2 { print $6 }')
	xl destroy "$G" >/dev/null 2>&1
	sed "s/^/$G| /" "/tmp/$G/console.log"
	echo "$G= $rc ${cpu:--} $(tail -n 1 "/tmp/$G.sum")"
}
`

// domUMemory is a domU's memory in MiB when its check names none, as
// in box.Config.
const domUMemory = 32

// guestsScript is dom0's script for the shared boot: each check in
// turn, then `xl shutdown -w guest` for the box's own guest.
func guestsScript(checks []check, timeout time.Duration) string {
	var b strings.Builder
	b.WriteString(guestsPrelude)
	for _, c := range checks {
		mem := c.memoryFor(box.PV)
		if mem == 0 {
			mem = domUMemory
		}
		fmt.Fprintf(&b, "\n# %s\nG=pv-%s\nstart_guest %s %d %d %s\n", c.name, c.name, c.elfName(), mem,
			int(c.timeoutOr(timeout).Seconds()), shellQuote(c.cmdline))
		if side := c.dom0Side(); side != "" {
			fmt.Fprintf(&b, "wait_output\n(\n%s\n) 2>&1 | sed \"s/^/$G> /\"\n", strings.TrimRight(side, "\n"))
		}
		b.WriteString("end_guest\n")
	}
	b.WriteString("\nxl shutdown -w guest\n")
	return b.String()
}

func (c check) timeoutOr(d time.Duration) time.Duration {
	if c.timeout != 0 {
		return c.timeout
	}
	return d
}

// dom0Side is c's during, after the input typed into the guest's
// console as the box types it (into the pty xenconsoled serves).
func (c check) dom0Side() string {
	if len(c.input) == 0 {
		return c.during
	}
	var b strings.Builder
	b.WriteString("tty=$(xenstore-read /local/domain/$DOMID/console/tty)\n")
	for _, l := range c.input {
		fmt.Fprintf(&b, "sleep 1; printf '%%s\\n' %s >\"$tty\"\n", shellQuote(l))
	}
	return b.String() + c.during
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// guestResults reads guestsScript's output: per check name, a result
// with the guest's outcome (from goxen-run's exit status), console,
// dom0 side's output and CPU time (-1 if unknown). A guest without its
// end line (the script was cut short) is a BoxError that says so.
func guestResults(script string) map[string]*box.Result {
	out := map[string]*box.Result{}
	for _, l := range strings.Split(script, "\n") {
		name, rest, ok := cutName(l)
		if !ok {
			continue
		}
		r := out[name]
		if r == nil {
			r = &box.Result{Outcome: box.BoxError, Detail: "dom0 printed no end for this guest", CPUTime: -1}
			out[name] = r
		}
		text := strings.TrimPrefix(rest[1:], " ")
		switch rest[0] {
		case '|':
			r.Console += text + "\n"
		case '>':
			r.Script += text + "\n"
		case '=':
			m := guestEnd.FindStringSubmatch(text)
			if m == nil {
				r.Detail = "a bad end line: " + text
				continue
			}
			rc, _ := strconv.Atoi(m[1])
			r.Outcome, r.Detail = outcomeOfCode(rc), m[3]
			if s, err := strconv.ParseFloat(m[2], 64); err == nil {
				r.CPUTime = time.Duration(s * float64(time.Second))
			}
		}
	}
	return out
}

// guestEnd is the text of an end line: RC CPU SUMMARY.
var guestEnd = regexp.MustCompile(`^(\d+) (\S+) (.*)$`)

// cutName splits a line "pv-NAME" + marker + text into NAME and the rest
// from the marker on ('|' console, '>' dom0 side, '=' end).
func cutName(l string) (name, rest string, ok bool) {
	l, ok = strings.CutPrefix(l, "pv-")
	i := strings.IndexAny(l, "|>=")
	if !ok || i <= 0 || strings.ContainsAny(l[:i], " \t") {
		return "", "", false
	}
	return l[:i], l[i:], true
}

// outcomeOfCode is the outcome whose exit status (goxen-run's, which
// are xenbox's) is code; any code no outcome has is a BoxError.
func outcomeOfCode(code int) box.Outcome {
	for _, o := range []box.Outcome{box.PoweredOff, box.Crashed, box.Timeout, box.CreateFailed, box.Rebooted} {
		if o.ExitCode() == code {
			return o
		}
	}
	return box.BoxError
}
