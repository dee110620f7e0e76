// Command xenbox boots a PVH kernel under Xen 4.17 inside QEMU (software
// emulation, no KVM needed) and reports what became of it. See --help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/goxen/goxen/box"
)

// exitUsage is the status for bad command lines (flag parsing errors).
const exitUsage = 64

// exitSoakFailed is a soak's status when not every guest ended as expected.
const exitSoakFailed = 1

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

const usageHead = `usage: xenbox [flags] KERNEL.elf
       xenbox -prepare

Boots KERNEL.elf (an ELF with Xen's PVH entry note) under Xen 4.17 in
QEMU and reports what became of it in one summary line.

  -mode dom0  boots the kernel as Xen's PVH dom0 (fast smoke test). The
              kernel's console_io output and port-0xE9 output ("(d0) ...")
              are its console; "Hardware Dom0 halted" means powered off.
  -mode domu  boots Debian's Linux as PV dom0 with the xl toolstack in an
              initramfs and starts the kernel with "xl create" from a
              generated xl.cfg (type="pvh", no devices).

  -repeat N   (domu) a soak: one dom0 boot creates the guest N times, one
              after the other, each with its own -timeout; a progress
              line per guest on stderr ("guest 17/100 powered off 0.31s",
              the run time); the summary counts the guests that ended as
              -expect says, the platform faults (triple fault in Xen, the
              kernel's "goxen: platform fault" line) apart from other
              failures, and the spread of the first-byte and run times.
              The consoles are not shown live. The host allows the whole
              run -boot-timeout + N x (-timeout + 30s).

Missing Debian packages are installed with apt-get (needs root), and the
dom0 image is built once and cached under build/box/KEY in the module
(or $XENBOX_CACHE), keyed on the installed package versions.

Flags:
`

