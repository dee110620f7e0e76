package box

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestXLConfigDefaults(t *testing.T) {
	got, err := XLConfig(Config{Mode: DomU})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`name = "guest"`, `type = "pvh"`, `kernel = "/box/guest.elf"`,
		"memory = 32\n", "vcpus = 1\n", `cpus = "1"`, `on_poweroff = "preserve"`, `on_crash = "preserve"`, `on_reboot = "preserve"`} {
		if !strings.Contains(got, want) {
			t.Errorf("xl.cfg lacks %q:\n%s", want, got)
		}
	}
	for _, absent := range []string{"ramdisk", "cmdline"} {
		if strings.Contains(got, absent) {
			t.Errorf("xl.cfg has %q without being asked:\n%s", absent, got)
		}
	}
}

func TestXLConfigFields(t *testing.T) {
	got, err := XLConfig(Config{Mode: DomU, Memory: 256, VCPUs: 2, Ramdisk: "/x/initrd",
		Cmdline: `console=hvc0 say="hi\there"`, Extra: []string{`on_crash = "destroy"`, `maxmem=512`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"memory = 256\n", "vcpus = 2\n", `cpus = "1-2"`, `ramdisk = "/box/guest.initrd"`,
		`cmdline = "console=hvc0 say=\"hi\\there\""`, "on_crash = \"destroy\"\n", "maxmem=512\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("xl.cfg lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `on_crash = "preserve"`) {
		t.Errorf("extra line did not replace the generated on_crash:\n%s", got)
	}
}

func TestXLConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Cmdline: "a\nb"}, "contains a newline"},
		{Config{Extra: []string{"foo"}}, "is not key=value"},
		{Config{Extra: []string{"a=1\nb=2"}}, "contains a newline"},
		{Config{Memory: -1}, "negative memory"},
	} {
		_, err := XLConfig(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("XLConfig(%+v) error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// feed runs lines through a demux with a fake clock that advances one
// second each time the demux reads it (once per recorded event).
func feed(mode Mode, lines ...string) (*demux, []string, time.Time) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var live []string
	d := newDemux(mode, func() time.Time { now = now.Add(time.Second); return now }, func(s string) { live = append(live, s) })
	for _, l := range lines {
		d.Line(l)
	}
	return d, live, t0
}

func TestDemuxDomU(t *testing.T) {
	d, live, t0 := feed(DomU,
		"(XEN) Xen version 4.17\r",
		"[    0.000000] Linux version 6.1",
		"@@BOX created 1",
		"@@BOX unpaused 10.50",
		"@@G hello",
		"@@BOX firstbyte 11.00",
		"@@G world(XEN) not split inside tagged lines",
		"dom0 text(XEN) xen interrupts",
		"(d1) port e9 text",
		"@@BOX state ---s-- 20.50",
		"@@BOX cputime 0.4",
		"@@BOX firstbyte-by 20.60",
		"@@GUESTLOG-BEGIN",
		"@@L hello",
		"(XEN) interleaved",
		"@@L world",
		"",
		"@@GUESTLOG-END",
		"@@BOX done",
	)
	r := d.result(hostFacts{start: t0, end: t0.Add(30 * time.Second)})
	if r.Outcome != PoweredOff || r.Detail != "xl state ---s--" {
		t.Fatalf("outcome %v %q", r.Outcome, r.Detail)
	}
	if r.Console != "hello\nworld\n" {
		t.Errorf("console %q", r.Console)
	}
	if strings.Join(live, "|") != "hello|world(XEN) not split inside tagged lines" {
		t.Errorf("live %q", live)
	}
	if !strings.Contains(r.XenLog, "(XEN) Xen version 4.17\n") || !strings.Contains(r.XenLog, "(XEN) xen interrupts\n") ||
		!strings.Contains(r.XenLog, "(XEN) interleaved\n") || !strings.Contains(r.XenLog, "(d1) port e9 text\n") {
		t.Errorf("xen log %q", r.XenLog)
	}
	if !strings.Contains(r.Dom0Log, "Linux version") || !strings.Contains(r.Dom0Log, "dom0 text\n") || strings.Contains(r.Dom0Log, "@@G") {
		t.Errorf("dom0 log %q", r.Dom0Log)
	}
	want := Timings{Boot: time.Second, FirstByte: 500 * time.Millisecond, Run: 10 * time.Second, Total: 30 * time.Second}
	if r.Timings != want {
		t.Errorf("timings %+v, want %+v", r.Timings, want)
	}
	if r.CPUTime != 400*time.Millisecond {
		t.Errorf("cpu time %v, want 400ms", r.CPUTime)
	}
}

// outcomeCase is one serial stream and host facts, and the outcome and
// detail the demultiplexer must make of them.
type outcomeCase struct {
	name    string
	lines   []string
	h       hostFacts
	outcome Outcome
	detail  string
}

// checkOutcomes feeds each case to a demultiplexer in the given mode.
func checkOutcomes(t *testing.T, mode Mode, cases []outcomeCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _, t0 := feed(mode, tc.lines...)
			tc.h.start, tc.h.end = t0, t0.Add(time.Minute)
			r := d.result(tc.h)
			if r.Outcome != tc.outcome || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("got %v %q, want %v %q", r.Outcome, r.Detail, tc.outcome, tc.detail)
			}
		})
	}
}

