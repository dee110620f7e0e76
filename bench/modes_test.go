package bench

import (
	"math"
	"strings"
	"testing"
)

func TestParseModes(t *testing.T) {
	for in, want := range map[string]string{
		"":             "pvh,pv",
		"pvh,pv":       "pvh,pv",
		"pv":           "pv",
		" PV , pvh ":   "pvh,pv", // the table's order, whatever the flag's
		"pvh,pvh":      "pvh",
		"all":          "pvh,pv",
		"pvh":          "pvh",
		"pv,pv,pv,pvh": "pvh,pv",
	} {
		ms, err := ParseModes(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, string(m))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%q: %v, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"hvm", "pvh,", ",", "pvh pv"} {
		if _, err := ParseModes(bad); err == nil || !strings.Contains(err.Error(), "want pvh, pv or all") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestModeLabel(t *testing.T) {
	if ModeLabel(LabelBenchGoxen, PVH) != "bench-goxen" || ModeLabel(LabelBenchGoxen, PV) != "bench-goxen-pv" {
		t.Error(ModeLabel(LabelBenchGoxen, PVH), ModeLabel(LabelBenchGoxen, PV))
	}
	if PVH.Title() != "PVH" || PV.Title() != "PV" {
		t.Error(PVH.Title(), PV.Title())
	}
}

// A step's guest type and its dependence on an earlier step.
func TestStepTypeNeeds(t *testing.T) {
	run := func(label string) Step {
		return Step{Label: label, Kind: KindRun, Kernel: "/k", Memory: 32, TimeoutSec: 10}
	}
	a, b := run("a"), run("b")
	a.Type = PV
	b.Type, b.Needs, b.FailFast = PV, "a", true
	if err := (&Plan{Steps: []Step{a, b}}).Check(); err != nil {
		t.Fatal(err)
	}
	q, err := UnmarshalPlan(mustMarshal(t, &Plan{Steps: []Step{a, b}}))
	if err != nil || q.Steps[1].Type != PV || q.Steps[1].Needs != "a" || !q.Steps[1].FailFast || q.Steps[0].GuestType() != "pv" {
		t.Errorf("round trip: %+v %v", q, err)
	}
	if run("c").GuestType() != "pvh" {
		t.Error("no type is pvh")
	}
	bad := run("c")
	bad.Type = "hvm"
	if err := (&Plan{Steps: []Step{bad}}).Check(); err == nil || !strings.Contains(err.Error(), `type "hvm"`) {
		t.Errorf("type hvm: %v", err)
	}
	later := run("c")
	later.Needs = "d"
	if err := (&Plan{Steps: []Step{later, run("d")}}).Check(); err == nil || !strings.Contains(err.Error(), `needs "d"`) {
		t.Errorf("needs a later step: %v", err)
	}
	// Skip: the step runs only when the step it needs had a guest that succeeded.
	if why := b.Skip(map[string]bool{"a": true}); why != "" {
		t.Errorf("a succeeded: skip %q", why)
	}
	for _, ok := range []map[string]bool{{}, {"a": false}} {
		if why := b.Skip(ok); why != "needs a, which had no guest that succeeded" {
			t.Errorf("%v: skip %q", ok, why)
		}
	}
	if why := a.Skip(nil); why != "" {
		t.Errorf("no needs: skip %q", why)
	}
}

func mustMarshal(t *testing.T, p *Plan) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleRecords and both kernels as PV: Linux boots, goxen says it cannot
// yet and crashes (its later steps skipped by dom0).
const pvRecords = sampleRecords + `RUN hello-goxen-pv 0 memory=32 outcome=crash first_ms=20.000 program_ms=- gone_ms=30.000 ok=false
LOG hello-goxen-pv 0 20.000 goxen: PV entry
LOG hello-goxen-pv 0 21.000 goxen: fatal: type = "pv" needs classic PV part 2: the stock-Go flavour boots only as PVH for now; use type = "pvh"
NOTE step bench-goxen-pv skipped: needs hello-goxen-pv, which had no guest that succeeded
RUN linux-peer-pv 0 memory=128 outcome=poweroff first_ms=800.000 program_ms=900.000 gone_ms=1000.000 cpu_ms=700.000 ok=true
RUN bench-linux-pv 0 memory=128 outcome=poweroff program_ms=1100 ok=true
FIG bench-linux-pv 0 boot.unpause-main 500 ms
FIG bench-linux-pv 0 syscall.raw 400 ns/op
FIG bench-linux-pv 0 console.write 4 MiB/s
RUN idle-linux-pv 0 memory=128 outcome=poweroff idle_cpu_ms=40.000 idle_wall_ms=10003.000 ok=true
`

func TestColumnsNA(t *testing.T) {
	s, err := ParseRecords(pvRecords)
	if err != nil {
		t.Fatal(err)
	}
	cols := ColumnsOf(s, []Mode{PVH, PV})
	want := map[Column]string{
		{Goxen, PVH}: "",
		{Linux, PVH}: "",
		{Goxen, PV}:  `does not boot as PV: goxen: fatal: type = "pv" needs classic PV part 2: the stock-Go flavour boots only as PVH for now; use type = "pvh"`,
		{Linux, PV}:  "",
	}
	for c, w := range want {
		if got := cols.NA[c]; got != w {
			t.Errorf("%s: n/a %q, want %q", c, got, w)
		}
	}
	// Records of a session that ran PVH only: the PV columns were not run.
	s2, _ := ParseRecords(sampleRecords)
	if got := ColumnsOf(s2, []Mode{PVH, PV}).NA[Column{Linux, PV}]; got != "not run in this session" {
		t.Errorf("no PV runs: %q", got)
	}
	// Without a fatal line, the outcome and the last console line.
	s3, _ := ParseRecords("RUN hello-goxen-pv 0 outcome=timeout ok=false\nLOG hello-goxen-pv 0 5 goxen: PV entry\nLOG hello-goxen-pv 0 6 ... (40 lines)\nLOG hello-goxen-pv 0 7 last words\n" +
		"RUN linux-peer-pv 0 outcome=create-failed ok=false\nLOG linux-peer-pv 0 0 xl create: no PV notes\n" +
		"RUN bench-linux-pv 0 outcome=crash ok=false\n")
	c3 := ColumnsOf(s3, []Mode{PV})
	if got := c3.NA[Column{Goxen, PV}]; got != "does not boot as PV: timeout, last console line: last words" {
		t.Errorf("timeout: %q", got)
	}
	if got := c3.NA[Column{Linux, PV}]; got != "does not boot as PV: create-failed, last console line: xl create: no PV notes" {
		t.Errorf("create failed: %q", got)
	}
	if got := FailureLine([]*Run{{Fields: map[string]string{"outcome": "crash"}}}); got != "crash, no console output" {
		t.Errorf("silent crash: %q", got)
	}
}

// The table with all four columns: goxen PV is n/a, its ratios and goals
// too, and the note under the table says why; Linux PV's figures are in,
// each ratio of its own mode.
func TestTableFourColumns(t *testing.T) {
	s, err := ParseRecords(pvRecords)
	if err != nil {
		t.Fatal(err)
	}
	figs := Figures(s, Sizes{Hello: 3_200_000, LinuxHello: 1_600_000})
	by := map[string]Figure{}
	for _, f := range figs {
		by[f.Key] = f
	}
	raw := by["syscall.raw"]
	if raw.PVH.Goxen != 300 || raw.PVH.Linux != 600 || raw.Ratio(PVH) != 0.5 || !math.IsNaN(raw.PV.Goxen) || raw.PV.Linux != 400 {
		t.Errorf("syscall.raw: %+v", raw)
	}
	if !math.IsNaN(raw.Ratio(PV)) || raw.PV.Met != nil || raw.PVH.Met == nil || !*raw.PVH.Met || raw.PV.Goal != "≤ 1.0× Linux" {
		t.Errorf("syscall.raw: ratio PV %v met PV %v met PVH %v", raw.Ratio(PV), raw.PV.Met, raw.PVH.Met)
	}
	if by["idle.cpu"].PV.Linux != 40 || by["boot.main"].PV.Linux != 500 || by["boot.first-byte"].PV.Linux != 800 {
		t.Errorf("Linux PV figures: idle %v main %v first byte %v", by["idle.cpu"].PV.Linux, by["boot.main"].PV.Linux, by["boot.first-byte"].PV.Linux)
	}
	// The ELF and the bisection have no PV column.
	if !math.IsNaN(by["elf.hello"].PV.Linux) || !math.IsNaN(by["mem.hello"].PV.Goxen) {
		t.Errorf("elf/mem PV: %+v %+v", by["elf.hello"].PV, by["mem.hello"].PV)
	}

	cols := ColumnsOf(s, []Mode{PVH, PV})
	tab := Table(figs, cols)
	for _, want := range []string{
		"| figure | unit | goxen PVH | Linux PVH | goxen/Linux PVH | goxen PV | Linux PV | goxen/Linux PV | floor | better | goal PVH | met PVH | goal PV | met PV |",
		"| getpid, RawSyscall | ns/op | 300.0 | 600.0 | 0.50× | n/a | 400.0 | n/a | — | lower | ≤ 1.0× Linux | yes | ≤ 1.0× Linux | n/a |",
		"| Console throughput, 4 MiB to stdout | MiB/s | 2.000 | 1.000 | 2.00× | n/a | 4.000 | n/a | — | higher | ≥ 1.0× Linux | yes | ≥ 1.0× Linux | n/a |",
		"| Kernel ELF of hello | MB | 3.200 | 1.600 | 2.00× | n/a | — | n/a | — | lower | ≤ 1.1× Linux | **no** |  |  |",
		// The PV goal covers every figure Linux PV has, those
		// without a PVH goal too; goxen-only figures have none.
		"| Unpause → domain shut down | ms | 170.0 | 1100 | 0.15× | n/a | 1000 | n/a | 3.000 | lower |  |  | ≤ 1.0× Linux | n/a |",
		"| In guest: unpause → Go runtime up | ms | — | — | — | n/a | — | n/a | — | lower |  |  |  |  |",
		`goxen PV: n/a (does not boot as PV: goxen: fatal: type = "pv" needs classic PV part 2: the stock-Go flavour boots only as PVH for now; use type = "pvh")`,
	} {
		if !strings.Contains(tab, want+"\n") {
			t.Errorf("table lacks\n%s\nin\n%s", want, tab)
		}
	}
	if strings.Contains(tab, "Linux PV: n/a") {
		t.Errorf("Linux PV is not n/a:\n%s", tab)
	}

	// Once goxen boots as PV, the same code fills the column in.
	s.Runs = append(s.Runs, &Run{Label: "bench-goxen-pv", Fields: map[string]string{"ok": "true"},
		Figs: map[string]Fig{"syscall.raw": {200, "ns/op"}}})
	figs = Figures(s, Sizes{})
	tab = Table(figs, ColumnsOf(s, []Mode{PVH, PV}))
	if !strings.Contains(tab, "| getpid, RawSyscall | ns/op | 300.0 | 600.0 | 0.50× | 200.0 | 400.0 | 0.50× | — | lower | ≤ 1.0× Linux | yes | ≤ 1.0× Linux | yes |\n") ||
		strings.Contains(tab, "n/a") {
		t.Errorf("goxen PV filled in:\n%s", tab)
	}

	// PVH only: the PV columns are left out, not n/a.
	tab = Table(figs, ColumnsOf(s, []Mode{PVH}))
	if !strings.Contains(tab, "| figure | unit | goxen PVH | Linux PVH | goxen/Linux PVH | floor | better | goal PVH | met PVH |\n") || strings.Contains(tab, "PV |") {
		t.Errorf("PVH only:\n%s", tab)
	}
	// PV only: no floor column (the floor guest is PVH).
	tab = Table(figs, ColumnsOf(s, []Mode{PV}))
	if !strings.Contains(tab, "| figure | unit | goxen PV | Linux PV | goxen/Linux PV | better | goal PV | met PV |\n") {
		t.Errorf("PV only:\n%s", tab)
	}
}

// Progress lines from the dom0 runner's records as they arrive.
func TestProgressLine(t *testing.T) {
	for in, want := range map[string]string{
		"STEP 3/15 bench-linux-pv": "step 3/15: bench-linux-pv",
		"RUN hello-goxen-pv 0 memory=32 outcome=crash first_ms=20.000 gone_ms=30.000 ok=false": "hello-goxen-pv #0: crash, ok=false, shut down 30.000 ms after the unpause",
		"RUN bench-linux 0 memory=128 outcome=poweroff gone_ms=95000.5 ok=true":                "bench-linux #0: poweroff, ok=true, shut down 95000.5 ms after the unpause",
		"NOTE step bench-goxen-pv skipped: needs x":                                            "step bench-goxen-pv skipped: needs x",
		"NOTE step floor took 12.3 s":                                                          "step floor took 12.3 s",
		"NOTE plan done in 300.0 s":                                                            "plan done in 300.0 s",
		"FIG bench-linux 0 time.now 50 ns/op":                                                  "",
		"LOG x 0 1 y":                                                                          "",
		"RUN x":                                                                                "",
		"exit 0":                                                                               "",
	} {
		if got := ProgressLine(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
