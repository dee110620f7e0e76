//go:build linux

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/bench"
)

func TestXLConfig(t *testing.T) {
	s := bench.Step{Kernel: "/bench/vmlinuz", Ramdisk: "/bench/rd.gz", Cmdline: "console=hvc0 quiet -- -mode bench"}
	got := xlConfig("bench3", s, 128)
	for _, want := range []string{`name = "bench3"`, `type = "pvh"`, `kernel = "/bench/vmlinuz"`, `ramdisk = "/bench/rd.gz"`,
		"memory = 128", `cpus = "1"`, `cmdline = "console=hvc0 quiet -- -mode bench"`, `on_poweroff = "preserve"`} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(xlConfig("x", bench.Step{Kernel: "/k"}, 4), "ramdisk") {
		t.Error("a ramdisk line without a ramdisk")
	}
	// The step's guest type: classic PV for the PV columns.
	s.Type = bench.PV
	if got := xlConfig("bench4", s, 128); !strings.Contains(got, "type = \"pv\"\n") || strings.Contains(got, "pvh") {
		t.Errorf("PV step:\n%s", got)
	}
}

// The watch times the lines it is fed, keeps the figures, forwards what
// the step asks for and leaves out the console figure's filler.
func TestWatchLines(t *testing.T) {
	t0 := time.Unix(1000, 0)
	res := &result{label: "x"}
	w := &watch{step: bench.Step{Program: "BENCH-START", Want: "BENCH-END", Forward: []string{"goxen:"}},
		forward: true, res: res, t0: t0}
	w.partial = []byte("goxen: boot\r\nBENCH-START\r\n" + strings.Repeat("~", 79) + "\nBENCH time.now 5 ns/op\nBENCH-END\nhalf")
	w.lines(t0.Add(12*time.Millisecond), nil, 0)
	if w.program != t0.Add(12*time.Millisecond) || !w.wantSeen {
		t.Errorf("program %v want %v", w.program, w.wantSeen)
	}
	if len(res.figs) != 1 || res.figs[0] != "time.now 5 ns/op" {
		t.Errorf("figs %q", res.figs)
	}
	if len(res.logs) != 1 || res.logs[0] != "12.000 goxen: boot" {
		t.Errorf("logs %q", res.logs)
	}
	if string(w.partial) != "half" || w.tailN != 4 {
		t.Errorf("partial %q, %d lines", w.partial, w.tailN)
	}
	w.flushPartial(t0.Add(time.Second))
	if w.tailN != 5 || w.head[4] != "1000.000 half" {
		t.Errorf("flushed: %q", w.head)
	}
}

// The runner reads back the fields it set: ok decides fail_fast and needs.
func TestResultFields(t *testing.T) {
	r := &result{}
	r.set("outcome", "crash")
	r.set("ok", "false")
	if r.ok() || r.field("outcome") != "crash" || r.field("none") != "" {
		t.Errorf("%q", r.fields)
	}
	r.set("ok", "true")
	if !r.ok() {
		t.Errorf("the last value wins: %q", r.fields)
	}
}

// A failed guest's head and tail lines join its forwarded lines once: a
// first guest that forwards every line (Forward "") and fails had each
// line twice in results.md.
func TestAppendNew(t *testing.T) {
	got := appendNew([]string{"13.3 goxen: fatal: x"}, "13.3 goxen: fatal: x", "14.0 other", "14.0 other")
	if strings.Join(got, "|") != "13.3 goxen: fatal: x|14.0 other" {
		t.Errorf("%q", got)
	}
}
