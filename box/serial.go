package box

import (
	"strconv"
	"strings"
	"time"
)

// The serial stream from QEMU carries Xen's console, and through it the
// console of dom0. In domU mode, dom0's init tags what it prints for the
// host with these prefixes so the host can take the stream apart.
const (
	xenPrefix      = "(XEN) "
	markEvent      = "@@BOX "           // "@@BOX name args...": a box event
	markGuest      = "@@G "             // a live guest console line
	markError      = "@@E "             // a line of xl create's error output
	markScript     = "@@S "             // a line of Config.Dom0Script's output
	markContext    = "@@X "             // xenctx output for a crashed or timed-out guest
	markDump       = "@@L "             // a guest log line inside the dump
	markDumpBegin  = "@@GUESTLOG-BEGIN" // the full guest log follows
	markDumpEnd    = "@@GUESTLOG-END"
	d0Prefix       = "(d0) " // Xen's prefix for dom0 port-0xE9 output
	xenPanicMarker = "Panic on CPU"
)

// event is one "@@BOX" marker, or a Xen line that stands for one in dom0
// mode, with the host time it arrived and QEMU's CPU time then.
type event struct {
	args []string
	at   time.Time
	cpu  time.Duration // -1 when unknown
}

// timedLine is a guest console line with its host arrival time.
type timedLine struct {
	at   time.Time
	cpu  time.Duration
	text string
}

// demux sorts serial lines into the Xen log, the dom0 log and the guest
// console, and records the box events. It is fed whole lines.
type demux struct {
	mode  Mode
	now   func() time.Time
	cpu   func() time.Duration // QEMU's CPU time so far, -1 if unknown; nil: unknown
	onLog func(string)         // called for each live guest console line
	lines []timedLine          // the guest console lines, timed
	soak  *soakState           // a soak: the guests one by one

	xen, dom0, live, dump strings.Builder
	errText               []string
	script                strings.Builder
	context               []string // xenctx lines: the crashed (or timed-out) guest's registers
	inDump, dumped        bool
	liveLines             int // guest lines passed on live so far
	events                map[string]event
	panicNext             bool
	panicText             string
	tripleDump            bool   // after "Triple fault": the vCPU dump's RIP line is next
	shutdown              string // dom0 mode: Xen's hardware-domain shutdown line
}

func newDemux(mode Mode, now func() time.Time, onLog func(string)) *demux {
	if now == nil {
		now = time.Now
	}
	return &demux{mode: mode, now: now, onLog: onLog, events: map[string]event{}}
}

// record keeps the first occurrence of each event.
func (d *demux) record(name string, args ...string) {
	if _, ok := d.events[name]; !ok {
		d.events[name] = event{args: args, at: d.now(), cpu: d.cpuNow()}
	}
}

func (d *demux) cpuNow() time.Duration {
	if d.cpu == nil {
		return -1
	}
	return d.cpu()
}

// emit passes on one guest console line (live, or one the live view
// missed), timed: its arrival and QEMU's CPU time then.
func (d *demux) emit(text string, at time.Time, cpu time.Duration) {
	d.lines = append(d.lines, timedLine{at: at, cpu: cpu, text: text})
	if d.onLog != nil {
		d.onLog(text)
	}
}

func (d *demux) has(name string) bool { _, ok := d.events[name]; return ok }

