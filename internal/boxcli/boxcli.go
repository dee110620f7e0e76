// Package boxcli is the command line of the box, shared by cmd/xenbox and
// `goxen run`: the flags that describe a boot (-mode, -memory, -timeout,
// ...), their help, and what is printed after the boot.
package boxcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/goxen/goxen/box"
)

// Exit statuses besides box.Outcome.ExitCode.
const (
	// ExitUsage is the status for bad command lines.
	ExitUsage = 64
	// ExitSoakFailed is a soak's status when not every guest ended as expected.
	ExitSoakFailed = 1
)

// ListFlag is a repeatable string flag.
type ListFlag []string

func (l *ListFlag) String() string     { return strings.Join(*l, ",") }
func (l *ListFlag) Set(s string) error { *l = append(*l, s); return nil }

// Modes explains the two boot modes and -repeat, for a command's help.
const Modes = `  -mode dom0  boots the kernel as Xen's PVH dom0 (fast smoke test). The
              kernel's console_io output and port-0xE9 output ("(d0) ...")
              are its console; "Hardware Dom0 halted" means powered off.
  -mode domu  boots Debian's Linux as PV dom0 with the xl toolstack in an
              initramfs and starts the kernel with "xl create" from a
              generated xl.cfg (type="pvh", no devices).
  -type pv    boots the same ELF as a classic PV guest instead: xl.cfg
              type="pv" in domu mode, Xen's dom0=pv (the default of Xen
              4.17, as in its qemu-smoke pv job) in dom0 mode.

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
`

// Output explains what a boot prints and leaves behind, and the exit
// statuses, for a command's help.
const Output = `
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

With -channel or -vchan, dom0 has /usr/bin/sockcat (box/sockcat) for a
-dom0-script to talk to their sockets, e.g.
  echo uptime | sockcat -lines 1 /run/goxen/org.goxen.agent.sock

The summary gives boot (QEMU start to guest created), first byte and run
(from the guest's unpause), total, the guest's CPU time (domU) and qemu
cpu: the CPU time QEMU burnt from the guest's first console line to its
end, an outside measure of what the guest cost.
`

// ExitStatuses lists the exit statuses of a boot, for a command's help.
const ExitStatuses = `  0   the guest powered off (-repeat: all N guests ended as expected)
  1   -repeat: not every guest ended as expected
  2   the guest crashed
  3   the guest was still running at the timeout
  4   the guest could not be created (xl's or Xen's error in the summary)
  5   box error (packages, QEMU, Xen or dom0 failed; or interrupted)
  6   the guest shut down asking for a reboot
  64  bad command line
`

// Flags are the box flags of one command line, defined by Register.
type Flags struct {
	name                                   string
	mode, typ, cmdline, ramdisk, inputFile *string
	dom0Script, out, cpu, expect           *string
	memory, vcpus, repeat                  *int
	inputDelay, timeout, bootTimeout       *time.Duration
	keep, verbose, quiet, prepare          *bool
	extra, input, xenArgs                  ListFlag
	channels, vchans, dom0Files            ListFlag
}

// Register defines the box flags on fs. name ("xenbox", "goxen") starts
// the lines Boot prints.
func Register(fs *flag.FlagSet, name string) *Flags {
	f := &Flags{name: name}
	f.mode = fs.String("mode", "domu", "boot mode: dom0 or domu")
	f.typ = fs.String("type", "pvh", "guest type: pvh, or pv (classic PV; in dom0 mode Xen's dom0=pv, its default)")
	f.memory = fs.Int("memory", 0, "guest memory in MiB (domU default 32; dom0: dom0_mem, default 512 or enough to cover the ELF)")
	f.vcpus = fs.Int("vcpus", 1, "guest vCPUs (dom0 mode: dom0_max_vcpus)")
	f.cmdline = fs.String("cmdline", "", "guest kernel command line")
	f.ramdisk = fs.String("ramdisk", "", "initrd file for the guest (domU mode)")
	f.inputFile = fs.String("input-file", "", "file whose lines are typed into the guest console")
	f.dom0Script = fs.String("dom0-script", "", "shell `file` dom0 runs beside the guest once it has printed (domU; $DOMID is its id), its output shown after the console")
	f.inputDelay = fs.Duration("input-delay", box.DefaultInputDelay, "pause before each input line")
	f.timeout = fs.Duration("timeout", box.DefaultTimeout, "guest timeout, counted from the guest's start")
	f.bootTimeout = fs.Duration("boot-timeout", box.DefaultBootTimeout, "extra time allowed for the box itself (QEMU, Xen, dom0)")
	f.out = fs.String("out", "", "directory for the logs (default: a temporary directory, removed unless -keep)")
	f.keep = fs.Bool("keep", false, "keep the temporary output directory and print its path")
	f.verbose = fs.Bool("verbose", false, "show the whole serial stream (Xen, dom0, guest) live instead of the guest console")
	f.quiet = fs.Bool("quiet", false, "show neither the guest console nor progress; print only the summary")
	f.cpu = fs.String("cpu", box.DefaultQEMUCPU, "QEMU -cpu model (e.g. qemu64,+svm,+npt,+rdrand,+pdpe1gb)")
	f.prepare = fs.Bool("prepare", false, "only install packages and build the cached dom0 image, then exit")
	f.repeat = fs.Int("repeat", 1, "domU mode: create the guest N times in one dom0 boot (a soak)")
	f.expect = fs.String("expect", "powered-off", "-repeat: how each guest should end (powered-off, crashed, timeout, rebooted, create-failed)")
	fs.Var(&f.extra, "extra", "extra xl.cfg line, e.g. -extra 'on_crash=\"destroy\"' (repeatable; domU mode)")
	fs.Var(&f.input, "input", "line typed into the guest console once it has printed something (repeatable)")
	fs.Var(&f.dom0Files, "dom0-file", "`DOM0PATH=HOSTFILE`: put a host file into dom0 (domU mode; executable), e.g. a tool for -dom0-script (repeatable)")
	fs.Var(&f.channels, "channel", "give the guest PV channel `name` (repeatable; domU): QEMU in dom0 serves it on the Unix socket /run/goxen/NAME.sock")
	fs.Var(&f.vchans, "vchan", "the guest serves a vchan at xenstore `path` under its home, e.g. data/vchan/x (repeatable; domU): vchan-socket-proxy in dom0 makes it /run/goxen/vchan-data-vchan-x.sock")
	fs.Var(&f.xenArgs, "xen-arg", "extra word for Xen's command line (repeatable)")
	return f
}

