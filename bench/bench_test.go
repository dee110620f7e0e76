package bench

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBenchLine(t *testing.T) {
	for _, c := range []struct {
		line  string
		name  string
		value float64
		unit  string
		ok    bool
	}{
		{"BENCH time.now 51.37 ns/op", "time.now", 51.37, "ns/op", true},
		{"BENCH gc.count 6 GCs\r", "gc.count", 6, "GCs", true},
		{"BENCH x 1e3 ms", "x", 1000, "ms", true},
		{"BENCH-START", "", 0, "", false},
		{"BENCH x NaN ms", "", 0, "", false},
		{"BENCH x 1", "", 0, "", false},
		{"BENCH x 1 ms extra", "", 0, "", false},
		{"  BENCH x 1 ms", "", 0, "", false},
	} {
		n, v, u, ok := ParseBenchLine(c.line)
		if n != c.name || v != c.value || u != c.unit || ok != c.ok {
			t.Errorf("%q: got %q %v %q %v", c.line, n, v, u, ok)
		}
	}
}

// A session as bench/dom0 reports it (shortened).
const sampleRecords = `NOTE dom0 runner: 9 steps, domctl interface 0x15
RUN floor 0 memory=32 create_ms=1900.5 unpause_us=40 outcome=poweroff first_ms=3.100 program_ms=3.100 gone_ms=2.500 cpu_ms=0.800 ok=true bytes=7
RUN floor 1 memory=32 outcome=poweroff first_ms=4.100 program_ms=4.100 gone_ms=3.500 cpu_ms=0.900 ok=true
RUN hello-goxen 0 memory=32 outcome=poweroff first_ms=20.000 program_ms=150.000 gone_ms=160.000 cpu_ms=120.000 ok=true
LOG hello-goxen 0 20.000 goxen: PVH entry, long mode, hypercall page at 0x46a000
LOG hello-goxen 0 150.000 hello, world
RUN hello-goxen 1 memory=32 outcome=poweroff first_ms=22.000 program_ms=170.000 gone_ms=180.000 cpu_ms=130.000 ok=true
RUN hello-goxen 2 memory=32 outcome=crash first_ms=1.000 program_ms=- gone_ms=5.000 cpu_ms=1.000 ok=false
RUN linux-peer 0 memory=128 outcome=poweroff first_ms=900.000 program_ms=1000.000 gone_ms=1100.000 cpu_ms=800.000 ok=true
RUN bench-goxen 0 memory=128 outcome=poweroff program_ms=200 ok=true
FIG bench-goxen 0 boot.unpause-main 150 ms
FIG bench-goxen 0 syscall.raw 300 ns/op
FIG bench-goxen 0 console.write 2 MiB/s
RUN bench-linux 0 memory=128 outcome=poweroff program_ms=1200 ok=true
FIG bench-linux 0 boot.unpause-main 600 ms
FIG bench-linux 0 syscall.raw 600 ns/op
FIG bench-linux 0 console.write 1 MiB/s
RUN idle-goxen 0 memory=32 outcome=poweroff idle_cpu_ms=5.000 idle_wall_ms=10001.000 ok=true
RUN idle-linux 0 memory=128 outcome=poweroff idle_cpu_ms=50.000 idle_wall_ms=10003.000 ok=true
RUN hello-goxen-memory 32 memory=32 outcome=poweroff ok=true
BISECT hello-goxen-memory 32 ok poweroff
BISECT hello-goxen-memory 16 ok poweroff
BISECT hello-goxen-memory 8 ok poweroff
BISECT hello-goxen-memory 4 fail crash
BISECT hello-goxen-memory 6 ok poweroff
BISECT hello-goxen-memory 5 ok poweroff
MIN hello-goxen-memory 5
MIN linux-peer-memory -
exit 0
NOTE plan done in 300.0 s
`