func TestDemuxDomUOutcomes(t *testing.T) {
	checkOutcomes(t, DomU, []outcomeCase{
		{"crash", []string{"@@BOX created 1", "@@BOX state ---sc- 3.0"}, hostFacts{}, Crashed, "xl state ---sc-"},
		{"reboot", []string{"@@BOX created 1", "@@BOX state ---sr- 3.0"}, hostFacts{}, Rebooted, "xl state ---sr-"},
		{"triple", []string{"(XEN) d1v0 Triple fault - invoking HVM shutdown action 1", "@@BOX state ---sr- 3.0"}, hostFacts{}, Crashed, "triple fault"},
		{"triple-rip", []string{"(XEN) d1v0 Triple fault - invoking HVM shutdown action 1", "@@BOX state ---sr- 3.0",
			"@@X vcpu0:", "@@X rip: ffffffff81abcdef", "@@X rsp: ffffc90000003f00"}, hostFacts{}, Crashed, "triple fault; xl state ---sr-; rip ffffffff81abcdef"},
		{"triple-in-xen", []string{"(XEN) d1v0 Triple fault - invoking HVM shutdown action 1",
			"(XEN) *** Dumping Dom1 vcpu#0 state: ***", "(XEN) RIP:    e008:[<ffff82d0402044a5>]", "@@BOX state ---sr- 3.0"},
			hostFacts{}, Crashed, "triple fault; xl state ---sr-; the fault's RIP is in Xen (cs e008)"},
		{"gone", []string{"@@BOX state gone 3.0"}, hostFacts{}, BoxError, "xl state gone"},
		{"timeout", []string{"@@BOX created 1", "@@BOX unpaused 1.00", "@@BOX timeout -b---- 9.00"}, hostFacts{}, Timeout, "guest timeout"},
		{"timeout-rip", []string{"@@BOX created 1", "@@BOX unpaused 1.00", "@@BOX timeout r----- 9.00",
			"@@X vcpu0:", "@@X rip: 00000000002c6389", "@@BOX cputime 8.0"}, hostFacts{}, Timeout, "guest timeout; rip 00000000002c6389"},
		{"create", []string{"@@E Parsing config from /box/guest.cfg", "@@E xc: error: panic: bad ELF", "@@E libxl: error: x",
			"@@E libxl: error: y", "@@E libxl: error: z", "@@BOX create-failed"}, hostFacts{}, CreateFailed,
			"xc: error: panic: bad ELF | libxl: error: x | libxl: error: y"},
		{"create-silent", []string{"@@BOX create-failed"}, hostFacts{}, CreateFailed, "without output"},
		{"host-timeout-running", []string{"@@BOX created 1"}, hostFacts{hostTimeout: true}, Timeout, "host timeout"},
		{"host-timeout-early", []string{"(XEN) Panic on CPU 0:", "(XEN) Could not set up DOM0 guest OS", "(XEN) ****"},
			hostFacts{hostTimeout: true}, BoxError, "before the guest was created; Xen panic: Could not set up DOM0 guest OS"},
		{"xen-panic", []string{"(XEN) Panic on CPU 0:", "(XEN) ****", "(XEN) boom"}, hostFacts{}, BoxError, "Xen panic: boom"},
		{"qemu-died", nil, hostFacts{qemuErr: "QEMU exited (exit status 1): bad"}, BoxError, "QEMU exited (exit status 1): bad"},
		{"dom0-silent", []string{"some dom0 line"}, hostFacts{}, BoxError, "dom0 ended without reporting the guest: some dom0 line"},
	})
}

func TestDemuxDom0(t *testing.T) {
	d, live, t0 := feed(Dom0,
		"SeaBIOS noise",
		"(XEN) *** Building a PVH Dom0 ***",
		"(XEN) Freed 656kB init memory",
		"(d0) BOXPROBE",
		"raw console_io text",
		"(XEN) Hardware Dom0 halted: halting machine",
	)
	r := d.result(hostFacts{start: t0, end: t0.Add(10 * time.Second)})
	if r.Outcome != PoweredOff || !strings.Contains(r.Detail, "halted") {
		t.Fatalf("outcome %v %q", r.Outcome, r.Detail)
	}
	if r.Console != "BOXPROBE\nraw console_io text\n" || len(live) != 2 {
		t.Errorf("console %q live %q", r.Console, live)
	}
	if r.Dom0Log != "SeaBIOS noise\n" {
		t.Errorf("dom0 log %q", r.Dom0Log)
	}
	// The fake clock ticks at created, unpaused, and at each console
	// line (each is timed), so the halt comes 3 s after the unpause.
	want := Timings{Boot: time.Second, FirstByte: time.Second, Run: 3 * time.Second, Total: 10 * time.Second}
	if r.Timings != want {
		t.Errorf("timings %+v, want %+v", r.Timings, want)
	}
	wantLines := []ConsoleLine{{At: 3 * time.Second, QEMUCPU: -1, Text: "BOXPROBE"}, {At: 4 * time.Second, QEMUCPU: -1, Text: "raw console_io text"}}
	if !reflect.DeepEqual(r.ConsoleLines, wantLines) {
		t.Errorf("console lines %+v, want %+v", r.ConsoleLines, wantLines)
	}
}

