package main

import (
	"fmt"
	"io"
	"strings"
)

// Verdict is one check's outcome.
type Verdict int

const (
	Pass  Verdict = iota
	Skip          // the environment cannot have it (dom0 has no console ring)
	Error         // the check could not measure what it wanted (a refused call it needs)
	Fail          // measured, and wrong
)

var verdictNames = [...]string{"PASS", "SKIP", "ERROR", "FAIL"}

func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Status is the test's result, XTF's four values in XTF's order: it only
// ever moves to a worse one (report.c in XTF keeps the same rule).
type Status int

const (
	Running Status = iota // nothing decided yet
	Success
	SkipAll // no selected check could run here
	ErrorStatus
	Failure
)

func (s Status) String() string {
	switch s {
	case Running:
		return "RUNNING"
	case Success:
		return "SUCCESS"
	case SkipAll:
		return "SKIP"
	case ErrorStatus:
		return "ERROR"
	case Failure:
		return "FAILURE"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// ExitCode is xtf-runner's exit code for the status (SUCCESS 0, SKIP 3,
// ERROR 4, FAILURE 5); the guest exits with it.
func (s Status) ExitCode() int {
	switch s {
	case Success:
		return 0
	case SkipAll:
		return 3
	case ErrorStatus:
		return 4
	}
	return 5
}

// Result is what one check found: the verdict, what it measured (with
// units) and, for a failure or error, what it expected.
type Result struct {
	Check    string
	Verdict  Verdict
	Measured string
	Expected string
	Detail   []string // extra lines shown with -v
}

func pass(format string, a ...any) Result {
	return Result{Verdict: Pass, Measured: fmt.Sprintf(format, a...)}
}
func skip(format string, a ...any) Result {
	return Result{Verdict: Skip, Measured: fmt.Sprintf(format, a...)}
}

// fail is a check that measured got and wanted want.
func fail(got, want string) Result { return Result{Verdict: Fail, Measured: got, Expected: want} }

// errorf is a check that could not measure: got says why.
func errorf(got, want string) Result { return Result{Verdict: Error, Measured: got, Expected: want} }

// Report prints one line per check and keeps the test's status.
//
// A check that passes makes a running test SUCCESS; an ERROR or FAIL makes
// it ERROR or FAILURE, the worst seen winning; a SKIP changes nothing, so
// a dom0, which cannot have the domU-only checks, still ends in SUCCESS.
// Only a test where nothing ran at all (every selected check skipped)
// ends in SKIP.
type Report struct {
	w       io.Writer
	verbose bool
	status  Status
	Results []Result
}

func NewReport(w io.Writer, verbose bool) *Report { return &Report{w: w, verbose: verbose} }

// worsen moves the status to s if s is worse.
func (r *Report) worsen(s Status) {
	if s > r.status {
		r.status = s
	}
}

// Add records and prints a check's result.
func (r *Report) Add(res Result) {
	switch res.Verdict {
	case Pass:
		r.worsen(Success)
	case Error:
		r.worsen(ErrorStatus)
	case Fail:
		r.worsen(Failure)
	case Skip:
	default:
		// A verdict this program does not know is its own bug.
		res.Verdict, res.Expected = Error, "a known verdict"
		r.worsen(ErrorStatus)
	}
	r.Results = append(r.Results, res)
	fmt.Fprintln(r.w, FormatLine(res))
	if r.verbose {
		for _, d := range res.Detail {
			fmt.Fprintln(r.w, "      "+d)
		}
	}
}

// Status is the result so far: SKIP while nothing has run.
func (r *Report) Status() Status {
	if r.status == Running {
		return SkipAll
	}
	return r.status
}

// FormatLine is a check's console line: "PASS  name: measured", and for a
// failure or error "FAIL  name: measured; expected expected". The runner
// (scripts/smoke-runner) reads these lines for its JUnit file.
func FormatLine(res Result) string {
	s := fmt.Sprintf("%-5s %s: %s", res.Verdict, res.Check, oneLine(res.Measured))
	if res.Expected != "" && (res.Verdict == Fail || res.Verdict == Error) {
		s += "; expected " + oneLine(res.Expected)
	}
	return s
}

// ResultLine is the last line of the test, exactly as XTF prints it.
func ResultLine(s Status) string { return "Test result: " + s.String() }

// oneLine keeps a measurement on its line: a newline in a string Xen
// gave would otherwise start a line the runner might misread.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
