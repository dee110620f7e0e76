package scripts

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeXL plays xl for one domain, keeping its state in files under
// $FAKEXL: create (fails if create-fails exists), console (prints the
// guest's lines once the domain is unpaused, then stays until the domain
// is gone, as xl console does), unpause, list (with or without a name,
// in xl's columns; its first N calls fail as a busy libxl can when the
// file list-fails holds N), destroy. What the guest does after printing
// is in the file guest: poweroff (the default), run (for ever), or
// vanish (destroyed from outside). Every call is logged in calls.
const fakeXL = `#!/bin/sh
F=$FAKEXL
echo "$*" >>"$F/calls"
gone() { [ -e "$F/destroyed" ] || [ -e "$F/vanished" ]; }
guest=poweroff
[ -s "$F/guest" ] && read -r guest <"$F/guest"
cmd=$1
shift
case $cmd in
create)
	[ -e "$F/create-fails" ] && { echo "fake xl: create failed" >&2; exit 3; }
	sed -n 's/^name = "\(.*\)"$/\1/p' "$2" >"$F/name"
	;;
console)
	while [ ! -e "$F/unpaused" ]; do $REALSLEEP 0.01; done
	printf 'hello from the fake guest\r\nTest result: SUCCESS\r\n'
	: >"$F/printed"
	[ "$guest" = vanish ] && : >"$F/vanished"
	while ! gone; do $REALSLEEP 0.01; done
	;;
unpause) : >"$F/unpaused" ;;
destroy) : >"$F/destroyed" ;;
list)
	if [ -s "$F/list-fails" ]; then
		read -r n <"$F/list-fails"
		if [ "$n" -gt 0 ]; then
			echo $((n - 1)) >"$F/list-fails"
			echo "libxl: error: libxl_domain_info: getting domain info list: Resource temporarily unavailable" >&2
			exit 1
		fi
	fi
	read -r name <"$F/name"
	if gone; then
		[ $# -gt 0 ] && { echo "Invalid domain identifier \"$1\"." >&2; exit 1; }
	fi
	state=r-----
	[ -e "$F/unpaused" ] || state=--p---
	[ -e "$F/printed" ] && [ "$guest" = poweroff ] && state=---s--
	echo "Name                                        ID   Mem VCPUs	State	Time(s)"
	[ $# -gt 0 ] || echo "Domain-0                                     0  1024     1     r-----      10.0"
	gone || printf '%-40s %5d %5d %5d     %s %9s\n' "$name" 1 32 1 "$state" 0.1
	;;
*)
	echo "fake xl: $cmd: not played" >&2
	exit 1
	;;
esac
`

// shells are the POSIX shells to run the script under: dash is /bin/sh
// on Debian, busybox sh in the box's dom0, bash elsewhere.
func shells(t *testing.T) map[string][]string {
	out := map[string][]string{}
	for name, argv := range map[string][]string{"bash": {"bash"}, "dash": {"dash"}, "busybox": {"busybox", "sh"}} {
		if p, err := exec.LookPath(argv[0]); err == nil {
			out[name] = append([]string{p}, argv[1:]...)
		}
	}
	if len(out) == 0 {
		t.Skip("no bash, dash or busybox on this machine")
	}
	return out
}

// xlHost is a PATH holding the fake xl (and, when instant, a sleep that
// returns at once, so that every pause the script takes is shorter than
// the time its background jobs need to start: a loaded machine) and
// the directory of the fake's state.
type xlHost struct {
	bin, state string
}