const usageTail = `
Output: the guest console is shown live on stdout (with -verbose, the
whole serial stream instead); progress goes to stderr; the last line on
stdout is the summary. With -out DIR the run leaves there:
  guest.log    the guest console
  xen.log      Xen's own lines ("(XEN) ...")
  dom0.log     dom0's console (domU mode), with the box's @@BOX markers
  serial.log   QEMU's raw serial stream
  xl.cfg       the generated guest config (domU mode)
  qemu-args.txt, initrd.gz (domU mode), summary.txt
  soak.txt     (-repeat) one summary line per guest
  guest-NNN.log, guest-NNN.xen.log, guest-NNN.dom0.log
               (-repeat) console, Xen lines and dom0 lines of the first
               10 guests that did not end as expected

The summary gives boot (QEMU start to guest created), first byte and run
(from the guest's unpause), total, the guest's CPU time (domU) and qemu
cpu: the CPU time QEMU burnt from the guest's first console line to its
end, an outside measure of what the guest cost.

Exit status:
  0   the guest powered off (-repeat: all N guests ended as expected)
  1   -repeat: not every guest ended as expected
  2   the guest crashed
  3   the guest was still running at the timeout
  4   the guest could not be created (xl's or Xen's error in the summary)
  5   box error (packages, QEMU, Xen or dom0 failed; or interrupted)
  6   the guest shut down asking for a reboot
  64  bad command line
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(argv []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xenbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		mode        = fs.String("mode", "domu", "boot mode: dom0 or domu")
		memory      = fs.Int("memory", 0, "guest memory in MiB (domU default 32; dom0: dom0_mem, default 512 or enough to cover the ELF)")
		vcpus       = fs.Int("vcpus", 1, "guest vCPUs (dom0 mode: dom0_max_vcpus)")
		cmdline     = fs.String("cmdline", "", "guest kernel command line")
		ramdisk     = fs.String("ramdisk", "", "initrd file for the guest (domU mode)")
		inputFile   = fs.String("input-file", "", "file whose lines are typed into the guest console")
		dom0Script  = fs.String("dom0-script", "", "shell `file` dom0 runs beside the guest once it has printed (domU; $DOMID is its id), its output shown after the console")
		inputDelay  = fs.Duration("input-delay", box.DefaultInputDelay, "pause before each input line")
		timeout     = fs.Duration("timeout", box.DefaultTimeout, "guest timeout, counted from the guest's start")
		bootTimeout = fs.Duration("boot-timeout", box.DefaultBootTimeout, "extra time allowed for the box itself (QEMU, Xen, dom0)")
		out         = fs.String("out", "", "directory for the logs (default: a temporary directory, removed unless -keep)")
		keep        = fs.Bool("keep", false, "keep the temporary output directory and print its path")
		verbose     = fs.Bool("verbose", false, "show the whole serial stream (Xen, dom0, guest) live instead of the guest console")
		quiet       = fs.Bool("quiet", false, "show neither the guest console nor progress; print only the summary")
		cpu         = fs.String("cpu", box.DefaultQEMUCPU, "QEMU -cpu model (e.g. qemu64,+svm,+npt,+rdrand,+pdpe1gb)")
		prepare     = fs.Bool("prepare", false, "only install packages and build the cached dom0 image, then exit")
		repeat      = fs.Int("repeat", 1, "domU mode: create the guest N times in one dom0 boot (a soak)")
		expect      = fs.String("expect", "powered-off", "-repeat: how each guest should end (powered-off, crashed, timeout, rebooted, create-failed)")
		extra       listFlag
		input       listFlag
		xenArgs     listFlag
	)
	fs.Var(&extra, "extra", "extra xl.cfg line, e.g. -extra 'on_crash=\"destroy\"' (repeatable; domU mode)")
	fs.Var(&input, "input", "line typed into the guest console once it has printed something (repeatable)")
	fs.Var(&xenArgs, "xen-arg", "extra word for Xen's command line (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageTail)
	}
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := stderr
	if *quiet {
		progress = io.Discard
	}
	if *prepare {
		a, err := box.Ensure(ctx, progress)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return box.BoxError.ExitCode()
		}
		fmt.Fprintf(stdout, "xenbox: ready: %s\n", a.Dir)
		return 0
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "xenbox: need exactly one KERNEL.elf argument (see -help)")
		return exitUsage
	}
	m, err := box.ParseMode(*mode)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	want, err := box.ParseOutcome(*expect)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if *repeat < 1 || (*repeat > 1 && m != box.DomU) {
		fmt.Fprintln(stderr, "xenbox: -repeat needs N >= 1, and domU mode for N > 1")
		return exitUsage
	}
	if *inputFile != "" {
		b, err := os.ReadFile(*inputFile)
		if err != nil {
			fmt.Fprintln(stderr, "xenbox:", err)
			return exitUsage
		}
		input = append(input, strings.Split(strings.TrimRight(string(b), "\n"), "\n")...)
	}
	var script string
	if *dom0Script != "" {
		b, err := os.ReadFile(*dom0Script)
		if err != nil {
			fmt.Fprintln(stderr, "xenbox:", err)
			return exitUsage
		}
		script = string(b)
	}
	cfg := box.Config{
		Dom0Script: script,
		Kernel:     fs.Arg(0), Mode: m, Memory: *memory, VCPUs: *vcpus, Cmdline: *cmdline,
		Ramdisk: *ramdisk, Extra: extra, Input: input, InputDelay: *inputDelay,
		Timeout: *timeout, BootTimeout: *bootTimeout, OutDir: *out, QEMUCPU: *cpu,
		XenArgs: xenArgs, Progress: progress, Repeat: *repeat, Expect: want,
	}
	if cfg.OutDir == "" && *keep {
		cfg.OutDir, err = os.MkdirTemp("", "xenbox-out-")
		if err != nil {
			fmt.Fprintln(stderr, "xenbox:", err)
			return box.BoxError.ExitCode()
		}
	}
	switch {
	case *quiet:
	case *verbose:
		cfg.Serial = stdout
	default:
		cfg.Stdout = stdout
	}
	r, err := box.Run(ctx, cfg)
	for _, l := range strings.SplitAfter(r.Script, "\n") {
		if l != "" {
			fmt.Fprint(stdout, "dom0-script: "+l)
		}
	}
	fmt.Fprintln(stdout, "xenbox: "+r.Summary())
	if r.OutDir != "" {
		fmt.Fprintf(stdout, "xenbox: logs in %s\n", r.OutDir)
	}
	if err != nil && r.Outcome != box.BoxError {
		fmt.Fprintln(stderr, "xenbox:", err)
	}
	if r.Soak != nil && r.Outcome != box.BoxError {
		if r.Soak.AllExpected() {
			return 0
		}
		return exitSoakFailed
	}
	return r.Outcome.ExitCode()
}
