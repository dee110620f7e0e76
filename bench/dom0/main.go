//go:build linux

// Command dom0 is the dom0 side of `make bench`: it runs in the box's
// dom0 (Debian's Linux, PV) beside the session's main guest and carries
// out a plan (package bench): it creates each guest paused with xl,
// unpauses it itself (XEN_DOMCTL_unpausedomain through privcmd, so the
// moment is known to the microsecond), then watches the guest's console
// log (written by xenconsoled) and the domain's state (getdomaininfo)
// every millisecond, timing from the unpause: the first console byte, the
// program's first line, the shutdown. It prints records (bench/records.go)
// after each guest, so its own output does not disturb the timing.
//
// A static linux/amd64 binary: the box's dom0 has no Go.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goxen/goxen/bench"
)

const logDir = "/var/log/xen/console"

func main() {
	planPath := flag.String("plan", "/bench/plan.json", "the plan (JSON)")
	flag.Parse()
	b, err := os.ReadFile(*planPath)
	if err != nil {
		fatal(err)
	}
	plan, err := bench.UnmarshalPlan(b)
	if err != nil {
		fatal(err)
	}
	// Its 1 ms looks come before dom0's own chores (the box's loop, xl
	// list), which would otherwise delay them: nice -20 for every thread
	// (threads made later inherit it). The box's busybox has no nice.
	renice(-20)
	pc, err := openPrivcmd()
	if err != nil {
		fatal(fmt.Errorf("privcmd: %w", err))
	}
	fmt.Printf("NOTE dom0 runner: %d steps, domctl interface %#x\n", len(plan.Steps), pc.version)
	r := &runner{pc: pc}
	start := time.Now()
	succeeded := map[string]bool{} // steps with a guest that succeeded
	for n, s := range plan.Steps {
		// A progress line for the host (bench.ProgressLine), before the
		// step's guests, so it times nothing.
		fmt.Printf("STEP %d/%d %s\n", n+1, len(plan.Steps), s.Label)
		if why := s.Skip(succeeded); why != "" {
			fmt.Printf("NOTE step %s skipped: %s\n", s.Label, why)
			continue
		}
		t := time.Now()
		switch s.Kind {
		case bench.KindRun:
			for i := 0; i < max(s.Repeat, 1); i++ {
				res := r.run(s, i, s.Memory, i == 0)
				res.print()
				if res.ok() {
					succeeded[s.Label] = true
				} else if s.FailFast {
					fmt.Printf("NOTE step %s: its guest %d failed, the step ends (fail_fast)\n", s.Label, i)
					break
				}
			}
		case bench.KindBisect:
			r.bisect(s)
		}
		fmt.Printf("NOTE step %s took %.1f s\n", s.Label, time.Since(t).Seconds())
	}
	fmt.Printf("NOTE plan done in %.1f s\n", time.Since(start).Seconds())
}

// renice sets the nice value of every thread of this process.
func renice(n int) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		fmt.Printf("NOTE renice: %v\n", err)
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil {
				fmt.Printf("NOTE renice %d: %v\n", tid, err)
			}
		}
	}
}

func fatal(err error) {
	fmt.Printf("NOTE dom0 runner failed: %v\n", err)
	os.Exit(1)
}

type runner struct {
	pc *privcmd
	n  int // guests created so far: names them
}

// result is one guest's account.
type result struct {
	label  string
	index  int
	fields []string // key=value, in order
	figs   []string
	logs   []string
}

func (r *result) set(k, v string) { r.fields = append(r.fields, k+"="+v) }

// field is the last value set for k ("" if none).
func (r *result) field(k string) string {
	v := ""
	for _, f := range r.fields {
		if fk, fv, _ := strings.Cut(f, "="); fk == k {
			v = fv
		}
	}
	return v
}

// ok says the guest powered off having printed what the step wants.
func (r *result) ok() bool { return r.field("ok") == "true" }

func (r *result) print() {
	var b strings.Builder
	fmt.Fprintf(&b, "RUN %s %d %s\n", r.label, r.index, strings.Join(r.fields, " "))
	for _, f := range r.figs {
		fmt.Fprintf(&b, "FIG %s %d %s\n", r.label, r.index, f)
	}
	for _, l := range r.logs {
		fmt.Fprintf(&b, "LOG %s %d %s\n", r.label, r.index, l)
	}
	os.Stdout.WriteString(b.String())
}

var shutdownNames = []string{"poweroff", "reboot", "suspend", "crash", "watchdog", "soft-reset"}

