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
		p := makePlan(quick)
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
		for _, l := range want {
			if !labels[l] {
				t.Errorf("quick=%v: no step %s", quick, l)
			}
		}
	}
}

func TestReport(t *testing.T) {
	s, err := bench.ParseRecords("RUN hello-goxen 0 memory=32 outcome=poweroff first_ms=10 program_ms=20 gone_ms=30 ok=true\n" +
		"LOG hello-goxen 0 10.0 goxen: PVH entry\nBISECT hello-goxen-memory 32 ok poweroff\nMIN hello-goxen-memory 32\nNOTE done\n")
	if err != nil {
		t.Fatal(err)
	}
	a := &artifacts{sizes: bench.Sizes{Hello: 3e6, HelloDebug: 4e6, LinuxHello: 1.5e6, LinuxHelloFull: 2e6}}
	md := report("header", s, bench.Figures(s, a.sizes), a)
	for _, want := range []string{"# goxen against Linux", "header", "| Kernel ELF of hello | MB | 3.000 | 1.500 | 2.00× |",
		"| Kernel ELF of hello with symbols and DWARF | MB | 4.000 | 2.000 | 2.00× |",
		"| goxen build: hello.elf, what Xen boots | 3000000 |", "| hello.elf.dbg: the same kernel with symbols and DWARF | 4000000 |",
		"| go build -ldflags='-s -w', linux/amd64 | 1500000 |", "| go build, linux/amd64 | 2000000 |",
		"| section | goxen hello.elf | Linux -s -w |", "`go tool nm -size` of hello.elf.dbg",
		"## Boot of `hello-goxen`", "     10.0  goxen: PVH entry", "smallest: **32 MiB**", "- done"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
