//go:build box

package boxtest

import (
	"strings"
	"testing"

	"github.com/goxen/goxen/box"
)

// The stock-Go flavour as a classic PV guest, until PV part 2: one line
// saying so, on the console ring (domU) or console_io (dom0), and the
// domain crashed, not a triple fault or a silent end.
const pvNotYet = `goxen: fatal: type = "pv" needs classic PV part 2: the stock-Go flavour boots only as PVH for now; use type = "pvh"`

func TestStockPVDomU(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: 32})
	expect(t, r, box.Crashed, pvNotYet)
	if n := strings.Count(r.Console, "goxen: fatal:"); n != 1 {
		t.Errorf("%d fatal lines, want one:\n%s", n, r.Console)
	}
}

func TestStockPVDom0(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Type: box.PV})
	expect(t, r, box.Crashed, pvNotYet)
	if n := strings.Count(r.Console, "goxen: fatal:"); n != 1 {
		t.Errorf("%d fatal lines, want one:\n%s", n, r.Console)
	}
}
