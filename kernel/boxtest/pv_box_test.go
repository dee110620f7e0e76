//go:build box

package boxtest

import (
	"strings"
	"testing"

	"github.com/goxen/goxen/box"
)

// The stock-Go flavour as a classic PV guest: the Go program runs in PV
// guest-user mode and powers off, as a domU (console ring found by
// machine frame) and as dom0 (console_io, no xenstore).
func TestStockPVDomU(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: 32})
	expect(t, r, box.PoweredOff, "hello, world", "PV start info", "goxen: PV entry, guest-kernel mode")
	if strings.Contains(r.Console, "goxen: fatal:") {
		t.Errorf("a fatal line:\n%s", r.Console)
	}
}

func TestStockPVDom0(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Type: box.PV})
	expect(t, r, box.PoweredOff, "hello, world", "PV start info", "goxen: no xenstore: dom0 starts before any toolstack")
}
