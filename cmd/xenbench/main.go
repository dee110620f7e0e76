// Command xenbench is `make bench`: the same Go program on goxen and on
// Linux, side by side, in one box session (real Xen 4.17 in QEMU), and the
// figures of the goxen kernel against Debian's Linux, each as a PVH domU
// and as a classic PV domU (-modes picks the columns).
//
// It builds bench/guest twice (a goxen kernel, and a static linux/amd64
// binary that becomes /init of a busybox initramfs), examples/hello, the
// floor guest (package bench) and the dom0 runner (bench/dom0); writes the
// plan; boots the box once, with bench/guest idling as the main guest
// while dom0 runs the plan (Config.Dom0Script); and writes, in -out:
//
//	results.md    the table: each figure for goxen and Linux in each mode, their ratio
//	ratios.png    the PVH ratios, plotted (ratios-pv.png: the PV ones)
//	records.txt   what dom0 reported (xenbench -from records.txt redraws)
//	box/          the box's logs
//
// Usage:
//
//	xenbench [-out build/bench] [-quick] [-modes pvh,pv] [-from records.txt]
//
// A column whose kernel does not boot in its mode says "n/a (does not
// boot as PV: <its fatal line>)"; the rest of the table is unaffected.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/goxen/goxen/bench"
	"github.com/goxen/goxen/bench/plot"
	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/kernelbuild"
	"github.com/goxen/goxen/linker"
)

func main() {
	out := flag.String("out", "build/bench", "output directory")
	from := flag.String("from", "", "make the table and plot from this records file (no box run)")
	quick := flag.Bool("quick", false, "fewer repeats and no Linux bisection: a quick look, not a result")
	modeList := flag.String("modes", "pvh,pv", "the guest types to run both kernels as (the table's columns): pvh, pv, or pvh,pv (all)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: xenbench [flags] (make bench BENCHFLAGS='...')\n\n"+
			"Runs bench/guest on goxen and on Debian's Linux in one box session, as a PVH domU and as a\n"+
			"classic PV domU, and writes results.md, ratios.png (PVH), ratios-pv.png (PV), records.txt.\n"+
			"A column whose kernel does not boot in its mode says n/a and why; the rest still runs.\n"+
			"Both modes took 12 minutes on 2 cores, PV 2 of them: -modes pvh (or pv) runs only its columns.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	modes, err := bench.ParseModes(*modeList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "xenbench:", err)
		os.Exit(2)
	}
	if err := run(*out, *from, *quick, modes); err != nil {
		fmt.Fprintln(os.Stderr, "xenbench:", err)
		os.Exit(1)
	}
}

func run(out, from string, quick bool, modes []bench.Mode) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	bin := filepath.Join(out, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	logf("building")
	art, err := buildAll(bin)
	if err != nil {
		return err
	}
	var records, header string
	if from != "" {
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		records = string(b)
		header = fmt.Sprintf("Figures from %s (no box run); ELF sizes built now.", from)
	} else {
		r, err := boxSession(out, art, quick, modes)
		if r != nil {
			records = r.Script
			if werr := os.WriteFile(filepath.Join(out, "records.txt"), []byte(records), 0o644); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
		header = fmt.Sprintf("Run of %s: one box session, %s (%s, box %s).",
			start.Format("2006-01-02 15:04:05 MST"), r.Summary(), hostName(), filepath.Join(out, "box"))
	}
	s, err := bench.ParseRecords(records)
	if err != nil {
		return err
	}
	figs := bench.Figures(s, art.sizes)
	cols := bench.ColumnsOf(s, modes)
	md := report(header, s, figs, cols, art)
	wrote := []string{filepath.Join(out, "results.md")}
	if err := os.WriteFile(wrote[0], []byte(md), 0o644); err != nil {
		return err
	}
	for _, m := range modes {
		png := filepath.Join(out, plotName(m))
		os.Remove(png) // not last session's plot beside this session's table
		err := plot.Ratios(figs, m, "goxen / Linux as "+m.Title()+" domU, one box session", png)
		if err != nil {
			// A mode with no ratio (a column n/a) has no plot; the table says why.
			logf("no %s: %v", png, err)
			continue
		}
		wrote = append(wrote, png)
	}
	fmt.Println(bench.Table(figs, cols))
	logf("wrote %s in %.0f s", strings.Join(wrote, ", "), time.Since(start).Seconds())
	return nil
}

// plotName is mode m's plot: ratios.png for PVH (as before PV joined),
// ratios-pv.png for PV.
func plotName(m bench.Mode) string {
	if m == bench.PVH {
		return "ratios.png"
	}
	return "ratios-" + string(m) + ".png"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "xenbench: "+format+"\n", args...)
}

