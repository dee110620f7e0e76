package pv

import (
	"testing"

	"github.com/goxen/goxen/internal/wbcheck"
)

// TestNoWriteBarriers fails for every function of the package whose
// compiled code has a write barrier (see package wbcheck), but for the
// boot steps that store the tables they find, which run before the Go
// runtime exists (the kernel's writebarrier_test allows barriers there).
func TestNoWriteBarriers(t *testing.T) {
	wbcheck.NoBarriers(t, map[string]string{
		"(*PageTables).Init": "at boot: stores the P2M, the M2P and the Machine",
		"Early":              "at boot: pvh's debug sink (a func value)",
		"ReadStartInfo":      "at boot: stores the P2M and M2P slices",
		"MapSharedInfo":      "at boot: pvh's shared info pointer",
		"MapRAM":             "at boot: stores the bootstrap L2's address",
	})
}