func newXLHost(t *testing.T, instant bool) xlHost {
	h := xlHost{bin: t.TempDir(), state: t.TempDir()}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(h.bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("xl", fakeXL)
	if instant {
		write("sleep", "#!/bin/sh\n:\n")
	}
	return h
}

// set writes one of the fake's files.
func (h xlHost) set(t *testing.T, name, text string) {
	if err := os.WriteFile(filepath.Join(h.state, name), []byte(text+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (h xlHost) has(name string) bool {
	_, err := os.Stat(filepath.Join(h.state, name))
	return err == nil
}

// start runs scripts/goxen-run under shell with args, the fake xl first
// on PATH, in a process group of its own so that the test can end what
// the script leaves behind.
func (h xlHost) start(t *testing.T, shell []string, out *strings.Builder, args ...string) *exec.Cmd {
	realSleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	argv := append(append(append([]string{}, shell...), "goxen-run"), args...)
	// A shell cannot trap a signal that was ignored when it started, and
	// the test's own runner may have started with SIGHUP ignored (nohup)
	// or SIGINT ignored (a background job): give the script the default
	// dispositions, as a terminal would.
	if defaultSignals() {
		argv = append([]string{"env", "--default-signal=HUP,INT,TERM"}, argv...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PATH="+h.bin+":"+os.Getenv("PATH"), "FAKEXL="+h.state,
		"REALSLEEP="+realSleep, "TMPDIR="+t.TempDir())
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return cmd
}

// defaultSignals says whether env can reset signal dispositions
// (coreutils 8.31 and later).
var defaultSignals = sync.OnceValue(func() bool {
	return exec.Command("env", "--default-signal=HUP,INT,TERM", "true").Run() == nil
})

// exit waits for the script and returns its exit status.
func exit(t *testing.T, cmd *exec.Cmd, out *strings.Builder) int {
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode()
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()) // as a shell reports it
		}
	}
	t.Fatalf("goxen-run: %v\n%s", err, out)
	return -1
}

// run runs the script to its end.
func (h xlHost) run(t *testing.T, shell []string, args ...string) (string, int) {
	var out strings.Builder
	code := exit(t, h.start(t, shell, &out, args...), &out)
	return out.String(), code
}

// kernel is a file for the script to pass to xl create.
func kernel(t *testing.T) string {
	k := filepath.Join(t.TempDir(), "k.elf")
	if err := os.WriteFile(k, []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// want checks the exit status, the lines the output must hold, and
// whether the script destroyed the domain.
func want(t *testing.T, h xlHost, out string, code, wantCode int, destroyed bool, lines ...string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit %d, want %d", code, wantCode)
	}
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("no %q in the output", l)
		}
	}
	if h.has("destroyed") != destroyed {
		t.Errorf("domain destroyed: %v, want %v", h.has("destroyed"), destroyed)
	}
	if t.Failed() {
		calls, _ := os.ReadFile(filepath.Join(h.state, "calls"))
		t.Logf("output:\n%s\nxl calls:\n%s", out, calls)
	}
}

// On a loaded machine the script's fixed pause before it looks for the
// console's pid is shorter than the background job needs to start: the
// console must still be attached, shown and kept, and the guest's
// SUCCESS must not turn into a CRASH. The fake sleep returns at once;
// a few runs per shell give the race its chances. (busybox sh runs its
// own sleep whatever PATH says, so there the pause stays real.)
func TestGoxenRunSlowConsole(t *testing.T) {
	t.Parallel()
	for name, sh := range shells(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := kernel(t)
			for i := range 5 {
				for _, quiet := range []bool{false, true} {
					args := []string{"--xtf", "-n", "fake", k}
					if quiet {
						args = append([]string{"-q"}, args...)
					}
					h := newXLHost(t, true)
					out, code := h.run(t, sh, args...)
					want(t, h, out, code, 0, true, "fake: SUCCESS (exit 0)")
					if !quiet && !strings.Contains(out, "hello from the fake guest") {
						t.Errorf("run %d: the console was not shown", i)
					}
				}
				if t.Failed() {
					return
				}
			}
		})
	}
}

// One failed xl list is a busy toolstack, not a vanished domain: the
// script looks again, judges the end it then sees, and destroys the
// domain.
func TestGoxenRunTransientListFailure(t *testing.T) {
	t.Parallel()
	for name, sh := range shells(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newXLHost(t, false)
			h.set(t, "list-fails", "2")
			out, code := h.run(t, sh, "-n", "fake", kernel(t))
			want(t, h, out, code, 0, true, "fake: POWEROFF (exit 0)", "hello from the fake guest")
		})
	}
}

// A domain destroyed from outside is GONE (5), once xl's list of all
// domains confirms it; the script then destroys nothing (the name may
// be another domain's by now).
func TestGoxenRunVanished(t *testing.T) {
	t.Parallel()
	for name, sh := range shells(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newXLHost(t, false)
			h.set(t, "guest", "vanish")
			out, code := h.run(t, sh, "-q", "-n", "fake", kernel(t))
			want(t, h, out, code, 5, false, "fake: GONE (exit 5)")
		})
	}
}

// When xl keeps failing the script does not wait for ever (even with no
// timeout): it says so, destroys the domain (as far as xl lets it) and
// exits 5.
func TestGoxenRunXLFails(t *testing.T) {
	t.Parallel()
	for name, sh := range shells(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newXLHost(t, true)
			h.set(t, "guest", "run")
			h.set(t, "list-fails", "1000000")
			out, code := h.run(t, sh, "-q", "-t", "0", "-n", "fake", kernel(t))
			want(t, h, out, code, 5, true, "xl list failed", "Resource temporarily unavailable")
		})
	}
}

// A guest still running at the timeout is destroyed (3), -k or not; so
// is one whose script is interrupted (SIGTERM, SIGINT, SIGHUP): the script never
// leaves a domain behind that it did not mean to keep.
func TestGoxenRunDestroysOnTheWayOut(t *testing.T) {
	t.Parallel()
	for name, sh := range shells(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newXLHost(t, false)
			h.set(t, "guest", "run")
			out, code := h.run(t, sh, "-q", "-t", "1", "-n", "fake", kernel(t))
			want(t, h, out, code, 3, true, "fake: TIMEOUT (exit 3)")
			// -k keeps an end the script saw, and only that.
			h = newXLHost(t, false)
			out, code = h.run(t, sh, "-q", "-k", "-n", "fake", kernel(t))
			want(t, h, out, code, 0, false, "fake: POWEROFF (exit 0)")
			h = newXLHost(t, false)
			h.set(t, "guest", "run")
			out, code = h.run(t, sh, "-q", "-k", "-t", "1", "-n", "fake", kernel(t))
			want(t, h, out, code, 3, true, "fake: TIMEOUT (exit 3)")
			for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
				if !defaultSignals() && signal.Ignored(sig) {
					t.Logf("%v is ignored in this test and env cannot reset it: not sent", sig)
					continue
				}
				h := newXLHost(t, false)
				h.set(t, "guest", "run")
				var b strings.Builder
				cmd := h.start(t, sh, &b, "-t", "0", "-n", "fake", kernel(t))
				for !h.has("printed") {
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(300 * time.Millisecond) // into the wait loop
				cmd.Process.Signal(sig)
				code := exit(t, cmd, &b)
				want(t, h, b.String(), code, 128+int(sig), true)
			}
		})
	}
}
