package startinfo

import (
	"strings"
	"testing"
)

// The decoders run before the Go runtime exists, so none of these may
// allocate. The PVH and PV values are package-level, as they will be in the
// kernel (Decode makes its receiver escape; see Memory).
var (
	allocPVH PVH
	allocPV  PV
	allocBuf = make([]byte, 0, 8192)
)

func TestDecodeAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation changes allocation counts")
	}
	type run struct {
		name string
		f    func()
	}
	var runs []run

	ok1, ok0, pv := pvhV1(), pvhV0(), pvImage()
	long := pvhV1() // a command line to cut, whose length is then measured
	long.putString(base+offModData, strings.Repeat("x", 2*MaxCmdline))
	long.put64(base+24, base+offModData)
	runs = append(runs,
		run{"PVH v1 success", func() { mustOK(t, allocPVH.Decode(ok1.mem(), base)) }},
		run{"PVH v1, command line cut", func() { mustOK(t, allocPVH.Decode(long.mem(), base)) }},
		run{"PVH v0 success", func() { mustOK(t, allocPVH.Decode(ok0.mem(), base)) }},
		run{"PV success", func() { mustOK(t, allocPV.Decode(pv.mem(), base)) }},
	)
	for _, c := range pvhErrCases {
		im, at := c.image()
		runs = append(runs, run{"PVH " + c.name, func() { mustFail(t, allocPVH.Decode(im.mem(), at)) }})
	}
	for _, c := range pvErrCases {
		im, at := c.image()
		runs = append(runs, run{"PV " + c.name, func() { mustFail(t, allocPV.Decode(im.mem(), at)) }})
	}

	for _, r := range runs {
		if n := testing.AllocsPerRun(20, r.f); n != 0 {
			t.Errorf("%s: %v allocations per Decode", r.name, n)
		}
	}
}

func TestFormatAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation changes allocation counts")
	}
	mustOK(t, allocPVH.Decode(pvhV1().mem(), base))
	mustOK(t, allocPV.Decode(pvImage().mem(), base))
	// One stored error of every kind, PV magic included.
	var errs []Error
	for _, c := range pvhErrCases {
		im, at := c.image()
		var p PVH
		_ = p.Decode(im.mem(), at)
		errs = append(errs, p.Err)
	}
	for _, c := range pvErrCases {
		im, at := c.image()
		var p PV
		_ = p.Decode(im.mem(), at)
		errs = append(errs, p.Err)
	}
	var total uint64
	checks := map[string]func(){
		"PVH.Format": func() { allocBuf = allocPVH.Format(allocBuf[:0]) },
		"PV.Format":  func() { allocBuf = allocPV.Format(allocBuf[:0]) },
		"AppendFlags": func() {
			allocBuf = AppendFlags(allocBuf[:0], 0xffffffff)
		},
		"Error.Append": func() {
			for i := range errs {
				allocBuf = errs[i].Append(allocBuf[:0])
			}
		},
		"PVH.RAM": func() {
			for e := range allocPVH.RAM() {
				total += e.Size
			}
		},
	}
	for name, f := range checks {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

func mustOK(t *testing.T, err error) {
	if err != nil {
		t.Fatal(err)
	}
}

func mustFail(t *testing.T, err error) {
	if err == nil {
		t.Fatal("decode succeeded")
	}
}
