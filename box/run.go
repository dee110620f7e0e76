package box

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultBootTimeout = 240 * time.Second
	DefaultInputDelay  = time.Second
	defaultDom0Mem     = 512
	domUDom0Mem        = "768M"
)

// LockFile makes boots take turns: software emulation is CPU-bound and
// two boots would only slow each other. It works across processes (two
// test binaries, a user and CI) and within one, as every boot opens the
// file anew and flock locks belong to the open file.
var LockFile = filepath.Join(os.TempDir(), "xenbox.lock")

// lockMachine waits, as long as ctx allows, for the machine-wide lock.
func lockMachine(ctx context.Context, progress io.Writer) (func(), error) {
	f, err := os.OpenFile(LockFile, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("box: lock file: %w", err)
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("box: locking %s: %w", LockFile, err)
		}
		if !said && progress != nil {
			fmt.Fprintf(progress, "box: waiting for another boot to finish (%s)\n", LockFile)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("box: gave up waiting for %s: %w", LockFile, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Run boots cfg.Kernel under Xen in QEMU and reports what became of it.
// The Result is never nil; err is non-nil exactly when the outcome is
// BoxError.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	fail := func(err error) (*Result, error) {
		r := &Result{Outcome: BoxError, Detail: err.Error(), CPUTime: -1, QEMUCPU: -1,
			Timings: Timings{Boot: -1, FirstByte: -1, Run: -1, Total: time.Since(start)}}
		return r, err
	}
	if err := cfg.fill(); err != nil {
		return fail(err)
	}
	assets, err := Ensure(ctx, cfg.Progress)
	if err != nil {
		return fail(err)
	}
	work := cfg.OutDir
	if work == "" {
		work, err = os.MkdirTemp("", "xenbox-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return fail(err)
	}
	if len(cfg.Channels)+len(cfg.VChans) > 0 && cfg.Files[SockcatPath] == nil {
		bin, err := buildSockcat(ctx, work)
		if err != nil {
			return fail(err)
		}
		files := map[string][]byte{SockcatPath: bin}
		for k, v := range cfg.Files {
			files[k] = v
		}
		cfg.Files = files
	}
	args, err := qemuArgs(cfg, assets, work)
	if err != nil {
		return fail(err)
	}
	unlock, err := lockMachine(ctx, cfg.Progress)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	r, err := runQEMU(ctx, cfg, args, work)
	if cfg.OutDir != "" {
		r.OutDir = cfg.OutDir
		for name, text := range map[string]string{"xen.log": r.XenLog, "dom0.log": r.Dom0Log, "script.log": r.Script,
			"guest.log": r.Console, "summary.txt": r.Summary() + "\n"} {
			if werr := os.WriteFile(filepath.Join(cfg.OutDir, name), []byte(text), 0o644); werr != nil && err == nil {
				err = werr
			}
		}
		if r.Soak != nil {
			if werr := keepFailures(cfg.OutDir, r.Soak, keepFailed); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err == nil && r.Outcome == BoxError {
		err = errors.New("box: " + r.Detail)
	}
	return r, err
}

// fill applies defaults and checks the configuration.
func (c *Config) fill() error {
	if c.Kernel == "" {
		return errors.New("box: no kernel given")
	}
	if _, err := os.Stat(c.Kernel); err != nil {
		return fmt.Errorf("box: kernel: %w", err)
	}
	if c.Mode != Dom0 && c.Mode != DomU {
		return fmt.Errorf("box: unknown mode %d", c.Mode)
	}
	if c.Type != PVH && c.Type != PV {
		return fmt.Errorf("box: unknown guest type %d", c.Type)
	}
	if c.Memory < 0 || c.VCPUs < 0 || c.Timeout < 0 || c.BootTimeout < 0 || c.InputDelay < 0 || c.Repeat < 0 {
		return errors.New("box: memory, vcpus, repeat, timeouts and delays must not be negative")
	}
	if c.Repeat > 1 && c.Mode != DomU {
		return errors.New("box: repeat (a soak) needs domU mode")
	}
	if c.Expect < PoweredOff || c.Expect > Rebooted || c.Expect == BoxError {
		return fmt.Errorf("box: a guest cannot be expected to end in %v", c.Expect)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.BootTimeout == 0 {
		c.BootTimeout = DefaultBootTimeout
	}
	if c.InputDelay == 0 {
		c.InputDelay = DefaultInputDelay
	}
	if c.QEMUCPU == "" {
		c.QEMUCPU = DefaultQEMUCPU
	}
	if c.VCPUs == 0 {
		c.VCPUs = 1
	}
	if c.Mode == DomU && c.Memory == 0 {
		c.Memory = 32
	}
	if err := checkFiles(c.Files); err != nil {
		return err
	}
	if c.Mode == Dom0 {
		if c.Ramdisk != "" || len(c.Extra) > 0 || len(c.Files) > 0 {
			return errors.New("box: ramdisk, extra xl.cfg lines and dom0 files apply to domU mode only")
		}
		if c.Memory == 0 {
			end, err := elfLoadEnd(c.Kernel)
			if err != nil {
				return err
			}
			c.Memory = dom0MemFor(end)
		}
	}
	for _, n := range c.Channels {
		if n == "" || strings.ContainsAny(n, ",\"'/ \t\n=") {
			return fmt.Errorf("box: channel name %q: want a non-empty name without , / = quotes or spaces", n)
		}
	}
	for _, p := range c.VChans {
		if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t\n'\"") || path.Clean(p) != p {
			return fmt.Errorf("box: vchan path %q: want a clean xenstore path relative to the guest's home, e.g. data/vchan/x", p)
		}
	}
	if c.Mode == Dom0 && (len(c.Channels) > 0 || len(c.VChans) > 0) {
		return errors.New("box: channels and vchans apply to domU mode only")
	}
	for _, l := range c.Input {
		if strings.ContainsAny(l, "\n\r") {
			return fmt.Errorf("box: input line %q contains a newline", l)
		}
	}
	return nil
}

// boxFiles are the paths of dom0's per-run files, which Config.Files may
// not replace.
var boxFiles = []string{dom0GuestKernel, dom0GuestRamdisk, "/box/guest.cfg", "/box/params", "/box/input", "/box/script"}

// checkFiles refuses dom0 file paths that are not absolute and clean, or
// that name one of the box's own files.
func checkFiles(files map[string][]byte) error {
	for p := range files {
		if !strings.HasPrefix(p, "/") || filepath.Clean(p) != p || p == "/" {
			return fmt.Errorf("box: dom0 file %q: want an absolute, clean path", p)
		}
		for _, b := range boxFiles {
			if p == b {
				return fmt.Errorf("box: dom0 file %q is the box's own", p)
			}
		}
	}
	return nil
}

// elfLoadEnd is the highest physical address a PT_LOAD segment reaches.
func elfLoadEnd(path string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, fmt.Errorf("box: kernel: %w", err)
	}
	defer f.Close()
	var end uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Paddr+p.Memsz > end {
			end = p.Paddr + p.Memsz
		}
	}
	return end, nil
}

// dom0MemFor picks dom0_mem in MiB: 512, or enough to cover the image
// (Xen places dom0 at its physical addresses) with 64 MiB to spare.
func dom0MemFor(end uint64) int {
	need := int((end+(1<<20)-1)>>20) + 64
	if need < defaultDom0Mem {
		return defaultDom0Mem
	}
	return (need + 63) &^ 63
}

// dom0TypeArgs are the words of Xen's command line that pick how it
// builds dom0: a PVH dom0 without an IOMMU (the box's QEMU has none), or
// a PV dom0. Xen 4.17 builds a PV dom0 by default (its qemu-smoke-x86-64
// pv job passes no dom0= option); the box says dom0=pv anyway, so the
// log shows what was asked.
func dom0TypeArgs(t Type) []string {
	if t == PV {
		return []string{"dom0=pv"}
	}
	return []string{"dom0=pvh", "dom0-iommu=none"}
}

// qemuEscape doubles commas, QEMU's escape inside option values.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// qemuArgs prepares the run directory and returns QEMU's arguments.
func qemuArgs(cfg Config, a *Assets, work string) ([]string, error) {
	xenCmd := []string{"console=com1", "loglvl=all", "guest_loglvl=all"}
	var mem int
	var initrd string
	switch cfg.Mode {
	case Dom0:
		xenCmd = append(xenCmd, dom0TypeArgs(cfg.Type)...)
		xenCmd = append(xenCmd,
			fmt.Sprintf("dom0_mem=%dM,max:%dM", cfg.Memory, cfg.Memory),
			fmt.Sprintf("dom0_max_vcpus=%d", cfg.VCPUs))
		mem = cfg.Memory + 256
		if mem < 1024 {
			mem = 1024
		}
		k, err := filepath.Abs(cfg.Kernel)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("box: kernel path %q contains blanks", k)
		}
		initrd = qemuEscape(k)
		if cfg.Cmdline != "" {
			initrd += " " + qemuEscape(cfg.Cmdline)
		}
	case DomU:
		// dom0 gets one vCPU on physical CPU 0; the guest has the
		// others to itself (guestCPUs says why).
		xenCmd = append(xenCmd, "dom0_mem="+domUDom0Mem+",max:"+domUDom0Mem,
			"dom0_max_vcpus=1", "dom0_vcpus_pin")
		mem = 2048 + cfg.Memory
		initrdPath := filepath.Join(work, "initrd.gz")
		if err := writeRunInitrd(cfg, a, initrdPath); err != nil {
			return nil, err
		}
		if strings.ContainsAny(a.Vmlinuz+initrdPath, " \t") {
			return nil, fmt.Errorf("box: paths %q, %q contain blanks", a.Vmlinuz, initrdPath)
		}
		initrd = a.Vmlinuz + " console=hvc0 quiet," + qemuEscape(initrdPath)
	}
	xenCmd = append(xenCmd, cfg.XenArgs...)
	cpus := 2
	switch {
	case cfg.Mode == Dom0 && cfg.VCPUs > cpus:
		cpus = cfg.VCPUs
	case cfg.Mode == DomU:
		cpus = 1 + cfg.VCPUs // one for dom0, the rest the guest's own
	}
	return []string{
		"-machine", "q35", "-cpu", cfg.QEMUCPU, "-m", fmt.Sprint(mem), "-smp", fmt.Sprint(cpus),
		"-nographic", "-monitor", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", a.Xen, "-append", strings.Join(xenCmd, " "),
		"-initrd", initrd,
	}, nil
}

// writeRunInitrd writes the cached dom0 image followed by a second,
// per-run gzip'd cpio archive with the guest kernel, its xl.cfg and the
// run parameters; Linux unpacks concatenated archives in order.
func writeRunInitrd(cfg Config, a *Assets, path string) error {
	xlcfg, err := XLConfig(cfg)
	if err != nil {
		return err
	}
	if cfg.Mode == DomU && cfg.OutDir != "" {
		os.WriteFile(filepath.Join(cfg.OutDir, "xl.cfg"), []byte(xlcfg), 0o644)
	}
	kernel, err := os.ReadFile(cfg.Kernel)
	if err != nil {
		return fmt.Errorf("box: kernel: %w", err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	c := newCPIO(gz)
	c.File(strings.TrimPrefix(dom0GuestKernel, "/"), 0o644, kernel)
	if cfg.Ramdisk != "" {
		rd, err := os.ReadFile(cfg.Ramdisk)
		if err != nil {
			return fmt.Errorf("box: ramdisk: %w", err)
		}
		c.File(strings.TrimPrefix(dom0GuestRamdisk, "/"), 0o644, rd)
	}
	c.File("box/guest.cfg", 0o644, []byte(xlcfg))
	c.File("box/params", 0o644, []byte(runParams(cfg)))
	var in string
	for _, l := range cfg.Input {
		in += l + "\n"
	}
	c.File("box/input", 0o644, []byte(in))
	c.File("box/script", 0o755, []byte(cfg.Dom0Script))
	paths := make([]string, 0, len(cfg.Files))
	for p := range cfg.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		c.File(strings.TrimPrefix(p, "/"), 0o755, cfg.Files[p])
	}
	if err := c.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	base, err := os.ReadFile(a.Dom0Initrd)
	if err != nil {
		return fmt.Errorf("box: %w", err)
	}
	return os.WriteFile(path, append(base, buf.Bytes()...), 0o644)
}

// runParams is the shell fragment dom0's init sources.
func runParams(cfg Config) string {
	secs := int((cfg.Timeout + time.Second - 1) / time.Second)
	return fmt.Sprintf("TIMEOUT=%d\nINPUT_DELAY=%.3f\nREPEAT=%d\nVCHANS='%s'\n", secs, cfg.InputDelay.Seconds(), max(cfg.Repeat, 1),
		strings.Join(cfg.VChans, " "))
}

// keepFailed is how many failing guests of a soak keep their logs in
// the output directory (guest-NNN.log, .xen.log, .dom0.log).
const keepFailed = 10

// soakGuestSlack is what the host allows each guest of a soak on top of
// its timeout: xl create and destroy, xenctx, the log dump.
const soakGuestSlack = 30 * time.Second

// hostDeadline is how long the host lets QEMU run: the box's own time
// plus, for each guest, its timeout (and for a soak the slack).
func hostDeadline(cfg Config) time.Duration {
	if cfg.Repeat <= 1 {
		return cfg.BootTimeout + cfg.Timeout
	}
	return cfg.BootTimeout + time.Duration(cfg.Repeat)*(cfg.Timeout+soakGuestSlack)
}

// qemuCPUTime reads the CPU time (user+sys, all threads) of process pid
// from /proc/PID/stat, or -1.
func qemuCPUTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	return parseStatCPU(string(b))
}

// parseStatCPU takes utime and stime (fields 14 and 15, in clock ticks
// of 1/100 s, USER_HZ on Linux) from a /proc/PID/stat line. The command
// name (field 2) is in parentheses and may hold blanks and ')'.
func parseStatCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+s) * (time.Second / 100)
}

