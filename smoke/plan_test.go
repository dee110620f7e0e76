package main

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEveryCheckHasAnImplementation(t *testing.T) {
	if len(checks) != len(checkNames) {
		t.Errorf("%d implementations for %d names", len(checks), len(checkNames))
	}
	for _, n := range checkNames {
		if checks[n] == nil {
			t.Errorf("check %s has no implementation", n)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(nil)
	if err != nil || !reflect.DeepEqual(o.Run, checkNames) || o.Fail != "" || o.Verbose ||
		o.MemMiB != 256 || o.MemTime != 2*time.Second || o.TimerSlack != 5*time.Millisecond {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	o, err = ParseOptions([]string{"-run", "xenstore.read, time", "-fail=time.wallclock", "-v"})
	want := []string{"time.shared-info", "time.monotonic", "time.tsc-rate", "time.wallclock", "xenstore.read"}
	if err != nil || !reflect.DeepEqual(o.Run, want) || o.Fail != "time.wallclock" || !o.Verbose {
		t.Fatalf("got %+v %v, want run %v", o, err, want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-run", "nosuch"}, `no check or group "nosuch"`},
		{[]string{"-run", "time.walk"}, `no check or group "time.walk"`},
		{[]string{"-fail", "time"}, `-fail "time": no such check`},
		{[]string{"-run", "xen", "-fail", "memory.checksum"}, "not among those -run selects"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-mem-mib", "0"}, "must be positive"},
		{[]string{"-timer-slack", "soon"}, "invalid value"},
	} {
		_, err := ParseOptions(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestForceFail(t *testing.T) {
	r := forceFail(Result{Check: "memory.checksum", Verdict: Pass, Measured: "filled 20 MiB"})
	if r.Verdict != Fail || !strings.Contains(r.Measured, "-fail memory.checksum") || !strings.Contains(r.Measured, "filled 20 MiB") {
		t.Errorf("got %+v", r)
	}
	if l := FormatLine(r); !strings.HasPrefix(l, "FAIL  memory.checksum: failed on purpose") || !strings.HasSuffix(l, "; expected no -fail option") {
		t.Errorf("line %q", l)
	}
}

func TestWallclockRetried(t *testing.T) {
	if s := wallclockRetried(0); s != "" {
		t.Errorf("no retry: %q, want nothing", s)
	}
	if s := wallclockRetried(2); !strings.Contains(s, "set 2 time(s)") {
		t.Errorf("two retries: %q", s)
	}
}
