package box

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A soak (Config.Repeat > 1) is one dom0 boot in which dom0's init
// creates the guest Repeat times, one after the other. It wraps each
// guest's markers in
//
//	@@BOX guest-begin I
//	... the markers of a single run: created, unpaused, firstbyte,
//	    state or timeout, cputime, xenctx, the guest log dump ...
//	@@BOX guest-end I STATE platform-fault=yes|no
//
// and the host hands everything between the two, Xen's lines included
// (only one guest exists at a time), to a demultiplexer of its own, so
// each guest is judged exactly as a single run is.

// soakState follows the guests of a soak.
type soakState struct {
	n        int
	expect   Outcome
	progress func(string) // "guest 17/100 powered off 0.31s"
	cur      *demux       // the guest running now
	curBegin time.Time
	guests   []*Result
	// dom0Fault[i]: dom0 found the kernel's platform-fault line in guest
	// i+1's console log.
	dom0Fault []bool
}

// soakEvent handles the markers that open and close a guest.
func (d *demux) soakEvent(f []string) {
	s := d.soak
	switch f[0] {
	case "guest-begin":
		if s.cur != nil { // the last guest's end marker was lost
			s.finish(d.now(), false, hostFacts{})
		}
		// Guests are numbered by their order on the line; dom0's own
		// number (f[1]) is for the reader of dom0.log.
		s.cur = newDemux(DomU, d.now, nil)
		s.cur.cpu = d.cpu
		s.curBegin = d.now()
	case "guest-end":
		if s.cur != nil {
			s.finish(d.now(), argAt(f, 3) == "platform-fault=yes", hostFacts{})
		}
	}
}

// isGuestText says a line carries the guest's console (live or dumped),
// which in a soak belongs to the guest's own account only.
func (d *demux) isGuestText(line string) bool {
	return strings.HasPrefix(line, markGuest) || strings.HasPrefix(line, markDump) ||
		line == markDumpBegin || line == markDumpEnd
}

func argAt(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// finish judges the current guest. h carries the host's facts when the
// box ended before the guest did.
func (s *soakState) finish(end time.Time, dom0Fault bool, h hostFacts) {
	h.start, h.end = s.curBegin, end
	r := s.cur.result(h)
	if dom0Fault && !strings.Contains(r.Console, PlatformFaultLine) {
		r.Detail += "; dom0 found \"goxen: platform fault\" in the complete console log"
	}
	s.cur = nil
	s.guests = append(s.guests, r)
	s.dom0Fault = append(s.dom0Fault, dom0Fault)
	if s.progress == nil {
		return
	}
	i := len(s.guests)
	msg := fmt.Sprintf("guest %d/%d %s %s", i, s.n, r.Outcome, fmtDur(r.Timings.Run))
	if why := guestFault(r, dom0Fault); why != "" {
		msg += " [platform fault: " + why + "]"
	} else if r.Outcome != s.expect {
		msg += " (" + r.Detail + ")"
	}
	s.progress(msg)
}

// guestFault is r's platform fault (Result.PlatformFault), counting too
// dom0's finding of the kernel's line in the guest's complete log.
func guestFault(r *Result, dom0Fault bool) string {
	if why := r.PlatformFault(); why != "" {
		return why
	}
	if r.Outcome == Crashed && dom0Fault {
		return "the kernel reported a platform fault (found by dom0)"
	}
	return ""
}

// soakResult fills in r (already judged as a single run would be) for
// the soak: the account, the outcome, the console of every guest.
func (d *demux) soakResult(r *Result, h hostFacts) {
	s := d.soak
	if s.cur != nil { // the box ended in the middle of a guest
		s.finish(h.end, false, hostFacts{hostTimeout: h.hostTimeout, qemuErr: h.qemuErr})
	}
	k := &Soak{N: s.n, Expect: s.expect, Guests: s.guests}
	var first, run []time.Duration
	var console strings.Builder
	firstBad := -1
	for i, g := range s.guests {
		fmt.Fprintf(&console, "==== guest %d: %s\n%s", i+1, g.Summary(), g.Console)
		switch why := guestFault(g, s.dom0Fault[i]); {
		case why != "" && g.FaultInXen:
			k.FaultInXen++
		case why != "":
			k.FaultReported++
		case g.Outcome == s.expect:
			k.Expected++
		default:
			k.Other++
		}
		if firstBad < 0 && (g.Outcome != s.expect || guestFault(g, s.dom0Fault[i]) != "") {
			firstBad = i
		}
		if g.Timings.FirstByte >= 0 {
			first = append(first, g.Timings.FirstByte)
			if g.Timings.FirstByteUpper {
				k.FirstByteUpper++
			}
		}
		if g.Timings.Run >= 0 {
			run = append(run, g.Timings.Run)
		}
	}
	k.FirstByte, k.Run = spreadOf(first), spreadOf(run)
	r.Soak = k
	r.Console, r.ConsoleLines = console.String(), nil
	// What the main account measured belongs to the first guest only.
	r.Timings.FirstByte, r.Timings.Run, r.Timings.FirstByteUpper = -1, -1, false
	r.CPUTime, r.QEMUCPU, r.FaultInXen = -1, -1, false
	switch {
	case len(s.guests) < s.n || !d.has("done"):
		// The box did not see the soak through: say why, as a single
		// run would, but as a box error whatever the last guest did.
		var why string
		switch {
		case d.panicText != "":
			why = "Xen panic: " + d.panicText
		case h.hostTimeout:
			why = "host timeout"
		case h.qemuErr != "":
			why = h.qemuErr
		default:
			why = "dom0 ended: " + lastLines(d.dom0.String(), 3)
		}
		r.Outcome = BoxError
		r.Detail = fmt.Sprintf("the box ended after %d of %d guests: %s", len(s.guests), s.n, why)
	case firstBad < 0:
		r.Outcome, r.Detail = s.expect, ""
	default:
		g := s.guests[firstBad]
		r.Outcome = g.Outcome
		r.Detail = fmt.Sprintf("guest %d %s", firstBad+1, g.Outcome)
		if g.Detail != "" {
			r.Detail += ": " + g.Detail
		}
		if why := guestFault(g, s.dom0Fault[firstBad]); why != "" {
			r.Detail += " [platform fault: " + why + "]"
		}
	}
}

// keepFailures writes the logs of the first few guests of a soak that did
// not end as expected into dir, and a table of every guest.
func keepFailures(dir string, k *Soak, keep int) error {
	var table strings.Builder
	for i, g := range k.Guests {
		fmt.Fprintf(&table, "%d\t%s\n", i+1, g.Summary())
		if g.Outcome == k.Expect && g.PlatformFault() == "" || keep == 0 {
			continue
		}
		keep--
		base := filepath.Join(dir, fmt.Sprintf("guest-%03d", i+1))
		for name, text := range map[string]string{".log": g.Console, ".xen.log": g.XenLog, ".dom0.log": g.Dom0Log} {
			if err := os.WriteFile(base+name, []byte(text), 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, "soak.txt"), []byte(table.String()), 0o644)
}
