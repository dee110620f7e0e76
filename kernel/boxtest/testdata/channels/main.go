// Command channels is the box test of PV channels and vchan: while it
// prints numbered lines on the console, it
//
//   - answers one line on each of channels org.goxen.a and org.goxen.b,
//     saying which channel it came in on (two channels kept apart);
//   - receives 1 MiB through channel org.goxen.bulk, once dom0 said "go",
//     acknowledging each KiB (QEMU 7.2's backend drops bytes it reads
//     from the socket beyond the room in in[], so dom0 keeps no more than
//     the ring's 1 KiB in flight), then sends 1 MiB;
//   - serves a vchan at data/vchan/bulk and sends 16 MiB while receiving
//     16 MiB; then waits for dom0 to close (EOF), serves again, and
//     answers one line on the new connection;
//   - closes channel org.goxen.a and opens it again (the state machine
//     down and up), answering one more line.
//
// Every transfer prints the CRC-64 (ECMA) of what went each way, for the test
// to compare with dom0's, and its rate by the guest's clock.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"math/rand"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goxen/goxen/channel"
	_ "github.com/goxen/goxen/kernel"
	"github.com/goxen/goxen/vchan"
	"github.com/goxen/goxen/xenstore"
)

var xs *xenstore.Client

func main() {
	var err error
	xs, err = xenstore.Open()
	if err != nil {
		fail("xenstore", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	list, err := channel.List(ctx, xs)
	if err != nil {
		fail("listing channels", err)
	}
	for _, c := range list {
		fmt.Printf("channel: %s is device %d, backend domain %d\n", c.Name, c.Dev, c.BackendID)
	}

	// The console goes on all the time.
	var stop atomic.Bool
	ticks := make(chan int)
	go func() {
		n := 0
		for !stop.Load() {
			fmt.Printf("tick %d %s\n", n, strings.Repeat("=", 60))
			n++
			time.Sleep(20 * time.Millisecond)
		}
		ticks <- n
	}()

	var wg sync.WaitGroup
	run := func(f func(context.Context) error, what string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				fail(what, err)
			}
		}()
	}
	run(func(ctx context.Context) error { return answer(ctx, "org.goxen.a", 2) }, "channel a")
	run(func(ctx context.Context) error { return answer(ctx, "org.goxen.b", 1) }, "channel b")
	run(chanBulk, "channel bulk")
	run(vchanBulk, "vchan")
	wg.Wait()
	stop.Store(true)
	n := <-ticks
	fmt.Printf("ticks: %d lines\n", n)
	consoleRate()
	xenstoreCycles(ctx)
	fmt.Println("channels: all done")
}

// answer opens channel name, answers one line, and closes it; times
// times over (the reopen).
func answer(ctx context.Context, name string, times int) error {
	for i := 0; i < times; i++ {
		ch, err := channel.Open(ctx, xs, name)
		if err != nil {
			return err
		}
		line, err := bufio.NewReader(ch).ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading a line: %w", err)
		}
		reply := fmt.Sprintf("%s (open %d) got %q", name, i+1, strings.TrimSpace(line))
		fmt.Println("channel:", reply)
		if _, err := fmt.Fprintln(ch, reply); err != nil {
			return err
		}
		if err := ch.Close(); err != nil {
			return err
		}
		fmt.Printf("channel: %s closed (open %d)\n", name, i+1)
	}
	return nil
}

func chanBulk(ctx context.Context) error {
	ch, err := channel.Open(ctx, xs, "org.goxen.bulk")
	if err != nil {
		return err
	}
	// dom0 says "go" first: QEMU keeps what the guest sends while no one
	// listens only up to its limit, so wait until someone does.
	var b [1]byte
	var hello []byte
	for b[0] != '\n' {
		if _, err := io.ReadFull(ch, b[:]); err != nil {
			return fmt.Errorf("waiting for go: %w", err)
		}
		hello = append(hello, b[0])
	}
	fmt.Printf("channel bulk: dom0 said %q\n", strings.TrimSpace(string(hello)))
	if err := receiveAcked("channel bulk", ch, 1<<20, 1024); err != nil {
		return err
	}
	return exchange("channel bulk", ch, 1<<20, 0, 2)
}

