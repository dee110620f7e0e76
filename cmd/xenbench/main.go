// Command xenbench is `make bench`: the same Go program on goxen and on
// Linux, side by side, in one box session (real Xen 4.17 in QEMU), and the
// figures of the goxen kernel against Debian's Linux as a PVH domU.
//
// It builds bench/guest twice (a goxen kernel, and a static linux/amd64
// binary that becomes /init of a busybox initramfs), examples/hello, the
// floor guest (package bench) and the dom0 runner (bench/dom0); writes the
// plan; boots the box once, with bench/guest idling as the main guest
// while dom0 runs the plan (Config.Dom0Script); and writes, in -out:
//
//	results.md    the table: each figure for goxen, Linux, their ratio
//	ratios.png    the ratios, plotted
//	records.txt   what dom0 reported (xenbench -from records.txt redraws)
//	box/          the box's logs
//
// Usage:
//
//	xenbench [-out build/bench] [-quick] [-from records.txt]
package main

import (
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
	flag.Parse()
	if err := run(*out, *from, *quick); err != nil {
		fmt.Fprintln(os.Stderr, "xenbench:", err)
		os.Exit(1)
	}
}

func run(out, from string, quick bool) error {
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
		r, err := boxSession(out, art, quick)
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
	md := report(header, s, figs, art)
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if err := plot.Ratios(figs, "goxen / Linux as PVH domU, one box session", filepath.Join(out, "ratios.png")); err != nil {
		return err
	}
	fmt.Println(bench.Table(figs))
	logf("wrote %s and %s in %.0f s", filepath.Join(out, "results.md"), filepath.Join(out, "ratios.png"), time.Since(start).Seconds())
	return nil
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

func makePlan(quick bool) *bench.Plan {
	rep := func(n int) int {
		if quick {
			return 1
		}
		return n
	}
	steps := []bench.Step{
		{Label: bench.LabelFloor, Kind: bench.KindRun, Kernel: dFloor, Memory: 32, Repeat: rep(5),
			TimeoutSec: 30, Program: "FLOOR", Want: "FLOOR", Forward: []string{""}},
		{Label: bench.LabelHello, Kind: bench.KindRun, Kernel: dHello, Memory: 32, Repeat: rep(5),
			TimeoutSec: 60, Program: "hello, world", Want: "hello, world", Forward: []string{""}},
		{Label: bench.LabelPeer, Kind: bench.KindRun, Kernel: dVmlinuz, Ramdisk: dPeerRD, Cmdline: linuxCmd,
			Memory: linuxMemory, Repeat: rep(3), TimeoutSec: 120, Program: "LINUX-PEER-OK", Want: "LINUX-PEER-OK",
			Forward: []string{""}},
		{Label: bench.LabelBenchGoxen, Kind: bench.KindRun, Kernel: dBench, Cmdline: "-mode bench",
			Memory: linuxMemory, TimeoutSec: 400, PollMS: 50, Program: "BENCH-START", Want: "BENCH-END",
			Forward: []string{"goxen:"}},
		{Label: bench.LabelBenchLinux, Kind: bench.KindRun, Kernel: dVmlinuz, Ramdisk: dBenchRD,
			Cmdline: linuxCmd + " -- -mode bench", Memory: linuxMemory, TimeoutSec: 400, PollMS: 50,
			Program: "BENCH-START", Want: "BENCH-END", Forward: []string{""}},
		{Label: bench.LabelIdleGoxen, Kind: bench.KindRun, Kernel: dBench, Cmdline: "-mode idle",
			Memory: 32, TimeoutSec: 60, PollMS: 20, Program: "BENCH-START", Want: "IDLE-DONE", Idle: true},
		{Label: bench.LabelIdleLinux, Kind: bench.KindRun, Kernel: dVmlinuz, Ramdisk: dBenchRD,
			Cmdline: linuxCmd + " -- -mode idle", Memory: linuxMemory, TimeoutSec: 120, PollMS: 20,
			Program: "BENCH-START", Want: "IDLE-DONE", Idle: true},
		{Label: bench.LabelHelloMem, Kind: bench.KindBisect, Kernel: dHello, Lo: 1, Hi: 32,
			TimeoutSec: 30, PollMS: 20, Program: "hello, world", Want: "hello, world"},
	}
	if !quick {
		steps = append(steps, bench.Step{Label: bench.LabelPeerMem, Kind: bench.KindBisect, Kernel: dVmlinuz,
			Ramdisk: dPeerRD, Cmdline: linuxCmd + " panic=-1", Lo: 8, Hi: linuxMemory, TimeoutSec: 60, PollMS: 20,
			Program: "LINUX-PEER-OK", Want: "LINUX-PEER-OK"})
	}
	return &bench.Plan{Steps: steps}
}

// boxSession boots the box once and has dom0 run the plan.
func boxSession(out string, a *artifacts, quick bool) (*box.Result, error) {
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
	plan := makePlan(quick)
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
	logf("box session: %d steps; the main guest idles while dom0 runs them", len(plan.Steps))
	cfg := box.Config{
		Kernel: a.benchGoxen, Mode: box.DomU, Memory: 32, Cmdline: "-mode wait",
		Files:      files,
		Dom0Script: dRunner + " -plan " + dPlan + "\nxl shutdown $DOMID\n",
		Timeout:    25 * time.Minute,
		OutDir:     boxDir,
		Progress:   os.Stderr,
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