func TestParseRecords(t *testing.T) {
	s, err := ParseRecords(sampleRecords)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.RunsOf(LabelHello)); got != 3 {
		t.Fatalf("%d hello runs", got)
	}
	h := s.RunsOf(LabelHello)[0]
	if h.Num("program_ms") != 150 || !h.OK() || len(h.Logs) != 2 || h.Logs[0].Text != "goxen: PVH entry, long mode, hypercall page at 0x46a000" || h.Logs[1].MS != 150 {
		t.Errorf("hello run 0: %+v", h)
	}
	if r := s.RunsOf(LabelHello)[2]; r.OK() || !math.IsNaN(r.Num("program_ms")) {
		t.Errorf("hello run 2: %+v", r)
	}
	// Medians count the guests that succeeded only.
	if m := Median(s.RunsOf(LabelHello), "first_ms"); m != 21 {
		t.Errorf("median first byte %v, want 21", m)
	}
	if m := Median(s.RunsOf(LabelFloor), "gone_ms"); m != 3 {
		t.Errorf("floor median %v", m)
	}
	if f := s.RunsOf(LabelBenchGoxen)[0].Figs["syscall.raw"]; f.Value != 300 || f.Unit != "ns/op" {
		t.Errorf("fig %+v", f)
	}
	if s.Min[LabelHelloMem] != 5 || s.Min[LabelPeerMem] != -1 || len(s.Bisects[LabelHelloMem]) != 6 {
		t.Errorf("bisection: %v %v", s.Min, s.Bisects)
	}
	if len(s.Notes) != 2 || !strings.HasPrefix(s.Notes[1], "plan done") {
		t.Errorf("notes %q", s.Notes)
	}
	for _, bad := range []string{
		"RUN floor x outcome=poweroff",
		"RUN floor 0 noequals",
		"FIG floor 0 name 1",
		"FIG floor 0 name one ms",
		"LOG floor 0",
		"LOG floor 0 x text",
		"BISECT floor x ok",
		"BISECT floor 4 maybe",
		"MIN floor",
		"MIN floor four",
	} {
		if _, err := ParseRecords(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestFiguresAndTable(t *testing.T) {
	s, err := ParseRecords(sampleRecords)
	if err != nil {
		t.Fatal(err)
	}
	figs := Figures(s, Sizes{Hello: 3_200_000, HelloDebug: 4_000_000, LinuxHello: 1_600_000, LinuxHelloFull: 2_500_000})
	by := map[string]Figure{}
	for _, f := range figs {
		by[f.Key] = f
	}
	check := func(key string, gx, lx, ratio float64, met string) {
		t.Helper()
		f, ok := by[key]
		if !ok {
			t.Fatalf("no figure %s", key)
		}
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9 }
		if !same(f.PVH.Goxen, gx) || !same(f.PVH.Linux, lx) || !same(f.Ratio(PVH), ratio) {
			t.Errorf("%s: goxen %v linux %v ratio %v, want %v %v %v", key, f.PVH.Goxen, f.PVH.Linux, f.Ratio(PVH), gx, lx, ratio)
		}
		got := "none"
		if f.PVH.Met != nil {
			got = map[bool]string{true: "yes", false: "no"}[*f.PVH.Met]
		}
		if got != met {
			t.Errorf("%s: met %s, want %s", key, got, met)
		}
	}
	nan := math.NaN()
	check("elf.hello", 3.2, 1.6, 2, "no")
	check("elf.hello-dbg", 4, 2.5, 1.6, "none") // for information: no goal
	if _, ok := by["elf.hello-w"]; ok {
		t.Error("elf.hello-w is back: goxen build strips the kernel itself; its .dbg is elf.hello-dbg")
	}
	check("mem.hello", 5, nan, nan, "no")
	check("boot.first-byte", 21, 900, 21.0/900, "none")
	check("boot.gone", 170, 1100, 170.0/1100, "none")
	check("syscall.raw", 300, 600, 0.5, "yes")
	check("console.write", 2, 1, 2, "yes")
	check("idle.cpu", 5, 50, 0.1, "yes")
	check("boot.main", 150, 600, 0.25, "yes")
	check("time.now", nan, nan, nan, "none")
	if f := by["boot.gone"]; f.Floor != 3 || !f.GoxenBetter(PVH) {
		t.Errorf("boot.gone floor %v better %v", f.Floor, f.GoxenBetter(PVH))
	}
	if f := by["console.write"]; f.Lower || !f.GoxenBetter(PVH) {
		t.Errorf("console.write: higher is better")
	}

	tab := Table(figs, ColumnsOf(s, []Mode{PVH}))
	for _, want := range []string{
		"| figure | unit | goxen PVH | Linux PVH | goxen/Linux PVH | floor | better | goal PVH | met PVH |",
		"| Kernel ELF of hello | MB | 3.200 | 1.600 | 2.00× | — | lower | ≤ 1.1× Linux | **no** |",
		"| getpid, RawSyscall | ns/op | 300.0 | 600.0 | 0.50× | — | lower | ≤ 1.0× Linux | yes |",
		"| Unpause → domain shut down | ms | 170.0 | 1100 | 0.15× | 3.000 | lower |  |  |",
		"| time.Now | ns/op | — | — | — | — | lower | ≤ 1.0× Linux | not measured |",
		"| Console throughput, 4 MiB to stdout | MiB/s | 2.000 | 1.000 | 2.00× | — | higher | ≥ 1.0× Linux | yes |",
	} {
		if !strings.Contains(tab, want+"\n") {
			t.Errorf("table lacks\n%s\n in\n%s", want, tab)
		}
	}
	if n := strings.Count(tab, "\n"); n != len(figs)+2 {
		t.Errorf("table has %d lines for %d figures", n, len(figs))
	}
	if sp := Spread(s); !strings.Contains(sp, "| hello-goxen | 2 | 32 | crash | false |") {
		t.Errorf("spread table:\n%s", sp)
	}
	if h := HowTable(figs); !strings.Contains(h, "`syscall.raw`") {
		t.Errorf("how table:\n%s", h)
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1234.5: "1234", 123.45: "123.5", 12.345: "12.35", 1.2345: "1.234", 0.001234: "0.0012"} {
		if got := FormatNum(v); got != want {
			t.Errorf("FormatNum(%v) = %q, want %q", v, got, want)
		}
	}
	if FormatNum(math.NaN()) != "—" || FormatRatio(math.NaN()) != "—" || FormatRatio(0.5) != "0.50×" || FormatRatio(250) != "250×" {
		t.Error("formats")
	}
	if FormatMS(-1) != "-" || FormatMS(1.23456) != "1.235" {
		t.Error("FormatMS")
	}
}

func TestPlanRoundTrip(t *testing.T) {
	p := &Plan{Steps: []Step{
		{Label: "a", Kind: KindRun, Kernel: "/k", Memory: 32, TimeoutSec: 10},
		{Label: "b", Kind: KindBisect, Kernel: "/k", Lo: 1, Hi: 32, TimeoutSec: 10},
	}}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, err := UnmarshalPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Steps) != 2 || q.Steps[1].Hi != 32 || q.Steps[0].Timeout().Seconds() != 10 {
		t.Errorf("%+v", q)
	}
	for _, bad := range []Plan{
		{Steps: []Step{{Label: "", Kind: KindRun, Kernel: "/k", Memory: 1, TimeoutSec: 1}}},
		{Steps: []Step{{Label: "a b", Kind: KindRun, Kernel: "/k", Memory: 1, TimeoutSec: 1}}},
		{Steps: []Step{{Label: "a", Kind: KindRun, Kernel: "/k", Memory: 0, TimeoutSec: 1}}},
		{Steps: []Step{{Label: "a", Kind: KindRun, Memory: 1, TimeoutSec: 1}}},
		{Steps: []Step{{Label: "a", Kind: KindRun, Kernel: "/k", Memory: 1}}},
		{Steps: []Step{{Label: "a", Kind: "other", Kernel: "/k", Memory: 1, TimeoutSec: 1}}},
		{Steps: []Step{{Label: "a", Kind: KindBisect, Kernel: "/k", Lo: 8, Hi: 8, TimeoutSec: 1}}},
		{Steps: []Step{{Label: "a", Kind: KindRun, Kernel: "/k", Memory: 1, TimeoutSec: 1}, {Label: "a", Kind: KindRun, Kernel: "/k", Memory: 1, TimeoutSec: 1}}},
	} {
		if err := bad.Check(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestPackageSizes(t *testing.T) {
	nm := `  4ab000     120 D runtime.x
  4ab100      80 T runtime.mallocgc
  4ab200     300 T github.com/goxen/goxen/kernel.boot
  4ab300      20 T github.com/goxen/goxen/kernel.(*line).s
  4ab400      50 R type:*os.File
  4ab500      10 R go:buildinfo
  4ab600       7 T golang.org/x/arch/x86/x86asm.Decode
  junk line
`
	got := PackageSizes(nm)
	want := []PackageSize{{"github.com/goxen/goxen/kernel", 320}, {"runtime", 200}, {"type:", 50}, {"go:", 10}, {"golang.org/x/arch/x86/x86asm", 7}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestELFSections(t *testing.T) {
	p := filepath.Join(t.TempDir(), "probe.elf")
	if err := os.WriteFile(p, FloorProbe(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The probe has no section headers: nothing to list, no error.
	ss, _, err := ELFSections(p)
	if err != nil || len(ss) != 0 {
		t.Errorf("probe: %v %v", ss, err)
	}
	exe, err := os.Executable() // this test binary: a Go ELF with sections
	if err != nil {
		t.Fatal(err)
	}
	ss, end, err := ELFSections(exe)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for i, s := range ss {
		names[s.Name] = true
		if i > 0 && s.Size > ss[i-1].Size {
			t.Errorf("not sorted at %d", i)
		}
	}
	if !names[".text"] || !names[".gopclntab"] || end <= 0 {
		t.Errorf("sections %v end %d", ss, end)
	}
}