// Prepare says -prepare was given: install and build the cache, boot nothing.
func (f *Flags) Prepare() bool { return *f.prepare }

// DoPrepare does what -prepare asks and returns the exit status.
func (f *Flags) DoPrepare(ctx context.Context, stdout, stderr io.Writer) int {
	a, err := box.Ensure(ctx, f.progress(stderr))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return box.BoxError.ExitCode()
	}
	fmt.Fprintf(stdout, "%s: ready: %s\n", f.name, a.Dir)
	return 0
}

func (f *Flags) progress(stderr io.Writer) io.Writer {
	if *f.quiet {
		return io.Discard
	}
	return stderr
}

// Config checks the flags and turns them into the Config of a boot of
// kernel, its console going to stdout and progress to stderr. An error is
// a bad command line (ExitUsage); it names the flag.
func (f *Flags) Config(kernel string, stdout, stderr io.Writer) (box.Config, error) {
	m, err := box.ParseMode(*f.mode)
	if err != nil {
		return box.Config{}, err
	}
	typ, err := box.ParseType(*f.typ)
	if err != nil {
		return box.Config{}, err
	}
	want, err := box.ParseOutcome(*f.expect)
	if err != nil {
		return box.Config{}, err
	}
	if *f.repeat < 1 || (*f.repeat > 1 && m != box.DomU) {
		return box.Config{}, errors.New(f.name + ": -repeat needs N >= 1, and domU mode for N > 1")
	}
	input := append([]string(nil), f.input...)
	if *f.inputFile != "" {
		b, err := os.ReadFile(*f.inputFile)
		if err != nil {
			return box.Config{}, fmt.Errorf("%s: -input-file: %w", f.name, err)
		}
		input = append(input, strings.Split(strings.TrimRight(string(b), "\n"), "\n")...)
	}
	var script string
	if *f.dom0Script != "" {
		b, err := os.ReadFile(*f.dom0Script)
		if err != nil {
			return box.Config{}, fmt.Errorf("%s: -dom0-script: %w", f.name, err)
		}
		script = string(b)
	}
	var files map[string][]byte
	for _, kv := range f.dom0Files {
		dst, src, ok := strings.Cut(kv, "=")
		if !ok || dst == "" || src == "" {
			return box.Config{}, fmt.Errorf("%s: -dom0-file %q: want DOM0PATH=HOSTFILE", f.name, kv)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return box.Config{}, fmt.Errorf("%s: -dom0-file: %w", f.name, err)
		}
		if files == nil {
			files = map[string][]byte{}
		}
		files[dst] = b
	}
	cfg := box.Config{
		Dom0Script: script, Files: files,
		Kernel: kernel, Mode: m, Type: typ, Memory: *f.memory, VCPUs: *f.vcpus, Cmdline: *f.cmdline,
		Ramdisk: *f.ramdisk, Extra: append([]string(nil), f.extra...),
		Channels: append([]string(nil), f.channels...), VChans: append([]string(nil), f.vchans...), Input: input, InputDelay: *f.inputDelay,
		Timeout: *f.timeout, BootTimeout: *f.bootTimeout, OutDir: *f.out, QEMUCPU: *f.cpu,
		XenArgs: append([]string(nil), f.xenArgs...), Progress: f.progress(stderr), Repeat: *f.repeat, Expect: want,
	}
	switch {
	case *f.quiet:
	case *f.verbose:
		cfg.Serial = stdout
	default:
		cfg.Stdout = stdout
	}
	return cfg, nil
}

// Boot runs cfg in the box (honouring -keep), prints what the dom0 script
// printed, the summary and where the logs are, and returns the exit
// status: box.Outcome.ExitCode, or for a soak 0 or ExitSoakFailed.
func (f *Flags) Boot(ctx context.Context, cfg box.Config, stdout, stderr io.Writer) int {
	if cfg.OutDir == "" && *f.keep {
		var err error
		cfg.OutDir, err = os.MkdirTemp("", "xenbox-out-")
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f.name, err)
			return box.BoxError.ExitCode()
		}
	}
	r, err := box.Run(ctx, cfg)
	for _, l := range strings.SplitAfter(r.Script, "\n") {
		if l != "" {
			fmt.Fprint(stdout, "dom0-script: "+l)
		}
	}
	fmt.Fprintln(stdout, f.name+": "+r.Summary())
	if r.OutDir != "" {
		fmt.Fprintf(stdout, "%s: logs in %s\n", f.name, r.OutDir)
	}
	if err != nil && r.Outcome != box.BoxError {
		fmt.Fprintf(stderr, "%s: %v\n", f.name, err)
	}
	if r.Soak != nil && r.Outcome != box.BoxError {
		if r.Soak.AllExpected() {
			return 0
		}
		return ExitSoakFailed
	}
	return r.Outcome.ExitCode()
}