// Line takes one line of serial output (without its newline).
func (d *demux) Line(line string) {
	line = strings.TrimRight(line, "\r")
	// Xen may start a message while dom0 is in the middle of a line; the
	// part from "(XEN) " on is Xen's. Tagged lines are left alone, since
	// their text is the guest's and may contain anything.
	if !strings.HasPrefix(line, "@@") {
		if i := strings.Index(line, xenPrefix); i > 0 {
			d.Line(line[:i])
			d.Line(line[i:])
			return
		}
	}
	// An event line is dom0's own words and numbers, so anything Xen
	// printed into its middle (its own or a domain's "(d1) " line) can be
	// cut off safely; "@@BOX unpaused 9.91(d1)   flags 0x0" was seen.
	if strings.HasPrefix(line, markEvent) {
		if i := xenLineStart(line); i > 0 {
			d.Line(line[:i])
			d.Line(line[i:])
			return
		}
	}
	if d.soak != nil && d.soak.cur != nil {
		d.soak.cur.Line(line) // the guest's own account, Xen's lines included
		if d.isGuestText(line) {
			return
		}
	}
	if strings.HasPrefix(line, xenPrefix) {
		d.xenLine(line)
		return
	}
	if d.mode == Dom0 {
		d.dom0ModeLine(line)
		return
	}
	switch {
	case d.inDump && line == markDumpEnd:
		d.inDump, d.dumped = false, true
		// dom0's live forwarder is stopped before it passes on the last
		// lines; the dump is complete, so show what the live view missed.
		if d.dump.Len() > 0 {
			at, cpu := d.now(), d.cpuNow()
			lines := strings.Split(strings.TrimSuffix(d.dump.String(), "\n"), "\n")
			for i := d.liveLines; i < len(lines); i++ {
				d.emit(lines[i], at, cpu)
			}
		}
	case d.inDump && strings.HasPrefix(line, markDump):
		d.dump.WriteString(line[len(markDump):] + "\n")
	case line == markDumpBegin:
		d.inDump = true
	case strings.HasPrefix(line, markGuest):
		g := line[len(markGuest):]
		d.live.WriteString(g + "\n")
		d.liveLines++
		d.emit(g, d.now(), d.cpuNow())
	case strings.HasPrefix(line, markScript):
		d.script.WriteString(line[len(markScript):] + "\n")
		d.dom0.WriteString(line + "\n")
	case strings.HasPrefix(line, markError):
		d.errText = append(d.errText, line[len(markError):])
		d.dom0.WriteString(line + "\n")
	case strings.HasPrefix(line, markContext):
		d.context = append(d.context, line[len(markContext):])
		d.dom0.WriteString(line + "\n")
	case strings.HasPrefix(line, markEvent):
		f := strings.Fields(line[len(markEvent):])
		if len(f) > 0 {
			d.record(f[0], f[1:]...)
			if d.soak != nil {
				d.soakEvent(f)
			}
		}
		d.dom0.WriteString(line + "\n")
	case strings.HasPrefix(line, "(d") && strings.Contains(line, ") "):
		// Xen's guest_printk lines (console_io from a domU, port 0xE9).
		d.xen.WriteString(line + "\n")
	default:
		d.dom0.WriteString(line + "\n")
	}
}

// dom0ModeLine handles a non-Xen line when the kernel under test is
// dom0 itself: its console_io output reaches the serial line unprefixed,
// its port-0xE9 output as "(d0) text".
func (d *demux) dom0ModeLine(line string) {
	text := line
	if strings.HasPrefix(line, d0Prefix) {
		text = line[len(d0Prefix):]
	} else if !d.has("unpaused") {
		// Before dom0 runs, nothing but Xen and firmware writes here.
		d.dom0.WriteString(line + "\n")
		return
	}
	at, cpu := d.now(), d.cpuNow()
	if !d.has("firstbyte") {
		d.events["firstbyte"] = event{at: at, cpu: cpu}
	}
	d.live.WriteString(text + "\n")
	d.emit(text, at, cpu)
}

// xenLine looks at one of Xen's own lines. In dom0 mode Xen's messages
// are the events: dom0 built, dom0 started, dom0 shut down.
func (d *demux) xenLine(line string) {
	d.xen.WriteString(line + "\n")
	msg := strings.TrimSpace(line[len(xenPrefix):])
	if d.panicNext && !strings.HasPrefix(msg, "****") {
		d.panicNext = false
		d.panicText = msg
		d.record("panic", msg)
	}
	if strings.HasPrefix(msg, xenPanicMarker) {
		d.panicNext = true
	}
	// hvm_triple_fault() (xen/arch/x86/hvm/hvm.c) logs this and then
	// applies the domain's triple-fault action, a reboot by default.
	if strings.Contains(msg, "Triple fault") {
		d.record("triplefault", msg)
		d.tripleDump = true
	}
	// Xen then dumps the vCPU ("RIP:    0008:[<...>]"). A code selector
	// of e008 (__HYPERVISOR_CS) there means the RIP is inside Xen: the
	// emulated CPU mixed up host and guest state, and the guest's own
	// code is not to blame.
	if d.tripleDump && strings.HasPrefix(msg, "RIP:") {
		d.tripleDump = false
		if strings.HasPrefix(strings.TrimSpace(msg[len("RIP:"):]), "e008:") {
			d.record("xenrip")
		}
	}
	if d.mode != Dom0 {
		return
	}
	switch {
	case strings.Contains(msg, "Building a PVH Dom0"), strings.Contains(msg, "Building a PV Dom0"):
		d.record("created")
	case strings.HasPrefix(msg, "Freed ") && strings.Contains(msg, "init memory"):
		// Xen frees its init memory right after unpausing dom0.
		d.record("unpaused")
	case strings.HasPrefix(msg, "Hardware Dom0 "):
		if d.shutdown == "" {
			d.shutdown = msg
			d.record("stopped")
		}
	}
}

