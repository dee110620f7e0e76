package main

import (
	"bytes"
	"strings"
	"testing"
)

// The status only gets worse; SKIP verdicts leave it alone; nothing run
// at all is SKIP.
func TestStatus(t *testing.T) {
	for _, c := range []struct {
		verdicts []Verdict
		want     Status
	}{
		{nil, SkipAll},
		{[]Verdict{Skip, Skip}, SkipAll},
		{[]Verdict{Pass}, Success},
		{[]Verdict{Skip, Pass, Skip}, Success},
		{[]Verdict{Pass, Error, Pass}, ErrorStatus},
		{[]Verdict{Fail, Pass}, Failure},
		{[]Verdict{Fail, Error, Pass, Skip}, Failure},
		{[]Verdict{Error, Skip}, ErrorStatus},
		{[]Verdict{Verdict(9)}, ErrorStatus},
	} {
		var out bytes.Buffer
		r := NewReport(&out, false)
		for i, v := range c.verdicts {
			before := r.status
			r.Add(Result{Check: "c", Verdict: v, Measured: "m"})
			if r.status < before {
				t.Errorf("%v: status improved from %v to %v at %d", c.verdicts, before, r.status, i)
			}
		}
		if got := r.Status(); got != c.want {
			t.Errorf("%v: %v, want %v", c.verdicts, got, c.want)
		}
		if n := strings.Count(out.String(), "\n"); n != len(c.verdicts) {
			t.Errorf("%v: %d lines", c.verdicts, n)
		}
	}
}

func TestLines(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want string
	}{
		{Result{Check: "time.tsc-rate", Verdict: Pass, Measured: "2300 MHz", Expected: "ignored"}, "PASS  time.tsc-rate: 2300 MHz"},
		{Result{Check: "x", Verdict: Fail, Measured: "a\nb", Expected: "c\r"}, "FAIL  x: a b; expected c "},
		{Result{Check: "y", Verdict: Error, Measured: "refused", Expected: "0"}, "ERROR y: refused; expected 0"},
		{Result{Check: "z", Verdict: Skip, Measured: "domU only"}, "SKIP  z: domU only"},
	} {
		if got := FormatLine(c.r); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	for s, want := range map[Status]string{Success: "Test result: SUCCESS", SkipAll: "Test result: SKIP",
		ErrorStatus: "Test result: ERROR", Failure: "Test result: FAILURE"} {
		if got := ResultLine(s); got != want {
			t.Errorf("%v: %q", s, got)
		}
	}
	for s, want := range map[Status]int{Success: 0, SkipAll: 3, ErrorStatus: 4, Failure: 5} {
		if got := s.ExitCode(); got != want {
			t.Errorf("%v: exit %d, want %d", s, got, want)
		}
	}
	var out bytes.Buffer
	NewReport(&out, true).Add(Result{Check: "v", Verdict: Pass, Measured: "m", Detail: []string{"d1", "d2"}})
	if out.String() != "PASS  v: m\n      d1\n      d2\n" {
		t.Errorf("verbose: %q", out.String())
	}
}
