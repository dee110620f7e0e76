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

Exit status:
  0   the guest powered off
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
		inputDelay  = fs.Duration("input-delay", box.DefaultInputDelay, "pause before each input line")
		timeout     = fs.Duration("timeout", box.DefaultTimeout, "guest timeout, counted from the guest's start")
		bootTimeout = fs.Duration("boot-timeout", box.DefaultBootTimeout, "extra time allowed for the box itself (QEMU, Xen, dom0)")
		out         = fs.String("out", "", "directory for the logs (default: a temporary directory, removed unless -keep)")
		keep        = fs.Bool("keep", false, "keep the temporary output directory and print its path")
		verbose     = fs.Bool("verbose", false, "show the whole serial stream (Xen, dom0, guest) live instead of the guest console")
		quiet       = fs.Bool("quiet", false, "show neither the guest console nor progress; print only the summary")
		cpu         = fs.String("cpu", box.DefaultQEMUCPU, "QEMU -cpu model (e.g. qemu64,+svm,+npt,+rdrand,+pdpe1gb)")
		prepare     = fs.Bool("prepare", false, "only install packages and build the cached dom0 image, then exit")
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
	if *inputFile != "" {
		b, err := os.ReadFile(*inputFile)
		if err != nil {
			fmt.Fprintln(stderr, "xenbox:", err)
			return exitUsage
		}
		input = append(input, strings.Split(strings.TrimRight(string(b), "\n"), "\n")...)
	}
	cfg := box.Config{
		Kernel: fs.Arg(0), Mode: m, Memory: *memory, VCPUs: *vcpus, Cmdline: *cmdline,
		Ramdisk: *ramdisk, Extra: extra, Input: input, InputDelay: *inputDelay,
		Timeout: *timeout, BootTimeout: *bootTimeout, OutDir: *out, QEMUCPU: *cpu,
		XenArgs: xenArgs, Progress: progress,
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
	fmt.Fprintln(stdout, "xenbox: "+r.Summary())
	if r.OutDir != "" {
		fmt.Fprintf(stdout, "xenbox: logs in %s\n", r.OutDir)
	}
	if err != nil && r.Outcome != box.BoxError {
		fmt.Fprintln(stderr, "xenbox:", err)
	}
	return r.Outcome.ExitCode()
}