// run creates the guest, runs it to its end (or the timeout) and destroys
// it. forward: send back its console lines that the step asks for.
func (r *runner) run(s bench.Step, index, memory int, forward bool) *result {
	res := &result{label: s.Label, index: index}
	res.set("memory", strconv.Itoa(memory))
	r.n++
	name := fmt.Sprintf("bench%d", r.n)
	cfgPath := "/tmp/" + name + ".cfg"
	logPath := logDir + "/guest-" + name + ".log"
	defer os.Remove(cfgPath)
	defer os.Remove(logPath)
	if err := os.WriteFile(cfgPath, []byte(xlConfig(name, s, memory)), 0o644); err != nil {
		res.set("outcome", "box-error")
		return res
	}
	t := time.Now()
	out, err := exec.Command("xl", "create", "-p", cfgPath).CombinedOutput()
	res.set("create_ms", bench.FormatMS(float64(time.Since(t))/1e6))
	if err != nil {
		res.set("outcome", "create-failed")
		res.set("ok", "false")
		res.logs = append(res.logs, "0 xl create: "+oneLine(out))
		return res
	}
	domid, err := domidOf(name)
	if err != nil {
		res.set("outcome", "box-error")
		res.logs = append(res.logs, "0 "+err.Error())
		return res
	}
	defer destroy(r.pc, name, domid)

	w := &watch{step: s, forward: forward, res: res}
	before := time.Now()
	if err := r.pc.unpause(domid); err != nil {
		res.set("outcome", "box-error")
		res.logs = append(res.logs, "0 unpause: "+err.Error())
		return res
	}
	w.t0 = time.Now()
	res.set("unpause_us", strconv.FormatInt(w.t0.Sub(before).Microseconds(), 10))

	var gone time.Time
	var info domInfo
	outcome := ""
	deadline := w.t0.Add(s.Timeout())
	for {
		now := time.Now()
		w.readLog(logPath, now, r.pc, domid)
		info, err = r.pc.info(domid)
		if err != nil || !info.Exists {
			outcome = "vanished"
			gone = now
			break
		}
		if info.shutdown() {
			gone = now
			outcome = "crash"
			if k := info.reason(); k < len(shutdownNames) {
				outcome = shutdownNames[k]
			}
			break
		}
		if now.After(deadline) {
			outcome = "timeout"
			break
		}
		poll := time.Millisecond
		if !w.program.IsZero() && s.PollMS > 1 {
			poll = time.Duration(s.PollMS) * time.Millisecond
		}
		time.Sleep(poll)
	}
	// Let xenconsoled drain the ring into the log: until it stops growing
	// for 200 ms, at most 3 s.
	last, size := time.Now(), w.off
	for time.Since(last) < 200*time.Millisecond && time.Since(gone) < 3*time.Second {
		time.Sleep(20 * time.Millisecond)
		w.readLog(logPath, time.Now(), r.pc, domid)
		if w.off != size {
			last, size = time.Now(), w.off
		}
	}
	w.flushPartial(time.Now())
	ms := func(at time.Time) string {
		if at.IsZero() {
			return "-"
		}
		return bench.FormatMS(float64(at.Sub(w.t0)) / 1e6)
	}
	res.set("outcome", outcome)
	res.set("first_ms", ms(w.first))
	res.set("program_ms", ms(w.program))
	res.set("gone_ms", ms(gone))
	if final, err := r.pc.info(domid); err == nil && final.Exists {
		info = final
	}
	res.set("cpu_ms", bench.FormatMS(float64(info.CPUTime)/1e6))
	if s.Idle {
		if w.idleStart.IsZero() || w.idleDone.IsZero() {
			res.set("idle_cpu_ms", "-")
		} else {
			res.set("idle_cpu_ms", bench.FormatMS(float64(w.idleCPU1-w.idleCPU0)/1e6))
			res.set("idle_wall_ms", bench.FormatMS(float64(w.idleDone.Sub(w.idleStart))/1e6))
		}
	}
	ok := outcome == "poweroff" && (s.Want == "" || w.wantSeen)
	res.set("ok", strconv.FormatBool(ok))
	res.set("bytes", strconv.FormatInt(w.off, 10))
	if !ok {
		// What went wrong: the first and last lines of its console,
		// those it has not forwarded already.
		res.logs = appendNew(res.logs, w.head...)
		if w.tailN > len(w.head) {
			res.logs = append(res.logs, fmt.Sprintf("0 ... (%d lines)", w.tailN))
			res.logs = appendNew(res.logs, w.tail...)
		}
	}
	return res
}

// appendNew appends the lines of more that logs does not hold yet.
func appendNew(logs []string, more ...string) []string {
	have := map[string]bool{}
	for _, l := range logs {
		have[l] = true
	}
	for _, l := range more {
		if !have[l] {
			logs = append(logs, l)
			have[l] = true
		}
	}
	return logs
}

// watch follows one guest's console log.
type watch struct {
	step    bench.Step
	forward bool
	res     *result
	t0      time.Time // the unpause

	f         *os.File
	off       int64
	partial   []byte
	first     time.Time
	program   time.Time
	wantSeen  bool
	idleStart time.Time
	idleDone  time.Time
	idleCPU0  uint64
	idleCPU1  uint64
	head      []string // the first lines, for a failure
	tail      []string // the last lines
	tailN     int
}

