package main

import (
	"strings"
	"testing"

	"github.com/goxen/goxen/bench"
)

// The plan make bench runs is valid, has every step the figures read, and
// survives the trip to dom0.
func TestPlan(t *testing.T) {
	for _, quick := range []bool{false, true} {
		p := makePlan(quick, bench.AllModes)
		if err := p.Check(); err != nil {
			t.Fatal(err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bench.UnmarshalPlan(b); err != nil {
			t.Fatal(err)
		}
		labels := map[string]bool{}
		for _, s := range p.Steps {
			labels[s.Label] = true
		}
		want := []string{bench.LabelFloor, bench.LabelHello, bench.LabelPeer, bench.LabelBenchGoxen,
			bench.LabelBenchLinux, bench.LabelIdleGoxen, bench.LabelIdleLinux, bench.LabelHelloMem}
		if !quick {
			want = append(want, bench.LabelPeerMem)
		}
		for _, l := range []string{bench.LabelHello, bench.LabelPeer, bench.LabelBenchGoxen, bench.LabelBenchLinux,
			bench.LabelIdleGoxen, bench.LabelIdleLinux} {
			want = append(want, bench.ModeLabel(l, bench.PV))
		}
		for _, l := range want {
			if !labels[l] {
				t.Errorf("quick=%v: no step %s", quick, l)
			}
		}
	}
}

// -modes limits the plan to its modes' steps; PV steps are PV guests, and
// goxen's later PV steps wait for its first (which fails fast), so a
// kernel that does not boot as PV costs one boot.
func TestPlanModes(t *testing.T) {
	types := func(p *bench.Plan) map[bench.Mode]int {
		n := map[bench.Mode]int{}
		for _, s := range p.Steps {
			n[s.GuestType()]++
		}
		return n
	}
	if n := types(makePlan(false, []bench.Mode{bench.PVH})); n[bench.PV] != 0 || n[bench.PVH] != 9 {
		t.Errorf("pvh only: %v", n)
	}
	p := makePlan(false, []bench.Mode{bench.PV})
	if n := types(p); n[bench.PVH] != 0 || n[bench.PV] != 6 {
		t.Errorf("pv only: %v", n)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	by := map[string]bench.Step{}
	for _, s := range p.Steps {
		by[s.Label] = s
	}
	hello := by[bench.ModeLabel(bench.LabelHello, bench.PV)]
	if !hello.FailFast || hello.Needs != "" {
		t.Errorf("goxen PV hello: %+v", hello)
	}
	for _, l := range []string{bench.LabelBenchGoxen, bench.LabelIdleGoxen} {
		if s := by[bench.ModeLabel(l, bench.PV)]; s.Needs != hello.Label || !s.FailFast {
			t.Errorf("%s: needs %q fail fast %v", s.Label, s.Needs, s.FailFast)
		}
	}
	for _, l := range []string{bench.LabelBenchLinux, bench.LabelIdleLinux} {
		if s := by[bench.ModeLabel(l, bench.PV)]; s.Needs != bench.ModeLabel(bench.LabelPeer, bench.PV) {
			t.Errorf("%s: needs %q", s.Label, s.Needs)
		}
	}
}

func TestReport(t *testing.T) {
	s, err := bench.ParseRecords("RUN hello-goxen 0 memory=32 outcome=poweroff first_ms=10 program_ms=20 gone_ms=30 ok=true\n" +
		"RUN linux-peer 0 memory=128 outcome=poweroff first_ms=900 program_ms=1000 gone_ms=1100 ok=true\n" +
		"LOG hello-goxen 0 10.0 goxen: PVH entry\nBISECT hello-goxen-memory 32 ok poweroff\nMIN hello-goxen-memory 32\nNOTE done\n")
	if err != nil {
		t.Fatal(err)
	}
	a := &artifacts{sizes: bench.Sizes{Hello: 3e6, HelloDebug: 4e6, LinuxHello: 1.5e6, LinuxHelloFull: 2e6}}
	md := report("header", s, bench.Figures(s, a.sizes), bench.ColumnsOf(s, bench.AllModes), a)
	for _, want := range []string{"# goxen against Linux", "header", "| Kernel ELF of hello | MB | 3.000 | 1.500 | 2.00× | n/a | n/a | n/a |",
		"| Kernel ELF of hello with symbols and DWARF | MB | 4.000 | 2.000 | 2.00× |",
		"goxen PV: n/a (not run in this session)", "Linux PV: n/a (not run in this session)",
		"| goxen build: hello.elf, what Xen boots | 3000000 |", "| hello.elf.dbg: the same kernel with symbols and DWARF | 4000000 |",
		"| go build -ldflags='-s -w', linux/amd64 | 1500000 |", "| go build, linux/amd64 | 2000000 |",
		"| section | goxen hello.elf | Linux -s -w |", "`go tool nm -size` of hello.elf.dbg",
		"## Boot of `hello-goxen`", "     10.0  goxen: PVH entry", "smallest: **32 MiB**", "- done"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