func vchanBulk(ctx context.Context) error {
	const path = "data/vchan/bulk"
	c, err := vchan.Listen(ctx, xs, path, 0, 64<<10, 64<<10)
	if err != nil {
		return err
	}
	r, w := c.RingSizes()
	fmt.Printf("vchan: client connected at %s (rings %d and %d bytes)\n", path, r, w)
	if err := exchange("vchan", c, 16<<20, 16<<20, 3); err != nil {
		return err
	}
	// dom0 closes its socket: vchan-socket-proxy closes the vchan.
	var b [1]byte
	n, err := c.Read(b[:])
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("after the transfer: read %d, %v; want EOF", n, err)
	}
	fmt.Println("vchan: EOF: the client closed; serving again")
	c.Close()
	c, err = vchan.Listen(ctx, xs, path, 0, 1024, 2048)
	if err != nil {
		return fmt.Errorf("serving again: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("after reopening: %w", err)
	}
	reply := fmt.Sprintf("vchan reopened got %q", strings.TrimSpace(line))
	fmt.Println("vchan:", reply)
	fmt.Fprintln(c, reply)
	time.Sleep(time.Second) // let the proxy pass it on before the server goes
	return c.Close()
}

// receiveAcked receives n bytes, writing one byte back after each block.
func receiveAcked(what string, rw io.ReadWriter, n int64, block int) error {
	start := time.Now()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	buf := make([]byte, block)
	var got int64
	for got < n {
		k, err := io.ReadFull(rw, buf[:min(int64(block), n-got)])
		h.Write(buf[:k])
		got += int64(k)
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", got, err)
		}
		if _, err := rw.Write([]byte{'k'}); err != nil {
			return err
		}
	}
	d := time.Since(start)
	fmt.Printf("%s: received %d bytes crc64 %x in %.3f s (%.3f MB/s)\n", what, got, h.Sum(nil), d.Seconds(), float64(got)/1e6/d.Seconds())
	return nil
}

// exchange sends n pseudo-random bytes while receiving m, and prints the
// checksums and rates.
func exchange(what string, rw io.ReadWriter, n, m int64, seed int64) error {
	start := time.Now()
	got := make(chan error, 1)
	var progress atomic.Int64
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Second):
				fmt.Printf("%s: %d bytes received so far", what, progress.Load())
				if ch, ok := rw.(*channel.Channel); ok {
					ip, ic, op, oc := ch.Indices()
					fmt.Printf(" (in %d/%d, out %d/%d)", ip, ic, op, oc)
				}
				fmt.Println()
			}
		}
	}()
	go func() {
		h := crc64.New(crc64.MakeTable(crc64.ECMA))
		if m == 0 {
			got <- nil
			return
		}
		k, err := io.CopyN(io.MultiWriter(h, counter{&progress}), rw, m)
		d := time.Since(start)
		fmt.Printf("%s: received %d bytes crc64 %x in %.3f s (%.3f MB/s)\n", what, k, h.Sum(nil), d.Seconds(), float64(k)/1e6/d.Seconds())
		got <- err
	}()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	k, err := io.Copy(rw, io.TeeReader(io.LimitReader(rand.New(rand.NewSource(seed)), n), h))
	d := time.Since(start)
	fmt.Printf("%s: sent %d bytes crc64 %x in %.3f s (%.3f MB/s)\n", what, k, h.Sum(nil), d.Seconds(), float64(k)/1e6/d.Seconds())
	if err != nil {
		return err
	}
	return <-got
}

// consoleRate writes 256 KiB to the console and reports its rate the same
// way (the guest's clock), for comparison.
func consoleRate() {
	line := strings.Repeat("c", 127) + "\n"
	const total = 256 << 10
	start := time.Now()
	for i := 0; i < total/len(line); i++ {
		os.Stdout.WriteString(line)
	}
	d := time.Since(start)
	fmt.Printf("console: sent %d bytes in %.3f s (%.3f MB/s)\n", total, d.Seconds(), float64(total)/1e6/d.Seconds())
}

func fail(what string, err error) {
	fmt.Printf("channels: %s: %v\n", what, err)
	os.Exit(1)
}

type counter struct{ n *atomic.Int64 }

func (c counter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// xenstoreCycles opens and closes a xenstore Client more often than the
// kernel has /dev/xen/xenbus files (4, one held by xs): each Close must
// give its file back although the Client's reader sleeps in read(2).
func xenstoreCycles(ctx context.Context) {
	const n = 8
	for i := range n {
		c, err := xenstore.Open()
		if err != nil {
			fail(fmt.Sprintf("xenstore Open %d of %d", i+1, n), err)
		}
		if _, err := c.Read(ctx, "name"); err != nil {
			fail("xenstore read", err)
		}
		if err := c.Close(); err != nil {
			fail("xenstore Close", err)
		}
	}
	fmt.Printf("xenstore: %d Open/Close cycles\n", n)
}