func TestDemuxDom0Outcomes(t *testing.T) {
	started := []string{"(XEN) *** Building a PVH Dom0 ***", "(XEN) Freed 656kB init memory"}
	checkOutcomes(t, Dom0, []outcomeCase{
		{"crash", append(started, "(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds."), hostFacts{}, Crashed, "Dom0 crashed"},
		{"reboot", append(started, "(XEN) Hardware Dom0 shutdown: rebooting machine"), hostFacts{}, Rebooted, "rebooting"},
		{"watchdog", append(started, "(XEN) Hardware Dom0 shutdown: watchdog rebooting machine"), hostFacts{}, Crashed, "watchdog"},
		{"triple", append(started, "(XEN) d0v0 Triple fault - invoking HVM shutdown action 1",
			"(XEN) Hardware Dom0 shutdown: rebooting machine"), hostFacts{}, Crashed, "triple fault"},
		{"broken-elf", []string{"(XEN) *** Building a PVH Dom0 ***", "(XEN) Panic on CPU 0:", "(XEN) Could not construct domain 0"},
			hostFacts{}, CreateFailed, "Xen panic: Could not construct domain 0"},
		{"late-panic", append(started, "(XEN) Panic on CPU 0:", "(XEN) FATAL TRAP"), hostFacts{}, Crashed, "FATAL TRAP"},
		{"timeout", started, hostFacts{hostTimeout: true}, Timeout, "still running"},
		{"no-start", nil, hostFacts{hostTimeout: true}, BoxError, "did not start dom0"},
		{"qemu", started, hostFacts{qemuErr: "QEMU exited: x"}, BoxError, "QEMU exited: x"},
		{"ended", started, hostFacts{}, BoxError, "without a dom0 shutdown"},
	})
}

func TestClassifyXLState(t *testing.T) {
	for st, want := range map[string]Outcome{"---s--": PoweredOff, "---sc-": Crashed, "---sr-": Rebooted,
		"---ss-": PoweredOff, "---sw-": Crashed, "----c-": Crashed, "r-----": Timeout, "-b----": Timeout, "junk": BoxError} {
		if got, _ := classifyXLState(st); got != want {
			t.Errorf("classifyXLState(%q) = %v, want %v", st, got, want)
		}
	}
}

func TestUptimeDiff(t *testing.T) {
	if d, ok := uptimeDiff("1.25", "3.00"); !ok || d != 1750*time.Millisecond {
		t.Errorf("got %v %v", d, ok)
	}
	for _, p := range [][2]string{{"x", "1"}, {"1", "y"}, {"3", "2"}} {
		if _, ok := uptimeDiff(p[0], p[1]); ok {
			t.Errorf("uptimeDiff(%q, %q) accepted", p[0], p[1])
		}
	}
}

func TestSummary(t *testing.T) {
	r := &Result{Outcome: Crashed, Detail: "xl state ---sc-",
		Timings: Timings{Boot: 1500 * time.Millisecond, FirstByte: -1, Run: 2 * time.Second, Total: 10 * time.Second},
		CPUTime: -1, QEMUCPU: -1}
	want := "guest crashed: xl state ---sc- [boot 1.50s, first byte -, run 2.00s, total 10.00s]"
	if got := r.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	r.Timings.FirstByte, r.Timings.FirstByteUpper = 300*time.Millisecond, true
	if got := r.Summary(); !strings.Contains(got, "first byte <=0.30s") {
		t.Errorf("Summary() with an upper-bound first byte = %q", got)
	}
	r.Timings.FirstByte, r.Timings.FirstByteUpper = -1, false
	r.CPUTime = 250 * time.Millisecond
	if got, want := r.Summary(), want[:len(want)-1]+", guest cpu 0.25s]"; got != want {
		t.Errorf("Summary() with CPU time = %q, want %q", got, want)
	}
	r.QEMUCPU = 9500 * time.Millisecond
	if got, want := r.Summary(), want[:len(want)-1]+", guest cpu 0.25s, qemu cpu 9.50s]"; got != want {
		t.Errorf("Summary() with QEMU's CPU time = %q, want %q", got, want)
	}
	r.CPUTime = -1
	if strings.Contains(r.Summary(), "\n") {
		t.Error("summary spans lines")
	}
}