func (w *watch) readLog(path string, now time.Time, pc *privcmd, domid int) {
	if w.f == nil {
		f, err := os.Open(path)
		if err != nil {
			return
		}
		w.f = f
	}
	var buf [64 << 10]byte
	for {
		n, err := w.f.ReadAt(buf[:], w.off)
		if n > 0 {
			if w.first.IsZero() {
				w.first = now
			}
			w.off += int64(n)
			w.partial = append(w.partial, buf[:n]...)
			w.lines(now, pc, domid)
		}
		if err == io.EOF || n == 0 || err != nil {
			return
		}
	}
}

func (w *watch) lines(now time.Time, pc *privcmd, domid int) {
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return
		}
		line := strings.TrimRight(string(w.partial[:i]), "\r")
		w.partial = w.partial[i+1:]
		w.line(line, now, pc, domid)
	}
}

func (w *watch) flushPartial(now time.Time) {
	if len(w.partial) > 0 {
		w.line(strings.TrimRight(string(w.partial), "\r"), now, nil, 0)
		w.partial = nil
	}
}

func (w *watch) line(line string, now time.Time, pc *privcmd, domid int) {
	if strings.Trim(line, "~") == "" && line != "" {
		return // the console figure's filler
	}
	ms := bench.FormatMS(float64(now.Sub(w.t0)) / 1e6)
	s := w.step
	if w.program.IsZero() && s.Program != "" && strings.HasPrefix(line, s.Program) {
		w.program = now
	}
	if s.Want != "" && strings.HasPrefix(line, s.Want) {
		w.wantSeen = true
	}
	if s.Idle && pc != nil {
		switch line {
		case "IDLE-START":
			if info, err := pc.info(domid); err == nil {
				w.idleStart, w.idleCPU0 = now, info.CPUTime
			}
		case "IDLE-DONE":
			if info, err := pc.info(domid); err == nil {
				w.idleDone, w.idleCPU1 = now, info.CPUTime
			}
		}
	}
	if name, v, unit, ok := bench.ParseBenchLine(line); ok {
		w.res.figs = append(w.res.figs, fmt.Sprintf("%s %g %s", name, v, unit))
	}
	if w.forward && len(w.res.logs) < 200 {
		for _, p := range s.Forward {
			if strings.HasPrefix(line, p) {
				w.res.logs = append(w.res.logs, ms+" "+line)
				break
			}
		}
	}
	w.tailN++
	if len(w.head) < 30 {
		w.head = append(w.head, ms+" "+line)
	} else {
		w.tail = append(w.tail, ms+" "+line)
		if len(w.tail) > 30 {
			w.tail = w.tail[1:]
		}
	}
}

// bisect finds the smallest memory in (Lo, Hi] at which the guest
// succeeds, Hi first.
func (r *runner) bisect(s bench.Step) {
	try := func(m int) bool {
		res := r.run(s, m, m, false)
		res.print()
		ok, why := res.ok(), res.field("outcome")
		verdict := "fail"
		if ok {
			verdict = "ok"
		}
		fmt.Printf("BISECT %s %d %s %s\n", s.Label, m, verdict, why)
		return ok
	}
	lo, hi := s.Lo, s.Hi
	if !try(hi) {
		fmt.Printf("MIN %s -\n", s.Label)
		return
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if try(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	fmt.Printf("MIN %s %d\n", s.Label, hi)
}

func xlConfig(name string, s bench.Step, memory int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name = %q\ntype = %q\nkernel = %q\n", name, s.GuestType(), s.Kernel)
	if s.Ramdisk != "" {
		fmt.Fprintf(&b, "ramdisk = %q\n", s.Ramdisk)
	}
	fmt.Fprintf(&b, "memory = %d\nvcpus = 1\ncpus = \"1\"\n", memory)
	if s.Cmdline != "" {
		fmt.Fprintf(&b, "cmdline = %q\n", s.Cmdline)
	}
	b.WriteString("on_poweroff = \"preserve\"\non_reboot = \"preserve\"\non_crash = \"preserve\"\n")
	return b.String()
}

func domidOf(name string) (int, error) {
	out, err := exec.Command("xl", "domid", name).Output()
	if err != nil {
		return 0, fmt.Errorf("xl domid %s: %v", name, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// destroy ends the guest and waits (up to 5 s) until it is gone, so the
// next guest has the machine to itself.
func destroy(pc *privcmd, name string, domid int) {
	exec.Command("xl", "destroy", name).Run()
	for i := 0; i < 50; i++ {
		if info, err := pc.info(domid); err != nil || !info.Exists {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