// classifyDom0Shutdown maps Xen's hwdom_shutdown message
// (xen/common/shutdown.c) to an outcome.
func classifyDom0Shutdown(msg string) Outcome {
	switch {
	case strings.Contains(msg, "halted"):
		return PoweredOff
	case strings.Contains(msg, "watchdog"):
		return Crashed
	case strings.Contains(msg, "crashed"):
		return Crashed
	case strings.Contains(msg, "rebooting"):
		return Rebooted
	}
	return Crashed
}

// classifyXLState maps the state column of `xl list` ("r-----" etc.) to
// an outcome. Columns: running, blocked, paused, shutdown, shutdown
// reason ('-' poweroff, 'r' reboot, 's' suspend, 'c' crash, 'w'
// watchdog, 'S' soft reset), dying.
func classifyXLState(st string) (Outcome, bool) {
	if len(st) != 6 {
		return BoxError, false
	}
	if st[3] != 's' {
		if st[4] == 'c' { // crashed but not yet marked shut down
			return Crashed, true
		}
		return Timeout, false
	}
	switch st[4] {
	case '-':
		return PoweredOff, true
	case 'r':
		return Rebooted, true
	case 's':
		return PoweredOff, true
	}
	return Crashed, true
}

// uptimeDiff is b-a for two /proc/uptime readings ("12.34").
func uptimeDiff(a, b string) (time.Duration, bool) {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || y < x {
		return -1, false
	}
	return time.Duration((y - x) * float64(time.Second)).Round(time.Millisecond), true
}

// hostFacts are what the host saw apart from the serial stream.
type hostFacts struct {
	start       time.Time
	end         time.Time
	hostTimeout bool          // the host gave up waiting
	qemuErr     string        // QEMU exited on its own without the end we expected
	cpuEnd      time.Duration // QEMU's CPU time when the host stopped reading (0: unknown)
}

// result decides the outcome from the events seen.
func (d *demux) result(h hostFacts) *Result {
	r := &Result{XenLog: d.xen.String(), Dom0Log: d.dom0.String(), Script: d.script.String()}
	r.Console = d.live.String()
	if d.dumped {
		r.Console = d.dump.String()
	}
	r.Timings = Timings{Boot: -1, FirstByte: -1, Run: -1, Total: h.end.Sub(h.start)}
	r.CPUTime = -1
	if e, ok := d.events["created"]; ok {
		r.Timings.Boot = e.at.Sub(h.start)
	}
	if d.mode == Dom0 {
		d.dom0Result(r, h)
	} else {
		d.domUResult(r, h)
	}
	r.QEMUCPU = d.qemuCPU(h)
	for _, l := range d.lines {
		r.ConsoleLines = append(r.ConsoleLines, ConsoleLine{At: l.at.Sub(h.start), QEMUCPU: l.cpu, Text: l.text})
	}
	if d.soak != nil {
		d.soakResult(r, h)
	}
	return r
}

// qemuCPU is QEMU's CPU time from the guest's first console line to its
// end: the shutdown or the timeout dom0 reported, else (dom0 mode, or the
// box gave up) the moment the host stopped reading. -1 when unknown,
// which includes a domU that printed and stopped between two looks of
// dom0 (firstbyte-by): its first line's time is not known.
func (d *demux) qemuCPU(h hostFacts) time.Duration {
	first, ok := d.events["firstbyte"]
	if !ok || first.cpu < 0 {
		return -1
	}
	end := h.cpuEnd
	for _, name := range []string{"stopped", "state", "timeout"} {
		if e, ok := d.events[name]; ok {
			end = e.cpu
			break
		}
	}
	if end <= 0 || end < first.cpu {
		return -1
	}
	return end - first.cpu
}

func (d *demux) dom0Result(r *Result, h hostFacts) {
	un, unOK := d.events["unpaused"]
	if fb, ok := d.events["firstbyte"]; ok && unOK {
		r.Timings.FirstByte = fb.at.Sub(un.at)
	}
	if st, ok := d.events["stopped"]; ok && unOK {
		r.Timings.Run = st.at.Sub(un.at)
	}
	switch {
	case d.shutdown != "" && d.has("triplefault") && classifyDom0Shutdown(d.shutdown) == Rebooted:
		r.Outcome, r.Detail = Crashed, "triple fault; "+d.shutdown
	case d.shutdown != "":
		r.Outcome, r.Detail = classifyDom0Shutdown(d.shutdown), d.shutdown
	case d.panicText != "" && !unOK:
		r.Outcome, r.Detail = CreateFailed, "Xen panic: "+d.panicText
	case d.panicText != "":
		r.Outcome, r.Detail = Crashed, "Xen panic: "+d.panicText
	case h.hostTimeout && unOK:
		r.Outcome, r.Detail = Timeout, "dom0 still running at the timeout"
	case h.hostTimeout:
		r.Outcome, r.Detail = BoxError, "Xen did not start dom0 in time"
	case h.qemuErr != "":
		r.Outcome, r.Detail = BoxError, h.qemuErr
	default:
		r.Outcome, r.Detail = BoxError, "QEMU ended without a dom0 shutdown"
	}
}

