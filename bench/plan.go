// Package bench is the host side of `make bench` (cmd/xenbench): the plan
// that the dom0 runner (bench/dom0) carries out inside one box session,
// the records it sends back, the figures made of them, and the results
// table. Package bench/plot draws the ratios.
//
// One box session boots Xen and Debian's Linux as dom0 once. Its main
// guest is bench/guest in wait mode, idle until the end; beside it, dom0
// runs bench/dom0 (through Config.Dom0Script), which creates every guest
// of the plan one after the other, times each from dom0 at millisecond
// resolution and prints what it found as record lines (records.go).
package bench

import (
	"encoding/json"
	"fmt"
	"time"
)

// Plan is what bench/dom0 runs, in order.
type Plan struct {
	Steps []Step `json:"steps"`
}

// Step kinds.
const (
	KindRun    = "run"    // create the guest Repeat times, one after the other
	KindBisect = "bisect" // the smallest memory in (Lo, Hi] at which the guest succeeds
)

// Step is one guest of the plan (or a bisection over its memory).
type Step struct {
	Label   string `json:"label"` // names the records: "hello-goxen", "linux-peer", ...
	Kind    string `json:"kind"`
	Kernel  string `json:"kernel"`            // path in dom0
	Ramdisk string `json:"ramdisk,omitempty"` // path in dom0
	Cmdline string `json:"cmdline,omitempty"`
	// Type is the guest type xl builds it as ("": PVH).
	Type   Mode `json:"type,omitempty"`
	Memory int  `json:"memory"` // MiB (KindRun)
	Repeat int  `json:"repeat,omitempty"`
	// TimeoutSec bounds each guest from its unpause.
	TimeoutSec int `json:"timeout_sec"`
	// PollMS is how often dom0 looks at the guest's console log and state
	// (default 1: millisecond resolution; longer for long runs).
	PollMS int `json:"poll_ms,omitempty"`
	// Program is the guest program's first line: its arrival is the
	// "program" time. Want is the line that says the guest succeeded
	// (with a poweroff); "" means a poweroff is enough.
	Program string `json:"program,omitempty"`
	Want    string `json:"want,omitempty"`
	// Idle: read the guest's CPU time when IDLE-START and IDLE-DONE arrive.
	Idle bool `json:"idle,omitempty"`
	// Forward: console lines that start with one of these are sent back
	// (LOG records) for the first guest of the step, with their times.
	Forward []string `json:"forward,omitempty"`
	// KindBisect: Lo is taken to fail and Hi to succeed (Hi is checked).
	Lo int `json:"lo,omitempty"`
	Hi int `json:"hi,omitempty"`
	// Needs names an earlier step: this one is skipped unless a guest of
	// that one succeeded (a kernel that does not boot in a mode costs its
	// first step's boots, not every step's timeouts).
	Needs string `json:"needs,omitempty"`
	// FailFast: the step's first failed guest ends it (no repeats).
	FailFast bool `json:"fail_fast,omitempty"`
}

// GuestType is the xl.cfg type of the step's guests.
func (s Step) GuestType() Mode {
	if s.Type == "" {
		return PVH
	}
	return s.Type
}

// Skip says why the step is not to run, given which steps had a guest
// that succeeded; "" means run it.
func (s Step) Skip(succeeded map[string]bool) string {
	if s.Needs == "" || succeeded[s.Needs] {
		return ""
	}
	return "needs " + s.Needs + ", which had no guest that succeeded"
}

// Timeout is the step's guest timeout.
func (s Step) Timeout() time.Duration { return time.Duration(s.TimeoutSec) * time.Second }

// Check says what is wrong with the plan, if anything.
func (p *Plan) Check() error {
	seen := map[string]bool{}
	for i, s := range p.Steps {
		switch {
		case s.Label == "" || seen[s.Label]:
			return fmt.Errorf("bench: step %d: label %q empty or used twice", i, s.Label)
		case s.Kernel == "":
			return fmt.Errorf("bench: step %s: no kernel", s.Label)
		case s.TimeoutSec <= 0:
			return fmt.Errorf("bench: step %s: no timeout", s.Label)
		case s.Type != "" && s.Type != PVH && s.Type != PV:
			return fmt.Errorf("bench: step %s: guest type %q (want pvh or pv)", s.Label, s.Type)
		case s.Needs != "" && !seen[s.Needs]:
			return fmt.Errorf("bench: step %s needs %q, which is not an earlier step", s.Label, s.Needs)
		}
		for _, c := range s.Label {
			if c <= ' ' {
				return fmt.Errorf("bench: step label %q has a blank", s.Label)
			}
		}
		switch s.Kind {
		case KindRun:
			if s.Memory <= 0 {
				return fmt.Errorf("bench: step %s: memory %d", s.Label, s.Memory)
			}
		case KindBisect:
			if s.Lo < 0 || s.Hi <= s.Lo+0 {
				return fmt.Errorf("bench: step %s: bisection range (%d, %d]", s.Label, s.Lo, s.Hi)
			}
		default:
			return fmt.Errorf("bench: step %s: kind %q", s.Label, s.Kind)
		}
		seen[s.Label] = true
	}
	return nil
}

// Marshal and UnmarshalPlan carry the plan into dom0 as JSON.
func (p *Plan) Marshal() ([]byte, error) { return json.MarshalIndent(p, "", "  ") }

func UnmarshalPlan(b []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("bench: plan: %w", err)
	}
	return &p, p.Check()
}
