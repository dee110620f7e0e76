package box

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Mode says how the kernel under test is booted.
type Mode int

const (
	// Dom0 boots the kernel directly as Xen's PVH dom0: the fastest path,
	// with no toolstack involved.
	Dom0 Mode = iota
	// DomU boots Debian's Linux as PV dom0 and starts the kernel as a PVH
	// guest with `xl create`, as a real Xen host would.
	DomU
)

func (m Mode) String() string {
	switch m {
	case Dom0:
		return "dom0"
	case DomU:
		return "domu"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "dom0" or "domu" (any case).
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(s) {
	case "dom0":
		return Dom0, nil
	case "domu":
		return DomU, nil
	}
	return 0, fmt.Errorf("box: unknown mode %q (want dom0 or domu)", s)
}

// Type is the guest type Xen builds the kernel as: PVH (hardware
// containment, entered at PHYS32_ENTRY) or classic PV (ring 3, entered at
// the ENTRY note with start_info in %rsi). One goxen ELF carries both
// entries.
type Type int

const (
	PVH Type = iota // the default
	PV
)

func (t Type) String() string {
	switch t {
	case PVH:
		return "pvh"
	case PV:
		return "pv"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// ParseType reads "pvh" or "pv" (any case).
func ParseType(s string) (Type, error) {
	switch strings.ToLower(s) {
	case "pvh":
		return PVH, nil
	case "pv":
		return PV, nil
	}
	return 0, fmt.Errorf("box: unknown guest type %q (want pvh or pv)", s)
}

// Config describes one boot.
type Config struct {
	Kernel string // path to the ELF under test
	Mode   Mode
	// Type is how Xen builds the kernel: PVH (the default) or PV. In
	// domU mode it is the xl.cfg type; in dom0 mode Xen's dom0= option
	// (dom0=pvh dom0-iommu=none, or dom0=pv, which is also Xen 4.17's
	// default for a dom0 and what its qemu-smoke pv job boots).
	Type Type

	// Memory is the guest's memory in MiB. DomU: default 32. Dom0: the
	// dom0_mem value; the default is 512, raised to cover the ELF's
	// highest loaded address because Xen loads dom0 at its physical
	// addresses.
	Memory int
	// VCPUs is the guest's vCPU count (default 1; dom0 mode: dom0_max_vcpus).
	VCPUs int
	// Cmdline is the guest's command line.
	Cmdline string
	// Ramdisk is an optional initrd for the guest (domU mode only).
	Ramdisk string
	// Extra holds extra xl.cfg lines (domU mode only); a key given here
	// replaces the generated line with the same key.
	Extra []string

	// Input lines are typed into the guest console once it has printed
	// something, InputDelay apart (default 1s). Each line ends in "\n".
	Input      []string
	InputDelay time.Duration

	// Channels are PV channels to give the guest (domU mode only), by
	// name: each becomes an xl.cfg channel entry whose other end is the
	// Unix socket ChannelSocket(name) in dom0, served by QEMU (which libxl
	// starts for them). A Dom0Script talks to it with sockcat.
	Channels []string
	// VChans are xenstore paths, relative to the guest's home (e.g.
	// "data/vchan/bulk"), where the guest serves a vchan (package vchan).
	// For each, dom0 runs Xen's vchan-socket-proxy as the client as soon as
	// the guest exists; it listens on VChanSocket(path) and connects to the
	// vchan whenever a process connects to the socket.
	VChans []string

	// Dom0Script is a shell script (busybox sh) that dom0 runs once the
	// guest has printed something, beside it, as the toolstack's side of
	// a test: `xl shutdown`, xenstore-read/-write and the like (domU mode
	// only). $DOMID is the guest's domain id and the guest is named
	// "guest"; `now` sets $T to dom0's uptime in seconds. What it prints
	// is Result.Script; its exit status is the line "exit N" at the end.
	Dom0Script string
	// Files are extra files for dom0 (domU mode only), by absolute path,
	// e.g. a second guest kernel and a script for Dom0Script to run. They
	// are executable (mode 0755). The box's own files under /box/ (the
	// guest's kernel, xl.cfg, ramdisk, script) cannot be replaced.
	Files map[string][]byte

	// Timeout bounds the guest's run from unpause (default 60s). The host
	// adds BootTimeout on top for the box itself.
	Timeout time.Duration
	// BootTimeout bounds the box's own work: QEMU start to guest running,
	// and the report afterwards (default 240s).
	BootTimeout time.Duration

	// OutDir receives xen.log, dom0.log, guest.log, serial.log and the
	// generated files. Empty means a temporary directory that is removed.
	OutDir string
	// Stdout, if set, receives the guest console live, line by line.
	Stdout io.Writer
	// Serial, if set, receives QEMU's whole serial stream as it arrives
	// (Xen, dom0 and guest together): the --verbose view.
	Serial io.Writer
	// Progress, if set, receives the box's own progress messages.
	Progress io.Writer

	// QEMUCPU is QEMU's -cpu value (default "qemu64,+svm,+npt"; Xen needs
	// svm and npt for PVH). Add "+rdrand,+pdpe1gb" for those features.
	QEMUCPU string
	// XenArgs are extra words for Xen's command line.
	XenArgs []string

	// Repeat > 1 makes a soak (domU mode only): one dom0 boot creates the
	// guest Repeat times, one after the other (create paused, unpause,
	// wait for its end, destroy), Timeout applying to each guest. The
	// Result's Soak counts how the guests ended. 0 and 1 mean one guest.
	Repeat int
	// Expect is the outcome every guest of a soak should reach (default
	// PoweredOff). It does not change a single boot.
	Expect Outcome
}

// DefaultQEMUCPU is the CPU model used when Config.QEMUCPU is empty.
const DefaultQEMUCPU = "qemu64,+svm,+npt"

// Outcome is what became of the guest.
type Outcome int

const (
	// PoweredOff: the guest shut itself down with reason poweroff.
	PoweredOff Outcome = iota
	// Crashed: Xen crashed the guest (or it asked to be, e.g. a panic).
	Crashed
	// Timeout: the guest was still running when Config.Timeout expired.
	Timeout
	// CreateFailed: Xen or xl refused to build the guest.
	CreateFailed
	// BoxError: the box itself failed (QEMU, Xen, dom0, packages).
	BoxError
	// Rebooted: the guest shut down asking for a reboot.
	Rebooted
)

var outcomeNames = [...]string{"powered off", "crashed", "timeout", "create failed", "box error", "rebooted"}

func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// ParseOutcome reads an outcome's name, with a dash or nothing for its
// blank ("powered-off", "poweredoff", "crashed", "timeout", "rebooted",
// "create-failed"); "poweroff" is PoweredOff too.
func ParseOutcome(s string) (Outcome, error) {
	k := strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(s))
	if k == "poweroff" {
		return PoweredOff, nil
	}
	for i, n := range outcomeNames {
		if strings.ReplaceAll(n, " ", "") == k {
			return Outcome(i), nil
		}
	}
	return 0, fmt.Errorf("box: unknown outcome %q (want powered-off, crashed, timeout, create-failed or rebooted)", s)
}

// ExitCode is the xenbox command's exit status for the outcome.
func (o Outcome) ExitCode() int {
	switch o {
	case PoweredOff:
		return 0
	case Crashed:
		return 2
	case Timeout:
		return 3
	case CreateFailed:
		return 4
	case Rebooted:
		return 6
	}
	return 5
}

// Timings are the durations the box measured. A negative value means
// the event did not happen.
type Timings struct {
	Boot      time.Duration // QEMU start -> guest created (domain built)
	FirstByte time.Duration // guest unpaused -> first console byte
	Run       time.Duration // guest unpaused -> guest stopped
	Total     time.Duration // QEMU start -> QEMU gone
	// FirstByteUpper says FirstByte is only an upper bound: the guest
	// printed and stopped before dom0 looked at its console log.
	FirstByteUpper bool
}

// Result is what Run found out.
type Result struct {
	Outcome Outcome
	// Detail explains the outcome: the xl state string, xl's error text,
	// Xen's shutdown line, or what went wrong in the box.
	Detail  string
	Console string // guest console text
	XenLog  string // Xen's own lines ("(XEN) ...")
	Dom0Log string // domU mode: dom0's console with the @@BOX markers and xl output; dom0 mode: non-Xen lines before dom0 ran
	Script  string // domU mode: what Config.Dom0Script printed, then "exit N"
	Timings Timings
	// CPUTime is the guest's CPU time as xl list reports it at the end
	// (domU mode; -1 when unknown).
	CPUTime time.Duration
	// FaultInXen: the guest triple-faulted with a RIP inside Xen (code
	// selector e008), which no guest can cause: the emulated CPU mixed
	// up host and guest state. Detail says so too.
	FaultInXen bool
	// QEMUCPU is the CPU time (user+sys, all threads) QEMU used from the
	// guest's first console line to its end (the shutdown, or the
	// timeout), as the host saw them: an outside measure of what the
	// guest cost, boot excluded. -1 when unknown.
	QEMUCPU time.Duration
	// ConsoleLines are the guest's console lines with the host's time of
	// arrival. In dom0 mode the kernel's console_io output reaches the
	// serial port at once, so At is an outside clock for the guest; in
	// domU mode dom0 forwards the console about once a second.
	ConsoleLines []ConsoleLine
	// Soak is the account of a soak (Config.Repeat > 1), else nil.
	Soak   *Soak
	OutDir string // where the logs were written ("" if not kept)
}

// ConsoleLine is one line of the guest console as the host received it.
type ConsoleLine struct {
	At      time.Duration // arrival, from QEMU's start
	QEMUCPU time.Duration // QEMU's CPU time (user+sys) at arrival; -1 when unknown
	Text    string
}

// PlatformFaultLine starts the line the kernel prints when it sees a state
// only a faulty CPU can reach (kernel/trap.go); it then crashes.
const PlatformFaultLine = "goxen: platform fault: "

// PlatformFault says why r ended in a fault of the test bed (Xen under
// QEMU's software-emulated SVM) rather than of the guest, or "". Only
// crashes after states a correct CPU cannot reach count: a triple fault
// whose RIP is in Xen, and the kernel's own report of one
// (PlatformFaultLine, e.g. an upcall delivered on top of its own delivery).
func (r *Result) PlatformFault() string {
	if r.Outcome != Crashed {
		return ""
	}
	if r.FaultInXen {
		return "a triple fault inside Xen"
	}
	if i := strings.Index(r.Console, PlatformFaultLine); i >= 0 {
		line, _, _ := strings.Cut(r.Console[i+len(PlatformFaultLine):], "\n")
		if len(line) > 80 {
			line = line[:80] + "..."
		}
		return "the kernel reported a platform fault: " + line
	}
	return ""
}

// Soak counts how the guests of a soak ended. Every guest that dom0
// started is in exactly one of Expected, FaultInXen, FaultReported and
// Other; N - len(Guests) never started (the box failed first).
type Soak struct {
	N      int       // guests asked for (Config.Repeat)
	Expect Outcome   // the outcome each should reach
	Guests []*Result // per guest, in order: Guests[i] is guest i+1
	// Expected guests ended with Expect, and not in a platform fault.
	Expected int
	// Platform faults (see Result.PlatformFault), counted apart from
	// the other failures: triple faults with Xen's RIP, and crashes after
	// the kernel's "goxen: platform fault" line.
	FaultInXen, FaultReported int
	// Other guests ended in some other way than Expect.
	Other int
	// The spread of the guests' timings (those that have them).
	FirstByte, Run Spread
	// FirstByteUpper of the first bytes are only upper bounds: dom0 saw
	// the guest's first output together with its end.
	FirstByteUpper int
}

// AllExpected says every one of the N guests ended as expected.
func (s *Soak) AllExpected() bool { return s.N > 0 && s.Expected == s.N }

// Spread summarises a set of durations.
type Spread struct {
	N                     int
	Min, Median, P90, Max time.Duration
}

// spreadOf is the Spread of ds (which it sorts).
func spreadOf(ds []time.Duration) Spread {
	if len(ds) == 0 {
		return Spread{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pick := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1)+0.5)] }
	return Spread{N: len(ds), Min: ds[0], Median: pick(0.5), P90: pick(0.9), Max: ds[len(ds)-1]}
}