func (d *demux) domUResult(r *Result, h hostFacts) {
	un, unOK := d.events["unpaused"]
	if fb, ok := d.events["firstbyte"]; ok && unOK && len(un.args) > 0 && len(fb.args) > 0 {
		r.Timings.FirstByte, _ = uptimeDiff(un.args[0], fb.args[0])
	} else if fb, ok := d.events["firstbyte-by"]; ok && unOK && len(un.args) > 0 && len(fb.args) > 0 {
		// Only an upper bound: the guest printed and stopped between two looks.
		r.Timings.FirstByte, _ = uptimeDiff(un.args[0], fb.args[0])
		r.Timings.FirstByteUpper = true
	}
	end, endOK := d.events["state"]
	if !endOK {
		end, endOK = d.events["timeout"]
	}
	if endOK && unOK && len(un.args) > 0 && len(end.args) > 1 {
		r.Timings.Run, _ = uptimeDiff(un.args[0], end.args[1])
	}
	if c, ok := d.events["cputime"]; ok && len(c.args) > 0 {
		if sec, err := strconv.ParseFloat(c.args[0], 64); err == nil {
			r.CPUTime = time.Duration(sec * float64(time.Second))
		}
	}
	switch {
	case d.has("create-failed"):
		r.Outcome = CreateFailed
		r.Detail = xlErrorSummary(d.errText)
	case d.has("state"):
		st := d.events["state"].args
		var state string
		if len(st) > 0 {
			state = st[0]
		}
		o, ok := classifyXLState(state)
		if !ok {
			o = BoxError
		}
		r.Outcome, r.Detail = o, "xl state "+state
		if o == Rebooted && d.has("triplefault") {
			r.Outcome, r.Detail = Crashed, "triple fault; xl state "+state
		}
		if rip := contextRIP(d.context); rip != "" && r.Outcome == Crashed {
			r.Detail += "; " + rip
		}
		if d.has("xenrip") {
			r.FaultInXen = true
			r.Detail += "; the fault's RIP is in Xen (cs e008): the emulated CPU's fault, not the guest's"
		}
	case d.has("timeout"):
		r.Outcome, r.Detail = Timeout, "still running at the guest timeout"
		if rip := contextRIP(d.context); rip != "" {
			r.Detail += "; " + rip
		}
	case h.hostTimeout && d.has("created"):
		r.Outcome, r.Detail = Timeout, "host timeout: dom0 did not report the guest's end"
	case h.hostTimeout:
		r.Outcome, r.Detail = BoxError, "host timeout before the guest was created"
		if d.panicText != "" {
			r.Detail += "; Xen panic: " + d.panicText
		}
	case d.panicText != "":
		r.Outcome, r.Detail = BoxError, "Xen panic: "+d.panicText
	case h.qemuErr != "":
		r.Outcome, r.Detail = BoxError, h.qemuErr
	default:
		r.Outcome, r.Detail = BoxError, "dom0 ended without reporting the guest: "+lastLines(d.dom0.String(), 3)
	}
}

// contextRIP picks the instruction pointer out of xenctx's register
// dump ("rip: ffffffff81000000 symbol"), or "".
func contextRIP(lines []string) string {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "rip:" || f[0] == "eip:") {
			return strings.TrimSuffix(f[0], ":") + " " + strings.Join(f[1:], " ")
		}
	}
	return ""
}

// xlErrorSummary condenses xl create's output to its first few error
// lines; the rest is about cleaning up the half-built domain. The whole
// text stays in the dom0 log.
func xlErrorSummary(lines []string) string {
	var errs []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Parsing config from") {
			continue
		}
		errs = append(errs, l)
	}
	if len(errs) == 0 {
		return "xl create failed without output"
	}
	if len(errs) > 3 {
		errs = errs[:3]
	}
	return strings.Join(errs, " | ")
}

// lastLines returns the last n non-empty lines of s joined by " | ".
func lastLines(s string, n int) string {
	var ls []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			ls = append(ls, strings.TrimSpace(l))
		}
	}
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	if len(ls) == 0 {
		return "(no output)"
	}
	return strings.Join(ls, " | ")
}

// xenLineStart is the index in s of the first "(XEN) " or "(dN) " (a
// domain's line as Xen prints it), or -1.
func xenLineStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		if strings.HasPrefix(s[i:], xenPrefix) {
			return i
		}
		if j := i + 1; j < len(s) && s[j] == 'd' {
			k := j + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k > j+1 && k < len(s) && s[k] == ')' {
				return i
			}
		}
	}
	return -1
}