func hostName() string {
	h, _ := os.Hostname()
	return h
}

// artifacts are the built files.
type artifacts struct {
	hello, benchGoxen, benchLinux, helloLinux, dom0 string
	sizes                                           bench.Sizes
	nmHello                                         string // go tool nm -size -sort size of hello.elf.dbg (hello.elf has no symbols)
	nmLinux                                         string // ... of the unstripped Linux hello
}

func buildAll(dir string) (*artifacts, error) {
	ctx := context.Background()
	a := &artifacts{
		hello:      filepath.Join(dir, "hello.elf"),
		benchGoxen: filepath.Join(dir, "bench-goxen.elf"),
		benchLinux: filepath.Join(dir, "bench-linux"),
		helloLinux: filepath.Join(dir, "hello-linux"),
		dom0:       filepath.Join(dir, "dom0"),
	}
	kernel := func(out, pkg, tags, ldflags string) error {
		_, err := kernelbuild.Build(ctx, kernelbuild.Options{Packages: []string{pkg}, Output: out,
			Tags: tags, LDFlags: ldflags, Log: os.Stderr})
		return err
	}
	linux := func(out, pkg, ldflags string) error {
		cmd := exec.Command("go", "build", "-o", out, "-ldflags="+ldflags, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		cmd.Stderr = os.Stderr
		return cmd.Run()
	}
	for _, step := range []func() error{
		func() error { return kernel(a.hello, "./examples/hello", "", "") }, // and hello.elf.dbg
		func() error { return kernel(a.benchGoxen, "./bench/guest", "goxen", "") },
		func() error { return linux(a.benchLinux, "./bench/guest", "") },
		// Only main.go: examples/hello's board_linux.go imports the kernel.
		func() error { return linux(a.helloLinux, "./examples/hello/main.go", "-s -w") },
		func() error { return linux(a.dom0, "./bench/dom0", "") },
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	// The stripped Linux hello has no symbols: build the unstripped one
	// too, for its size and symbols.
	linuxFull := a.helloLinux + "-full"
	if err := linux(linuxFull, "./examples/hello/main.go", ""); err != nil {
		return nil, err
	}
	helloDbg := a.hello + linker.DebugSuffix
	for p, n := range map[string]*int64{a.hello: &a.sizes.Hello, helloDbg: &a.sizes.HelloDebug,
		a.helloLinux: &a.sizes.LinuxHello, linuxFull: &a.sizes.LinuxHelloFull} {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		*n = fi.Size()
	}
	nm := func(p string) string {
		b, err := exec.Command("go", "tool", "nm", "-size", "-sort", "size", p).Output()
		if err != nil {
			return ""
		}
		return string(b)
	}
	a.nmHello = nm(helloDbg)
	a.nmLinux = nm(linuxFull)
	return a, nil
}

// The guests' paths in dom0 (Config.Files).
const (
	dHello      = "/bench/hello.elf"
	dBench      = "/bench/bench-goxen.elf"
	dFloor      = "/bench/floor.elf"
	dVmlinuz    = "/bench/vmlinuz"
	dPeerRD     = "/bench/linux-peer.cpio.gz"
	dBenchRD    = "/bench/linux-bench.cpio.gz"
	dRunner     = "/bench/dom0"
	dPlan       = "/bench/plan.json"
	linuxCmd    = "console=hvc0 quiet"
	linuxMemory = 128
)

func makePlan(quick bool, modes []bench.Mode) *bench.Plan {
	rep := func(n int) int {
		if quick {
			return 1
		}
		return n
	}
	var steps, bisects []bench.Step
	for _, m := range modes {
		switch m {
		case bench.PVH:
			steps = append(steps, bench.Step{Label: bench.LabelFloor, Kind: bench.KindRun, Kernel: dFloor, Memory: 32,
				Repeat: rep(5), TimeoutSec: 30, Program: "FLOOR", Want: "FLOOR", Forward: []string{""}})
			steps = append(steps, modeSteps(m, rep)...)
			bisects = append(bisects, bench.Step{Label: bench.LabelHelloMem, Kind: bench.KindBisect, Kernel: dHello,
				Lo: 1, Hi: 32, TimeoutSec: 30, PollMS: 20, Program: "hello, world", Want: "hello, world"})
			if !quick {
				bisects = append(bisects, bench.Step{Label: bench.LabelPeerMem, Kind: bench.KindBisect, Kernel: dVmlinuz,
					Ramdisk: dPeerRD, Cmdline: linuxCmd + " panic=-1", Lo: 8, Hi: linuxMemory, TimeoutSec: 60, PollMS: 20,
					Program: "LINUX-PEER-OK", Want: "LINUX-PEER-OK"})
			}
		case bench.PV:
			steps = append(steps, modeSteps(m, rep)...)
		}
	}
	// The bisections last: the figures of every mode come first.
	return &bench.Plan{Steps: append(steps, bisects...)}
}

// modeSteps are the guests of one mode's two columns: hello and the
// Linux peer (boot figures), the benchmark on both, both idling. In PV,
// each kernel's later steps need its first to have succeeded and end at
// their first failure: a kernel that does not boot as PV yet costs one
// boot, not every step's timeouts, and its column says why (bench.ColumnsOf).
func modeSteps(m bench.Mode, rep func(int) int) []bench.Step {
	typ := m
	if m == bench.PVH {
		typ = "" // the plan as it was before PV: type = "pvh" by default
	}
	l := func(label string) string { return bench.ModeLabel(label, m) }
	goxen := []bench.Step{
		{Label: l(bench.LabelHello), Kind: bench.KindRun, Kernel: dHello, Memory: 32, Repeat: rep(5),
			TimeoutSec: 60, Program: "hello, world", Want: "hello, world", Forward: []string{""}},
		{Label: l(bench.LabelBenchGoxen), Kind: bench.KindRun, Kernel: dBench, Cmdline: "-mode bench",
			Memory: linuxMemory, TimeoutSec: 400, PollMS: 50, Program: "BENCH-START", Want: "BENCH-END",
			Forward: []string{"goxen:"}},
		{Label: l(bench.LabelIdleGoxen), Kind: bench.KindRun, Kernel: dBench, Cmdline: "-mode idle",
			Memory: 32, TimeoutSec: 60, PollMS: 20, Program: "BENCH-START", Want: "IDLE-DONE", Idle: true},
	}
	linux := []bench.Step{
		{Label: l(bench.LabelPeer), Kind: bench.KindRun, Kernel: dVmlinuz, Ramdisk: dPeerRD, Cmdline: linuxCmd,
			Memory: linuxMemory, Repeat: rep(3), TimeoutSec: 120, Program: "LINUX-PEER-OK", Want: "LINUX-PEER-OK",
			Forward: []string{""}},
		{Label: l(bench.LabelBenchLinux), Kind: bench.KindRun, Kernel: dVmlinuz, Ramdisk: dBenchRD,
			Cmdline: linuxCmd + " -- -mode bench", Memory: linuxMemory, TimeoutSec: 400, PollMS: 50,
			Program: "BENCH-START", Want: "BENCH-END", Forward: []string{""}},
		{Label: l(bench.LabelIdleLinux), Kind: bench.KindRun, Kernel: dVmlinuz, Ramdisk: dBenchRD,
			Cmdline: linuxCmd + " -- -mode idle", Memory: linuxMemory, TimeoutSec: 120, PollMS: 20,
			Program: "BENCH-START", Want: "IDLE-DONE", Idle: true},
	}
	for _, ss := range [][]bench.Step{goxen, linux} {
		for i := range ss {
			ss[i].Type = typ
			if m == bench.PV {
				ss[i].FailFast = ss[i].Label != l(bench.LabelPeer)
				if i > 0 {
					ss[i].Needs = ss[0].Label
				}
			}
		}
	}
	// The order of the plan before PV: hello, peer, then the benchmark
	// and the idle guests, goxen's before Linux's.
	return []bench.Step{goxen[0], linux[0], goxen[1], linux[1], goxen[2], linux[2]}
}

// boxSession boots the box once and has dom0 run the plan.
func boxSession(out string, a *artifacts, quick bool, modes []bench.Mode) (*box.Result, error) {
	ctx := context.Background()
	assets, err := box.Ensure(ctx, os.Stderr)
	if err != nil {
		return nil, err
	}
	peerRD, err := box.GuestInitramfs("/bin/busybox", map[string][]byte{
		"init": []byte("#!/bin/busybox sh\n/bin/busybox echo LINUX-PEER-OK\n/bin/busybox poweroff -f\n")})
	if err != nil {
		return nil, err
	}
	benchLinux, err := os.ReadFile(a.benchLinux)
	if err != nil {
		return nil, err
	}
	benchRD, err := box.GuestInitramfs("/bin/busybox", map[string][]byte{"init": benchLinux})
	if err != nil {
		return nil, err
	}
	plan := makePlan(quick, modes)
	planJSON, err := plan.Marshal()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{dPeerRD: peerRD, dBenchRD: benchRD, dPlan: planJSON, dFloor: bench.FloorProbe()}
	for path, host := range map[string]string{dHello: a.hello, dBench: a.benchGoxen, dVmlinuz: assets.Vmlinuz, dRunner: a.dom0} {
		b, err := os.ReadFile(host)
		if err != nil {
			return nil, err
		}
		files[path] = b
	}
	boxDir := filepath.Join(out, "box")
	os.RemoveAll(boxDir)
	logf("box session: %d steps (%s); the main guest idles while dom0 runs them", len(plan.Steps), modeNames(modes))
	cfg := box.Config{
		Kernel: a.benchGoxen, Mode: box.DomU, Memory: 32, Cmdline: "-mode wait",
		Files:      files,
		Dom0Script: dRunner + " -plan " + dPlan + "\nxl shutdown $DOMID\n",
		Timeout:    time.Duration(10+15*len(modes)) * time.Minute,
		OutDir:     boxDir,
		Progress:   os.Stderr,
		Serial:     &progressWriter{start: time.Now()},
		Stdout:     prefixWriter{os.Stderr, "main guest: "},
	}
	r, err := box.Run(ctx, cfg)
	logf("%s", r.Summary())
	if err != nil {
		return r, err
	}
	if !strings.Contains(r.Script, "NOTE plan done") {
		return r, errors.New("dom0 did not finish the plan: see " + filepath.Join(boxDir, "script.log") + " and dom0.log")
	}
	return r, nil
}

func modeNames(modes []bench.Mode) string {
	var ns []string
	for _, m := range modes {
		ns = append(ns, m.Title())
	}
	return strings.Join(ns, ", ")
}

// progressWriter reads the box's serial output as it comes and logs a
// progress line for each step the dom0 runner starts and each guest it
// reports (its lines arrive tagged "@@S ", box/init.sh).
type progressWriter struct {
	start   time.Time
	partial []byte
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(p.partial[:i]), "\r")
		p.partial = p.partial[i+1:]
		if rec, ok := strings.CutPrefix(line, "@@S "); ok {
			if msg := bench.ProgressLine(rec); msg != "" {
				logf("[%4.0f s] %s", time.Since(p.start).Seconds(), msg)
			}
		}
	}
	return len(b), nil
}

type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			io.WriteString(p.w, p.prefix+l)
		}
	}
	return len(b), nil
}
