// Command agent shows a guest agent, the second use Xen's channel design
// names (docs/man/xen-pv-channel.7.pod): it answers line-based queries
// from dom0 on the PV channel org.goxen.agent while the program does
// other work.
//
// Queries, one per line; each gets one line back:
//
//	uptime       seconds since the program started
//	memory       bytes of memory in use (Go's heap and stacks) and frames free in the guest
//	goroutines   how many goroutines run
//	quit         "bye", then the program ends and the domain powers off
//
// In dom0 (the box: make run BOXFLAGS='-channel org.goxen.agent ...'):
//
//	printf 'uptime\nmemory\ngoroutines\nquit\n' | sockcat -lines 4 /run/goxen/org.goxen.agent.sock
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/goxen/goxen/channel"
	"github.com/goxen/goxen/xenstore"
)

const name = "org.goxen.agent"

var start = time.Now()

func main() {
	xs, err := xenstore.Open()
	if err != nil {
		fmt.Println("agent: no xenstore:", err)
		os.Exit(1)
	}
	defer xs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	ch, err := channel.Open(ctx, xs, name)
	cancel()
	if err != nil {
		fmt.Println("agent:", err)
		os.Exit(1)
	}
	fmt.Printf("agent: answering on channel %s\n", name)

	// The program's own work goes on beside the agent.
	go work()

	sc := bufio.NewScanner(ch)
	for sc.Scan() {
		q := strings.TrimSpace(sc.Text())
		a := answer(q)
		fmt.Printf("agent: %q -> %q\n", q, a)
		fmt.Fprintln(ch, a)
		if q == "quit" {
			ch.Close()
			fmt.Println("agent: quit; powering off")
			return
		}
	}
	fmt.Println("agent: channel ended:", sc.Err())
	os.Exit(1)
}

func answer(q string) string {
	switch q {
	case "uptime":
		return fmt.Sprintf("uptime %.3f s", time.Since(start).Seconds())
	case "memory":
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return fmt.Sprintf("memory heap-in-use %d stacks %d sys %d", m.HeapInuse, m.StackInuse, m.Sys)
	case "goroutines":
		return fmt.Sprintf("goroutines %d", runtime.NumGoroutine())
	case "quit":
		return "bye"
	}
	return fmt.Sprintf("unknown query %q (try uptime, memory, goroutines, quit)", q)
}

// work stands for the program's real job: it computes and reports now
// and then on the console.
func work() {
	sum := uint64(0)
	for i := uint64(1); ; i++ {
		sum += i * i
		if i%5_000_000 == 0 {
			fmt.Printf("agent: work: %d steps done\n", i)
			time.Sleep(200 * time.Millisecond)
		}
	}
}