// runQEMU starts QEMU in its own process group, feeds its serial output
// through the demultiplexer and ends it when the outcome is known or a
// timeout expires.
func runQEMU(ctx context.Context, cfg Config, args []string, work string) (*Result, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	fmt.Fprintf(progress, "box: qemu-system-x86_64 %s\n", strings.Join(args, " "))
	os.WriteFile(filepath.Join(work, "qemu-args.txt"), []byte(strings.Join(args, "\n")+"\n"), 0o644)
	cmd := exec.Command("qemu-system-x86_64", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	serialLog, err := os.Create(filepath.Join(work, "serial.log"))
	if err != nil {
		return nil, err
	}
	defer serialLog.Close()

	// Lines are timed as they leave QEMU's pipe; the demultiplexer sees
	// that time as its clock, and QEMU's CPU time read when it asks.
	type serialLine struct {
		text string
		at   time.Time
	}
	lines := make(chan serialLine, 256)
	firstOut := make(chan struct{}, 1)
	var lineAt time.Time
	d := newDemux(cfg.Mode, func() time.Time { return lineAt }, func(s string) {
		if cfg.Stdout != nil && cfg.Repeat <= 1 {
			fmt.Fprintln(cfg.Stdout, s)
		}
		select {
		case firstOut <- struct{}{}:
		default:
		}
	})
	if cfg.Repeat > 1 {
		d.soak = &soakState{n: cfg.Repeat, expect: cfg.Expect, progress: func(s string) {
			fmt.Fprintln(progress, "box: "+s)
		}}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("box: start qemu: %w", err)
	}
	pid := cmd.Process.Pid
	d.cpu = func() time.Duration { return qemuCPUTime(pid) }
	kill := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	defer kill()
	go func() {
		var sink io.Writer = serialLog
		if cfg.Serial != nil {
			sink = io.MultiWriter(serialLog, cfg.Serial)
		}
		sc := bufio.NewScanner(io.TeeReader(stdout, sink))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			lines <- serialLine{sc.Text(), time.Now()}
		}
		close(lines)
	}()
	exited := make(chan error, 1)
	var h hostFacts
	h.start = start

	hard := time.NewTimer(hostDeadline(cfg))
	defer hard.Stop()
	var guestTimer <-chan time.Time // dom0 mode: Timeout from dom0 start
	var endGrace <-chan time.Time   // after the outcome is known: let QEMU exit
	inputs := cfg.Input
	var inputTick <-chan time.Time
	inputStarted := false
	done := false
	for !done {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				go func() { exited <- cmd.Wait() }()
				continue
			}
			lineAt = l.at
			d.Line(l.text)
			if cfg.Mode == Dom0 {
				if guestTimer == nil && d.has("unpaused") {
					guestTimer = time.After(cfg.Timeout)
				}
				if endGrace == nil && (d.has("stopped") || d.has("panic")) {
					// Xen halts and QEMU keeps running: end it after the
					// remaining lines of the message are in.
					endGrace = time.After(300 * time.Millisecond)
				}
			} else if endGrace == nil && d.has("done") {
				endGrace = time.After(5 * time.Second)
			}
		case <-firstOut:
			if !inputStarted && len(inputs) > 0 && cfg.Mode == Dom0 {
				inputStarted = true
				inputTick = time.After(cfg.InputDelay)
			}
		case <-inputTick:
			fmt.Fprintf(stdin, "%s\n", inputs[0])
			inputs = inputs[1:]
			inputTick = nil
			if len(inputs) > 0 {
				inputTick = time.After(cfg.InputDelay)
			}
		case err := <-exited:
			if !d.has("done") && !d.has("stopped") {
				h.qemuErr = fmt.Sprintf("QEMU exited (%v): %s", err, stderr.String())
				if err == nil {
					h.qemuErr = "QEMU exited: " + lastLines(d.xen.String()+d.dom0.String(), 3)
				}
			}
			done = true
		case <-guestTimer:
			h.hostTimeout = true
			done = true
		case <-endGrace:
			done = true
		case <-hard.C:
			h.hostTimeout = true
			done = true
		case <-ctx.Done():
			done = true
		}
	}
	h.cpuEnd = qemuCPUTime(pid)
	kill()
	// A killed QEMU's /proc entry no longer counts its threads' time.
	d.cpu = nil
	if d.soak != nil && d.soak.cur != nil {
		d.soak.cur.cpu = nil
	}
	// Drain what is left so the logs are complete, then reap QEMU.
	if lines != nil {
		for l := range lines {
			lineAt = l.at
			d.Line(l.text)
		}
		cmd.Wait()
	}
	h.end = time.Now()
	r := d.result(h)
	if err := ctx.Err(); err != nil {
		r.Outcome, r.Detail = BoxError, "cancelled: "+err.Error()
		return r, err
	}
	return r, nil
}

// SockcatPath is where dom0 has box/sockcat when the guest has channels
// or vchans: the tool a Dom0Script talks to their Unix sockets with.
const SockcatPath = "/usr/bin/sockcat"

// buildSockcat builds box/sockcat for dom0 (static linux/amd64).
func buildSockcat(ctx context.Context, dir string) ([]byte, error) {
	out := filepath.Join(dir, "sockcat")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "github.com/goxen/goxen/box/sockcat")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("box: building sockcat for dom0: %v: %s", err, msg)
	}
	return os.ReadFile(out)
}