func TestOutcomeNamesAndCodes(t *testing.T) {
	codes := map[int]bool{}
	for o := PoweredOff; o <= Rebooted; o++ {
		if strings.HasPrefix(o.String(), "Outcome(") {
			t.Errorf("%d has no name", o)
		}
		if codes[o.ExitCode()] {
			t.Errorf("exit code %d reused by %v", o.ExitCode(), o)
		}
		codes[o.ExitCode()] = true
	}
	if PoweredOff.ExitCode() != 0 || Outcome(42).String() != "Outcome(42)" || Outcome(42).ExitCode() != 5 {
		t.Error("wrong code or name")
	}
}

func TestParseMode(t *testing.T) {
	if m, err := ParseMode("DomU"); err != nil || m != DomU || m.String() != "domu" {
		t.Errorf("got %v %v", m, err)
	}
	if m, err := ParseMode("dom0"); err != nil || m != Dom0 || m.String() != "dom0" {
		t.Errorf("got %v %v", m, err)
	}
	if _, err := ParseMode("hvm"); err == nil || !strings.Contains(err.Error(), `unknown mode "hvm"`) {
		t.Errorf("error %v", err)
	}
	if Mode(7).String() != "Mode(7)" {
		t.Error(Mode(7).String())
	}
}

func TestCacheKey(t *testing.T) {
	a := cacheKeyText(map[string]string{"xen": "4.17.1", "qemu": "7.2"}, "1")
	b := cacheKeyText(map[string]string{"qemu": "7.2", "xen": "4.17.1"}, "1")
	if a != b || a != "qemu 7.2\nxen 4.17.1\nrecipe 1\n" {
		t.Errorf("key text %q / %q", a, b)
	}
	if a == cacheKeyText(map[string]string{"xen": "4.17.2", "qemu": "7.2"}, "1") {
		t.Error("version change kept the key")
	}
	if a == cacheKeyText(map[string]string{"xen": "4.17.1", "qemu": "7.2"}, "2") {
		t.Error("recipe change kept the key")
	}
}

func TestParseDpkgQuery(t *testing.T) {
	m := parseDpkgQuery("xen-utils-4.17\t4.17.7\tii \nbusybox-static\t1.35\trc \nbroken line\n")
	if len(m) != 1 || m["xen-utils-4.17"] != "4.17.7" {
		t.Errorf("got %v", m)
	}
	if got := missing([]string{"xen-utils-4.17", "busybox-static"}, m); len(got) != 1 || got[0] != "busybox-static" {
		t.Errorf("missing %v", got)
	}
}

func TestParseKernelDepends(t *testing.T) {
	got, err := parseKernelDepends("linux-image-6.1.0-56-amd64 (= 6.1.192-2)")
	if err != nil || got != "linux-image-6.1.0-56-amd64" {
		t.Errorf("got %q %v", got, err)
	}
	if _, err := parseKernelDepends("initramfs-tools"); err == nil || !strings.Contains(err.Error(), "no versioned linux-image") {
		t.Errorf("error %v", err)
	}
}

func TestParseLDD(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffd)\n" +
		"\tlibxenlight.so.4.17 => /lib/x86_64-linux-gnu/libxenlight.so.4.17 (0x00007f6b)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f6b63fda000)\n" +
		"\tlibmissing.so => not found\n"
	got := parseLDD(out)
	if strings.Join(got, " ") != "/lib/x86_64-linux-gnu/libxenlight.so.4.17 /lib64/ld-linux-x86-64.so.2" {
		t.Errorf("got %q", got)
	}
}

func TestModuleOrder(t *testing.T) {
	dep := "kernel/drivers/xen/xenfs/xenfs.ko.xz: kernel/drivers/xen/xen-privcmd.ko.xz\n" +
		"kernel/drivers/xen/xen-privcmd.ko.xz:\n" +
		"kernel/drivers/xen/xen-evtchn.ko:\n"
	got, err := moduleOrder(dep, "kernel/drivers/xen/xen-gntdev.ko\n", []string{"xenfs", "xen_evtchn", "xen-gntdev", "xen-privcmd"})
	if err != nil {
		t.Fatal(err)
	}
	want := "kernel/drivers/xen/xen-privcmd.ko.xz kernel/drivers/xen/xenfs/xenfs.ko.xz kernel/drivers/xen/xen-evtchn.ko"
	if strings.Join(got, " ") != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if _, err := moduleOrder(dep, "", []string{"nosuch"}); err == nil || !strings.Contains(err.Error(), "module nosuch is neither") {
		t.Errorf("error %v", err)
	}
	loop := "a.ko: b.ko\nb.ko: a.ko\n"
	if got, err := moduleOrder(loop, "", []string{"a"}); err != nil || len(got) != 2 {
		t.Errorf("loop: %v %v", got, err)
	}
	if moduleBase("x/y/xen-evtchn.ko.zst") != "xen-evtchn" {
		t.Error(moduleBase("x/y/xen-evtchn.ko.zst"))
	}
}

