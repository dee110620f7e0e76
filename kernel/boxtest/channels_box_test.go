//go:build box

package boxtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// dom0's side of TestChannelsAndVChan: one line on each of channels a
// and b (a twice, across the guest's close and reopen), 1 MiB each way
// through channel bulk and 16 MiB each way through the vchan at the same
// time, then a line on the vchan the guest serves again after dom0's
// close. On channel bulk dom0 sends first, a KiB at a time, each
// acknowledged by the guest, then receives: QEMU 7.2 drops host-to-guest
// bytes it reads beyond the room in in[] (see the channel package), and
// with one ring's worth in flight it has none to drop.
const channelsScript = `cd /tmp
A=/run/goxen/org.goxen.a.sock B=/run/goxen/org.goxen.b.sock BULK=/run/goxen/org.goxen.bulk.sock
V=/run/goxen/vchan-data-vchan-bulk.sock
(echo hello-a | sockcat -lines 1 $A >a1.out 2>&1; echo hello-a-again | sockcat -lines 1 $A >a2.out 2>&1) &
(echo hello-b | sockcat -lines 1 $B >b.out 2>&1) &
sockcat -ack 1024 -hello go -send 1048576 -recv 1048576 $BULK >chan.out 2>&1 &
sockcat -send 16777216 -recv 16777216 -seed 7 $V >vchan.out 2>&1
echo again | sockcat -lines 1 $V >vchan2.out 2>&1
wait
for f in a1 a2 b chan vchan vchan2; do sed "s/^/$f: /" $f.out; done
`

var transferLine = regexp.MustCompile(`(sent|received) (\d+) bytes crc64 ([0-9a-f]+) in ([0-9.]+) s`)

// transfers reads "<prefix>sent|received N bytes crc64 X in T s" lines.
func transfers(t *testing.T, text, prefix string) map[string][3]string {
	t.Helper()
	out := map[string][3]string{}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		if m := transferLine.FindStringSubmatch(l); m != nil {
			out[m[1]] = [3]string{m[2], m[3], m[4]}
		}
	}
	if len(out) != 2 {
		t.Errorf("%q: want a sent and a received line, got %v", prefix, out)
	}
	return out
}

func rate(v [3]string) float64 {
	n, _ := strconv.ParseFloat(v[0], 64)
	s, _ := strconv.ParseFloat(v[2], 64)
	if s == 0 {
		return 0
	}
	return n / 1e6 / s
}

// Channels and a vchan under real Xen with Xen's own backends (QEMU for
// the channels, vchan-socket-proxy for the vchan), while the guest keeps
// printing on its console: every byte arrives, each way, on each; two
// channels stay apart; a channel closes and opens again; dom0 closing the
// vchan's socket is EOF in the guest, which serves again; xenstore Clients
// opened and closed more often than the kernel has xenbus files give each
// back. In both modes: PV maps grant frames and granted pages by machine
// frame, through mmu_update.
func TestChannelsAndVChan(t *testing.T) { eachType(t, channelsAndVChan) }

