package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// The checks, in the order they run: the boot path's order. A name's
// first word (before the dot) is its group; -run accepts groups.
var checkNames = []string{
	"xen.cpuid",             // CPUID leaves, XENVER_version agrees
	"xen.version",           // XENVER_extraversion, _changeset, _compile_info
	"hypercall.page",        // the page, disassembled slot by slot
	"startinfo.header",      // magic, version, flags
	"startinfo.memmap",      // no overlaps, RAM covers the image
	"startinfo.reservation", // map's RAM vs XENMEM_current/maximum_reservation (domU)
	"time.shared-info",      // mapped, pvclock record filled in
	"time.monotonic",        // 10,000 pvclock reads never go back
	"time.tsc-rate",         // pvclock vs TSC over an interval, within 1 %
	"time.wallclock",        // after 2020; moves with pvclock within 1 %
	"evtchn.loopback",       // alloc_unbound + bind_interdomain to self, send, pending
	"evtchn.upcall",         // the loopback event unmasked reaches the kernel's upcall
	"evtchn.poll",           // SCHEDOP_poll with a timeout returns on time
	"timer.sleep",           // time.Sleep / AfterFunc lateness (the kernel's VIRQ_TIMER)
	"console.ring",          // a marker written, the backend consumed it (domU)
	"xenstore.read",         // name and domid (domU)
	"xenstore.write",        // write/read round trip under data/ (domU)
	"xenstore.watch",        // a watch fires (domU)
	"gnttab.grant",          // grant a frame to ourselves, copy through it, revoke
	"memory.checksum",       // fill most free RAM, checksum it
}

// Options are what the command line (the Xen command line, os.Args[1:])
// asks for.
type Options struct {
	Run     []string // the checks to run, in order
	Fail    string   // a check to fail on purpose, "" for none
	Verbose bool
	List    bool // print the checks and exit
	// Limits of the memory check, so a large domain still finishes in
	// seconds.
	MemMiB  int
	MemTime time.Duration
	// TimerSlack is how late a timer may fire.
	TimerSlack time.Duration
}

const usage = `usage: smoke [-run CHECKS] [-fail CHECK] [-v] [-list] [-mem-mib N] [-mem-time D] [-timer-slack D]
  -run CHECKS       comma-separated checks or groups to run (default: all)
  -fail CHECK       make CHECK fail on purpose after it ran (to test a runner)
  -v                verbose: more detail under each check
  -list             list the checks and exit
  -mem-mib N        memory check: at most N MiB (default 256)
  -mem-time D       memory check: stop filling after D (default 2s)
  -timer-slack D    how late a timer may fire (default 5ms)`

// ParseOptions reads the command line. Unknown flags, unknown checks,
// and a -fail check that -run leaves out are errors.
func ParseOptions(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := fs.String("run", "", "")
	fs.StringVar(&o.Fail, "fail", "", "")
	fs.BoolVar(&o.Verbose, "v", false, "")
	fs.BoolVar(&o.List, "list", false, "")
	fs.IntVar(&o.MemMiB, "mem-mib", 256, "")
	fs.DurationVar(&o.MemTime, "mem-time", 2*time.Second, "")
	fs.DurationVar(&o.TimerSlack, "timer-slack", 5*time.Millisecond, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errors.New("help requested\n" + usage)
		}
		return o, fmt.Errorf("%v\n%s", err, usage)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	if o.MemMiB < 1 || o.MemTime <= 0 || o.TimerSlack <= 0 {
		return o, errors.New("-mem-mib, -mem-time and -timer-slack must be positive")
	}
	sel, err := selectChecks(*run)
	if err != nil {
		return o, err
	}
	o.Run = sel
	if o.Fail != "" {
		if !known(o.Fail) {
			return o, fmt.Errorf("-fail %q: no such check (checks: %s)", o.Fail, strings.Join(checkNames, ", "))
		}
		if !contains(o.Run, o.Fail) {
			return o, fmt.Errorf("-fail %q: that check is not among those -run selects", o.Fail)
		}
	}
	return o, nil
}

// selectChecks expands -run's list ("time,xenstore.read") into check
// names in checkNames' order; "" selects all.
func selectChecks(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return append([]string(nil), checkNames...), nil
	}
	want := map[string]bool{}
	for _, w := range strings.Split(list, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		n := 0
		for _, c := range checkNames {
			if c == w || strings.HasPrefix(c, w+".") {
				want[c] = true
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("-run: no check or group %q (groups: %s)", w, strings.Join(groups(), ", "))
		}
	}
	var out []string
	for _, c := range checkNames {
		if want[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

func known(name string) bool { return contains(checkNames, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// groups are the checks' first words.
func groups() []string {
	seen := map[string]bool{}
	var g []string
	for _, c := range checkNames {
		w, _, _ := strings.Cut(c, ".")
		if !seen[w] {
			seen[w] = true
			g = append(g, w)
		}
	}
	sort.Strings(g)
	return g
}

// forceFail turns res into the failure -fail asked for, keeping what the
// check measured.
func forceFail(res Result) Result {
	res.Measured = "failed on purpose (-fail " + res.Check + "); it measured: " + res.Measured
	res.Expected = "no -fail option"
	res.Verdict = Fail
	return res
}

// Mode is how the smoke test booted: as PVH or classic PV, as a domU or
// as dom0. The checks are the same in all four; a few have no subject in
// some (notHere).
type Mode struct{ PV, Dom0 bool }

func (m Mode) String() string {
	typ, kind := "PVH", "domU"
	if m.PV {
		typ = "PV"
	}
	if m.Dom0 {
		kind = "dom0"
	}
	return typ + " " + kind
}

// notHere says why check cannot run in mode m (its SKIP line), or "" if
// it applies. Only a dom0 lacks subjects: no toolstack has given it a
// console ring or xenstore, and a PVH dom0's memory map is the host's
// rather than its allocation. A PV dom0's start info counts its own pages
// (nr_pages), so its reservation check runs; and in either type a domU
// has every subject, so there nothing is skipped (a missing console ring
// or xenstore there is a failure, not a skip).
func notHere(check string, m Mode) string {
	if !m.Dom0 {
		return ""
	}
	switch check {
	case "startinfo.reservation":
		if !m.PV {
			return "a PVH dom0's memory map is the host's, not its allocation (domU and PV dom0 only)"
		}
	case "console.ring":
		return "dom0 has no console ring: it writes with console_io (domU only)"
	case "xenstore.read", "xenstore.write", "xenstore.watch":
		return "no xenstore: a dom0 starts before any toolstack (domU only)"
	}
	return ""
}