func (s Spread) String() string {
	if s.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f/%.2f/%.2f/%.2fs", s.Min.Seconds(), s.Median.Seconds(), s.P90.Seconds(), s.Max.Seconds())
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// Summary is one line saying what became of the guest and how long it
// took; for a soak, how the guests ended.
func (r *Result) Summary() string {
	if r.Soak != nil {
		return r.soakSummary()
	}
	s := "guest " + r.Outcome.String()
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	t := r.Timings
	cpu := ""
	if r.CPUTime >= 0 {
		cpu = ", guest cpu " + fmtDur(r.CPUTime)
	}
	if r.QEMUCPU >= 0 {
		cpu += ", qemu cpu " + fmtDur(r.QEMUCPU)
	}
	first := fmtDur(t.FirstByte)
	if t.FirstByteUpper {
		first = "<=" + first
	}
	return fmt.Sprintf("%s [boot %s, first byte %s, run %s, total %s%s]",
		s, fmtDur(t.Boot), first, fmtDur(t.Run), fmtDur(t.Total), cpu)
}

// soakSummary: "soak: 98 of 100 guests powered off, 2 platform faults
// (1 triple fault in Xen, 1 reported by the kernel), 0 other; first byte
// ..., run ... (min/median/p90/max) [boot 14.20s, total 300.10s]".
func (r *Result) soakSummary() string {
	k := r.Soak
	s := "soak: "
	if r.Outcome == BoxError {
		s += "box error: " + r.Detail + "; "
	}
	s += fmt.Sprintf("%d of %d guests %s, %d platform faults (%d triple fault in Xen, %d reported by the kernel), %d other",
		k.Expected, k.N, k.Expect, k.FaultInXen+k.FaultReported, k.FaultInXen, k.FaultReported, k.Other)
	if miss := k.N - len(k.Guests); miss > 0 {
		s += fmt.Sprintf(", %d never started", miss)
	}
	if r.Outcome != BoxError && !k.AllExpected() && r.Detail != "" {
		s += " (first: " + r.Detail + ")"
	}
	upper := ""
	if k.FirstByteUpper > 0 {
		upper = fmt.Sprintf(" (%d upper bounds)", k.FirstByteUpper)
	}
	return fmt.Sprintf("%s; first byte %s%s, run %s (min/median/p90/max) [boot %s, total %s]",
		s, k.FirstByte, upper, k.Run, fmtDur(r.Timings.Boot), fmtDur(r.Timings.Total))
}
