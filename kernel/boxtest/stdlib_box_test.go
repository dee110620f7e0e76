//go:build box

package boxtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// stdlibBoots is how many PV domUs TestStdlibPVLikeLinux creates (issue
// 22: "10 of 10 boots").
const stdlibBoots = 10

// The standard-library workload (big numbers, gzip, JSON, regexp,
// go/parser, goroutines, templates; testdata/stdlib) prints exactly what
// it prints on Linux, as a goxen PV domU, in each of 10 guests created
// one after another in one dom0 boot (a soak). Linux here is this host:
// the same program built with -tags native, as TestHardeningBadPointers
// compares.
func TestStdlibPVLikeLinux(t *testing.T) {
	want := stdlibOutput(runNative(t, "./kernel/boxtest/testdata/stdlib"))
	if !strings.HasSuffix(want, "stdlib: done\n") {
		t.Fatalf("the native run did not finish:\n%s", want)
	}
	k := buildKernel(t, "./kernel/boxtest/testdata/stdlib")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: 64,
		Timeout: 120 * time.Second, Repeat: stdlibBoots})
	if r.Soak == nil {
		t.Fatalf("no soak account: %s", r.Summary())
	}
	same := 0
	for i, g := range r.Soak.Guests {
		got := stdlibOutput(g.Console)
		switch {
		case g.Outcome != box.PoweredOff:
			t.Errorf("guest %d: %v (%s), want powered off; console:\n%s", i+1, g.Outcome, g.Detail, g.Console)
		case got != want:
			t.Errorf("guest %d printed otherwise than Linux:\n%s", i+1, lineDiff(want, got))
		default:
			same++
		}
	}
	t.Logf("FIGURES stdlib workload as a PV domU: %d of %d boots printed exactly what Linux prints (%d lines)",
		same, stdlibBoots, strings.Count(want, "\n"))
	if same != stdlibBoots {
		t.Errorf("%d of %d boots printed what Linux prints", same, stdlibBoots)
	}
}

// stdlibOutput is the program's own output in a console: the lines from
// "stdlib: begin" to "stdlib: done", without the kernel's ("goxen: ...").
func stdlibOutput(console string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(strings.ReplaceAll(console, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(l, "stdlib: begin") {
			in = true
		}
		if in && !strings.HasPrefix(l, "goxen: ") {
			b.WriteString(l)
		}
		if strings.HasPrefix(l, "stdlib: done") {
			break
		}
	}
	return b.String()
}

// lineDiff shows the first lines where got differs from want.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString(fmt.Sprintf("  line %d:\n    linux: %s\n    guest: %s\n", i+1, a, c))
			shown++
		}
	}
	return b.String()
}