func channelsAndVChan(t *testing.T, typ box.Type) {
	k := buildKernel(t, "./kernel/boxtest/testdata/channels")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: typ, Memory: 64, Timeout: 180 * time.Second,
		Channels: []string{"org.goxen.a", "org.goxen.b", "org.goxen.bulk"}, VChans: []string{"data/vchan/bulk"},
		Dom0Script: channelsScript})
	expect(t, r, box.PoweredOff,
		"channel: org.goxen.a is device 1, backend domain 0",
		"channel: org.goxen.bulk is device 3, backend domain 0",
		`channel: org.goxen.a (open 1) got "hello-a"`, `channel: org.goxen.a (open 2) got "hello-a-again"`,
		`channel: org.goxen.b (open 1) got "hello-b"`,
		"vchan: client connected at data/vchan/bulk (rings 65536 and 65536 bytes)",
		"vchan: EOF: the client closed; serving again", `vchan: vchan reopened got "again"`,
		"xenstore: 8 Open/Close cycles", "channels: all done")
	t.Logf("dom0 script:\n%s", r.Script)
	for _, want := range []string{`a1: org.goxen.a (open 1) got "hello-a"`, `a2: org.goxen.a (open 2) got "hello-a-again"`,
		`b: org.goxen.b (open 1) got "hello-b"`, `vchan2: vchan reopened got "again"`} {
		if !strings.Contains(r.Script, want) {
			t.Errorf("dom0 did not get %s", want)
		}
	}
	for _, c := range []struct {
		guest, dom0, n, note string
	}{
		{"channel bulk:", "chan:", "1048576", "; one direction at a time, dom0->guest 1 KiB per acknowledgement"},
		{"vchan:", "vchan:", "16777216", "; both directions at once"},
	} {
		g, d := transfers(t, r.Console, c.guest), transfers(t, r.Script, c.dom0)
		for _, dir := range [][2]string{{"sent", "received"}, {"received", "sent"}} {
			a, b := g[dir[0]], d[dir[1]]
			if a[0] != c.n || b[0] != c.n || a[1] != b[1] {
				t.Errorf("%s guest %s %s bytes crc64 %s, dom0 %s %s bytes crc64 %s; want %s bytes, equal sums",
					c.guest, dir[0], a[0], a[1], dir[1], b[0], b[1], c.n)
			}
		}
		t.Logf("FIGURES %s guest->dom0 %.3f MB/s (guest clock) %.3f MB/s (dom0 clock); dom0->guest %.3f MB/s (dom0) %.3f MB/s (guest)%s",
			strings.TrimSuffix(c.guest, ":"), rate(g["sent"]), rate(d["received"]), rate(d["sent"]), rate(g["received"]), c.note)
	}
	if m := regexp.MustCompile(`console: sent (\d+) bytes in ([0-9.]+) s \(([0-9.]+) MB/s\)`).FindStringSubmatch(r.Console); m != nil {
		t.Logf("FIGURES console guest->dom0 %s MB/s (guest clock, %s bytes)", m[3], m[1])
	} else {
		t.Errorf("no console rate line")
	}
	// Nothing was lost on the console either: every tick, in order.
	m := regexp.MustCompile(`ticks: (\d+) lines`).FindStringSubmatch(r.Console)
	if m == nil {
		t.Fatal("no tick count")
	}
	n, _ := strconv.Atoi(m[1])
	pos := 0
	for i := 0; i < n; i++ {
		j := strings.Index(r.Console[pos:], fmt.Sprintf("tick %d =", i))
		if j < 0 {
			t.Fatalf("console line tick %d of %d is missing (or out of order)", i, n)
		}
		pos += j
	}
	t.Logf("all %d console ticks arrived in order", n)
}

// The seed's two uses of channels, as the examples do them: configuration
// at boot, and an agent answering dom0 while the program works. A channel
// no program opens (org.goxen.unused) stalls neither boot nor the others.
func TestChannelExamples(t *testing.T) {
	t.Run("config", func(t *testing.T) {
		k := buildKernel(t, "./examples/config")
		r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Timeout: 90 * time.Second,
			Channels:   []string{"org.goxen.unused", "org.goxen.config"},
			Dom0Script: `echo '{"name":"web","replicas":3,"debug":true}' | sockcat -lines 1 /run/goxen/org.goxen.config.sock`})
		expect(t, r, box.PoweredOff, "config: got 3 settings from dom0",
			`config:   debug = true`, `config:   name = "web"`, `config:   replicas = 3`)
		if !strings.Contains(r.Script, "ok 3 settings") {
			t.Errorf("dom0 got no acknowledgement:\n%s", r.Script)
		}
	})
	t.Run("agent", func(t *testing.T) {
		k := buildKernel(t, "./examples/agent")
		r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Timeout: 90 * time.Second,
			Channels:   []string{"org.goxen.agent", "org.goxen.unused"},
			Dom0Script: `printf 'uptime\nmemory\ngoroutines\nquit\n' | sockcat -lines 4 /run/goxen/org.goxen.agent.sock`})
		expect(t, r, box.PoweredOff, "agent: answering on channel org.goxen.agent",
			`agent: "quit" -> "bye"`, "agent: quit; powering off", "agent: work:")
		t.Logf("dom0 script:\n%s", r.Script)
		for _, re := range []string{`uptime [0-9.]+ s`, `memory heap-in-use \d+ stacks \d+ sys \d+`, `goroutines \d+`, `bye`} {
			if !regexp.MustCompile(re).MatchString(r.Script) {
				t.Errorf("dom0 got no answer matching %s", re)
			}
		}
	})
}