func TestCPIO(t *testing.T) {
	var b bytes.Buffer
	c := newCPIO(&b)
	c.File("a/b/c", 0o644, []byte("hi"))
	c.Symlink("a/l", "b")
	c.CharDev("dev/console", 5, 1)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if b.Len()%4 != 0 {
		t.Errorf("archive length %d not 4-aligned", b.Len())
	}
	// Parents come first, each once; the trailer comes last.
	var names []string
	for off := 0; off < len(s); {
		if s[off:off+6] != "070701" {
			t.Fatalf("bad magic at %d", off)
		}
		hex := func(i int) int {
			var v int
			for _, ch := range s[off+6+8*i : off+6+8*i+8] {
				v = v*16 + strings.IndexRune("0123456789ABCDEF", ch)
			}
			return v
		}
		size, nameSize := hex(6), hex(11)
		name := s[off+110 : off+110+nameSize-1]
		names = append(names, name)
		if name == "dev/console" && (hex(9) != 5 || hex(10) != 1 || hex(1)&0o170000 != modeChr) {
			t.Errorf("console node wrong")
		}
		off += (110 + nameSize + 3) &^ 3
		off += (size + 3) &^ 3
	}
	if got := strings.Join(names, " "); got != "a a/b a/b/c a/l dev dev/console TRAILER!!!" {
		t.Errorf("entries %q", got)
	}
}

func TestDom0MemFor(t *testing.T) {
	for end, want := range map[uint64]int{0x201000: 512, 600 << 20: 704, 448<<20 + 1: 576} {
		if got := dom0MemFor(end); got != want {
			t.Errorf("dom0MemFor(%#x) = %d, want %d", end, got, want)
		}
	}
}

func TestQEMUEscape(t *testing.T) {
	if got := qemuEscape("/a,b/c"); got != "/a,,b/c" {
		t.Error(got)
	}
}

func TestConfigFillErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no kernel given"},
		{Config{Kernel: "/nonexistent/k.elf"}, "kernel:"},
		{Config{Kernel: "box.go", Mode: Mode(9)}, "unknown mode 9"},
		{Config{Kernel: "box.go", Mode: DomU, Memory: -5}, "must not be negative"},
		{Config{Kernel: "box.go", Mode: Dom0, Extra: []string{"a=1"}}, "domU mode only"},
		{Config{Kernel: "box.go", Mode: Dom0}, "kernel:"}, // not an ELF
		{Config{Kernel: "box.go", Mode: DomU, Input: []string{"a\nb"}}, "contains a newline"},
		{Config{Kernel: "box.go", Mode: Dom0, Repeat: 3}, "needs domU mode"},
		{Config{Kernel: "box.go", Mode: DomU, Repeat: -1}, "must not be negative"},
		{Config{Kernel: "box.go", Mode: DomU, Repeat: 3, Expect: BoxError}, "cannot be expected to end in box error"},
		{Config{Kernel: "box.go", Mode: DomU, Files: map[string][]byte{"rel/path": nil}}, "want an absolute, clean path"},
		{Config{Kernel: "box.go", Mode: DomU, Files: map[string][]byte{"/a/../b": nil}}, "want an absolute, clean path"},
		{Config{Kernel: "box.go", Mode: DomU, Files: map[string][]byte{"/box/script": nil}}, "is the box's own"},
		{Config{Kernel: "box.go", Mode: Dom0, Files: map[string][]byte{"/opt/k.elf": nil}}, "domU mode only"},
	} {
		c := tc.cfg
		err := c.fill()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("fill(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	c := Config{Kernel: "box.go", Mode: DomU}
	if err := c.fill(); err != nil || c.Memory != 32 || c.VCPUs != 1 || c.Timeout != DefaultTimeout || c.QEMUCPU != DefaultQEMUCPU {
		t.Errorf("defaults: %+v %v", c, err)
	}
}

func TestRunParams(t *testing.T) {
	got := runParams(Config{Timeout: 1500 * time.Millisecond, InputDelay: 250 * time.Millisecond})
	if got != "TIMEOUT=2\nINPUT_DELAY=0.250\nREPEAT=1\nVCHANS=''\n" {
		t.Errorf("got %q", got)
	}
	if got := runParams(Config{Timeout: time.Second, Repeat: 20}); !strings.Contains(got, "REPEAT=20\n") {
		t.Errorf("repeat: got %q", got)
	}
	got = runParams(Config{VChans: []string{"data/vchan/a", "data/b"}})
	if !strings.HasSuffix(got, "VCHANS='data/vchan/a data/b'\n") {
		t.Errorf("vchans: got %q", got)
	}
}

func TestChannelConfig(t *testing.T) {
	cfg, err := XLConfig(Config{Channels: []string{"org.goxen.a", "org.goxen.b"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `channel = [ "name=goxen.xl-devid-0,connection=pty", "name=org.goxen.a,connection=socket,path=/run/goxen/org.goxen.a.sock", ` +
		`"name=org.goxen.b,connection=socket,path=/run/goxen/org.goxen.b.sock" ]`
	if !strings.Contains(cfg, want+"\n") {
		t.Errorf("xl.cfg lacks %s:\n%s", want, cfg)
	}
	if s := VChanSocket("data/vchan/bulk"); s != "/run/goxen/vchan-data-vchan-bulk.sock" {
		t.Errorf("VChanSocket = %s", s)
	}
	for _, bad := range []Config{
		{Kernel: "box.go", Mode: DomU, Channels: []string{"a,b"}},
		{Kernel: "box.go", Mode: DomU, Channels: []string{""}},
		{Kernel: "box.go", Mode: DomU, VChans: []string{"/local/domain/1/x"}},
		{Kernel: "box.go", Mode: DomU, VChans: []string{"data/../x"}},
		{Kernel: "box.go", Mode: Dom0, VChans: []string{"data/x"}},
	} {
		if err := bad.fill(); err == nil {
			t.Errorf("fill accepted %+v", bad)
		}
	}
}

func FuzzDemux(f *testing.F) {
	f.Add("(XEN) Hardware Dom0 halted: halting machine\n@@BOX state ---s-- 1.0", 0)
	f.Add("@@GUESTLOG-BEGIN\n@@L x(XEN) y\n@@GUESTLOG-END\n@@BOX create-failed", 1)
	f.Add("abc(XEN) (XEN) (d0) \n(XEN) Panic on CPU 0:\n(XEN) ****", 1)
	f.Add("@@BOX guest-begin 1\n(XEN) d1v0 Triple fault\n@@BOX state ---sr- 1.0\n@@BOX guest-end\n@@BOX guest-begin x\n@@BOX done", 3)
	f.Fuzz(func(t *testing.T, stream string, mode int) {
		m := Mode(mode & 1)
		d := newDemux(m, nil, nil)
		if mode&2 != 0 && m == DomU { // a soak of three guests
			d.soak = &soakState{n: 3}
		}
		for _, l := range strings.Split(stream, "\n") {
			d.Line(l)
		}
		r := d.result(hostFacts{})
		if r.Outcome < PoweredOff || r.Outcome > Rebooted {
			t.Fatalf("outcome %d", r.Outcome)
		}
		if strings.Contains(r.Summary(), "\n") && !strings.Contains(stream, "\n") {
			t.Fatalf("multi-line summary %q", r.Summary())
		}
		// Every Xen line the demux kept starts with a Xen prefix.
		for _, l := range strings.Split(strings.TrimSuffix(r.XenLog, "\n"), "\n") {
			if l != "" && !strings.HasPrefix(l, "(") {
				t.Fatalf("xen log line %q", l)
			}
		}
	})
}

func FuzzXLConfig(f *testing.F) {
	f.Add("console=hvc0", `on_crash="destroy"`, 32)
	f.Add(`a"b\c`, "k=v", 0)
	f.Fuzz(func(t *testing.T, cmdline, extra string, mem int) {
		got, err := XLConfig(Config{Cmdline: cmdline, Extra: []string{extra}, Memory: mem})
		if err != nil {
			return
		}
		// Each line is "key = value" (or a comment); the cmdline cannot
		// break out of its string.
		for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if !strings.HasPrefix(l, "#") && xlKey(l) == "" {
				t.Fatalf("line %q has no key in\n%s", l, got)
			}
		}
	})
}

func TestEnsurePackagesNotRoot(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query on this host")
	}
	defer func(f func() int) { geteuid = f }(geteuid)
	geteuid = func() int { return 1000 }
	_, err := ensurePackages(context.Background(), []string{"xenbox-no-such-package"}, io.Discard)
	want := "box: missing packages xenbox-no-such-package and not root; run: apt-get install xenbox-no-such-package"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestLockMachine(t *testing.T) {
	old := LockFile
	LockFile = filepath.Join(t.TempDir(), "lock")
	defer func() { LockFile = old }()
	unlock, err := lockMachine(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	var said strings.Builder
	if _, err := lockMachine(ctx, &said); err == nil {
		t.Fatal("a second holder got the lock")
	} else {
		t.Log(err)
	}
	if !strings.Contains(said.String(), "waiting for another boot") {
		t.Errorf("no progress message while waiting: %q", said.String())
	}
	unlock()
	unlock2, err := lockMachine(context.Background(), nil)
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	unlock2()
}

func TestDemuxFirstByteUpperBound(t *testing.T) {
	d, _, t0 := feed(DomU,
		"@@BOX created 1",
		"@@BOX unpaused 10.00",
		"@@BOX state ---s-- 10.30",
		"@@BOX firstbyte-by 10.40",
		"@@GUESTLOG-BEGIN",
		"@@L fast",
		"@@GUESTLOG-END",
		"@@BOX done",
	)
	r := d.result(hostFacts{start: t0, end: t0.Add(20 * time.Second)})
	if r.Timings.FirstByte != 400*time.Millisecond || !r.Timings.FirstByteUpper {
		t.Fatalf("first byte %v (upper bound %v), want <=400ms", r.Timings.FirstByte, r.Timings.FirstByteUpper)
	}
	if r.CPUTime != -1 {
		t.Errorf("cpu time %v without a cputime event, want -1", r.CPUTime)
	}
}

func TestDemuxShowsLinesTheLiveViewMissed(t *testing.T) {
	var shown []string
	d := newDemux(DomU, time.Now, func(s string) { shown = append(shown, s) })
	for _, l := range []string{
		"@@BOX unpaused 1.00",
		"@@G one",
		"@@BOX state ---s-- 2.00",
		"@@GUESTLOG-BEGIN",
		"@@L one",
		"@@L two",
		"@@L three",
		"@@GUESTLOG-END",
	} {
		d.Line(l)
	}
	if got := strings.Join(shown, "|"); got != "one|two|three" {
		t.Fatalf("shown %q, want one|two|three", got)
	}
}

// A box error happens before any guest ran: no CPU time is claimed.
func TestRunConfigErrorResult(t *testing.T) {
	r, err := Run(context.Background(), Config{Kernel: ""})
	if err == nil || r.Outcome != BoxError {
		t.Fatalf("outcome %v, err %v: want a box error for a missing kernel", r.Outcome, err)
	}
	if r.CPUTime != -1 || strings.Contains(r.Summary(), "guest cpu") {
		t.Errorf("summary %q claims a CPU time (CPUTime %v)", r.Summary(), r.CPUTime)
	}
	t.Log(r.Summary())
}

// In domU mode dom0's one vCPU is pinned to physical CPU 0 and the guest
// gets CPUs of its own: QEMU has one CPU more than the guest has vCPUs.
func TestQEMUArgsDomUPinning(t *testing.T) {
	dir := t.TempDir()
	a := &Assets{Xen: filepath.Join(dir, "xen"), Vmlinuz: filepath.Join(dir, "vmlinuz"),
		Dom0Initrd: filepath.Join(dir, "dom0.cpio.gz")}
	kernel := filepath.Join(dir, "k.elf")
	for _, f := range []string{a.Dom0Initrd, kernel} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for vcpus, smp := range map[int]string{1: "2", 3: "4"} {
		cfg := Config{Kernel: kernel, Mode: DomU, VCPUs: vcpus}
		if err := cfg.fill(); err != nil && !strings.Contains(err.Error(), "kernel") {
			t.Fatal(err)
		}
		cfg.VCPUs = vcpus
		args, err := qemuArgs(cfg, a, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(args, " ")
		if !strings.Contains(joined, "-smp "+smp+" ") || !strings.Contains(joined, "dom0_max_vcpus=1 dom0_vcpus_pin") {
			t.Errorf("%d vCPUs: qemu args %q lack -smp %s or dom0 pinning", vcpus, joined, smp)
		}
	}
}

// Only the RIP line of the dump that follows "Triple fault" counts: a
// guest RIP there is the guest's fault, whatever Xen prints later.
func TestDemuxTripleFaultInGuestNotBlamedOnXen(t *testing.T) {
	d, _, t0 := feed(DomU, "(XEN) d1v0 Triple fault - invoking HVM shutdown action 1",
		"(XEN) RIP:    0008:[<00000000002b2c25>]", "(XEN) RIP:    e008:[<ffff82d0402044a5>]", "@@BOX state ---sr- 3.0")
	r := d.result(hostFacts{start: t0, end: t0.Add(time.Minute)})
	if r.Outcome != Crashed || !strings.Contains(r.Detail, "triple fault; xl state ---sr-") || strings.Contains(r.Detail, "in Xen") || r.FaultInXen {
		t.Fatalf("got %v %q: want a triple fault, with the guest's RIP not blamed on Xen", r.Outcome, r.Detail)
	}
	d, _, t0 = feed(DomU, "(XEN) d1v0 Triple fault - invoking HVM shutdown action 1",
		"(XEN) RIP:    e008:[<ffff82d0402044a5>]", "@@BOX state ---sr- 3.0")
	if r := d.result(hostFacts{start: t0, end: t0.Add(time.Minute)}); !r.FaultInXen {
		t.Fatalf("got %v %q: a RIP in Xen not flagged", r.Outcome, r.Detail)
	}
}

// Xen's output can land in the middle of a dom0 event line; the event
// keeps its number and the rest goes to the Xen log.
func TestDemuxEventLineWithXenInside(t *testing.T) {
	d, _, t0 := feed(DomU, "@@BOX created 1", "@@BOX unpaused 9.91(d1)   flags    0x0 0",
		"@@BOX firstbyte 10.34", "@@BOX state ---s-- 20.25(XEN) something", "@@BOX cputime 10.2")
	r := d.result(hostFacts{start: t0, end: t0.Add(time.Minute)})
	if r.Outcome != PoweredOff || r.Timings.FirstByte != 430*time.Millisecond || r.Timings.Run != 10340*time.Millisecond {
		t.Fatalf("got %v %q %+v", r.Outcome, r.Detail, r.Timings)
	}
	if !strings.Contains(r.XenLog, "(d1)   flags    0x0 0") || !strings.Contains(r.XenLog, "(XEN) something") {
		t.Fatalf("Xen's part of the lines missing from the Xen log:\n%s", r.XenLog)
	}
	for in, want := range map[string]int{"@@BOX a (d12) x": 8, "@@BOX a (d) x": -1, "@@BOX (dx)": -1, "x(XEN) y": 1, "(d1": -1} {
		if got := xenLineStart(in); got != want {
			t.Errorf("xenLineStart(%q) = %d, want %d", in, got, want)
		}
	}
}

// Config.Files land in the per-run archive that follows the cached dom0
// image, executable, at their paths.
func TestRunInitrdFiles(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.cpio.gz")
	if err := os.WriteFile(base, []byte("BASE"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "initrd.gz")
	cfg := Config{Kernel: "box.go", Mode: DomU, Files: map[string][]byte{
		"/opt/smoke/runner": []byte("#!/bin/sh\necho hi\n"), "/opt/sleeper.elf": []byte("ELF!")}}
	if err := cfg.fill(); err != nil {
		t.Fatal(err)
	}
	if err := writeRunInitrd(cfg, &Assets{Dom0Initrd: base}, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("BASE")) {
		t.Fatalf("initrd: %v, starts %q", err, b[:min(len(b), 8)])
	}
	zr, err := gzip.NewReader(bytes.NewReader(b[4:]))
	if err != nil {
		t.Fatal(err)
	}
	arch, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"opt/smoke/runner\x00", "#!/bin/sh\necho hi\n", "opt/sleeper.elf\x00", "ELF!", "box/script\x00"} {
		if !bytes.Contains(arch, []byte(want)) {
			t.Errorf("the run archive lacks %q", want)
		}
	}
	// newc header: c_mode is the second field (after the magic and ino).
	i := bytes.Index(arch, []byte("opt/smoke/runner\x00"))
	if hdr := string(arch[i-110 : i]); !strings.EqualFold(hdr[14:22], "000081ed") {
		t.Errorf("runner mode %s, want 000081ed (a 0755 file)", hdr[14:22])
	}
}

// A dom0-mode command line goes to QEMU inside -initrd, whose value QEMU
// splits into modules at commas: commas are doubled, so "-run xen,memory"
// reaches the guest whole.
func TestQEMUArgsDom0CmdlineComma(t *testing.T) {
	dir := t.TempDir()
	a := &Assets{Xen: filepath.Join(dir, "xen")}
	kernel := filepath.Join(dir, "k.elf")
	cfg := Config{Kernel: kernel, Mode: Dom0, Memory: 512, VCPUs: 1, Cmdline: "-run xen,memory -fail memory.checksum"}
	args, err := qemuArgs(cfg, a, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := kernel + " -run xen,,memory -fail memory.checksum"
	if args[len(args)-1] != want || args[len(args)-2] != "-initrd" {
		t.Errorf("-initrd %q, want %q", args[len(args)-1], want)
	}
}

// -type pv: xl.cfg's type in domU mode, Xen's dom0= in dom0 mode (Xen
// 4.17's qemu-smoke pv job boots its PV dom0 the same way, without
// dom0=pvh and dom0-iommu=none).
func TestGuestType(t *testing.T) {
	for s, want := range map[string]Type{"pvh": PVH, "PV": PV, "pv": PV} {
		if got, err := ParseType(s); err != nil || got != want {
			t.Errorf("ParseType(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseType("hvm"); err == nil || !strings.Contains(err.Error(), `unknown guest type "hvm" (want pvh or pv)`) {
		t.Errorf("ParseType(hvm) error %v", err)
	}
	got, err := XLConfig(Config{Mode: DomU, Type: PV})
	if err != nil || !strings.Contains(got, "type = \"pv\"\n") || strings.Contains(got, "pvh") {
		t.Errorf("PV xl.cfg (%v):\n%s", err, got)
	}
	// An -extra type line still wins.
	got, _ = XLConfig(Config{Mode: DomU, Type: PV, Extra: []string{`type = "pvh"`}})
	if strings.Count(got, "type =") != 1 || !strings.Contains(got, `type = "pvh"`) {
		t.Errorf("extra type line:\n%s", got)
	}

	dir := t.TempDir()
	a := &Assets{Xen: filepath.Join(dir, "xen"), Vmlinuz: filepath.Join(dir, "vmlinuz"), Dom0Initrd: filepath.Join(dir, "dom0.cpio.gz")}
	kernel := filepath.Join(dir, "k.elf")
	os.WriteFile(kernel, []byte("x"), 0o644)
	for typ, want := range map[Type]string{PVH: "dom0=pvh dom0-iommu=none dom0_mem=", PV: "guest_loglvl=all dom0=pv dom0_mem="} {
		cfg := Config{Kernel: kernel, Mode: Dom0, Type: typ, Memory: 64, VCPUs: 1}
		args, err := qemuArgs(cfg, a, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(args, " ")
		if !strings.Contains(joined, want) || (typ == PV && strings.Contains(joined, "pvh")) {
			t.Errorf("%v dom0: qemu args %q lack %q", typ, joined, want)
		}
	}
	if err := (&Config{Kernel: kernel, Mode: DomU, Type: 7}).fill(); err == nil || !strings.Contains(err.Error(), "unknown guest type 7") {
		t.Errorf("fill with type 7: %v", err)
	}
}
