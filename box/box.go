package box

import (
	"fmt"
	"io"
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

// Config describes one boot.
type Config struct {
	Kernel string // path to the PVH ELF under test
	Mode   Mode

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
	Timings Timings
	// CPUTime is the guest's CPU time as xl list reports it at the end
	// (domU mode; -1 when unknown).
	CPUTime time.Duration
	// FaultInXen: the guest triple-faulted with a RIP inside Xen (code
	// selector e008), which no guest can cause: the emulated CPU mixed
	// up host and guest state. Detail says so too.
	FaultInXen bool
	OutDir     string // where the logs were written ("" if not kept)
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// Summary is one line saying what became of the guest and how long it took.
func (r *Result) Summary() string {
	s := "guest " + r.Outcome.String()
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	t := r.Timings
	cpu := ""
	if r.CPUTime >= 0 {
		cpu = ", guest cpu " + fmtDur(r.CPUTime)
	}
	first := fmtDur(t.FirstByte)
	if t.FirstByteUpper {
		first = "<=" + first
	}
	return fmt.Sprintf("%s [boot %s, first byte %s, run %s, total %s%s]",
		s, fmtDur(t.Boot), first, fmtDur(t.Run), fmtDur(t.Total), cpu)
}
