// Command ticker measures how late time.Sleep, time.Ticker and
// time.AfterFunc fire, against the guest's clock (Xen system time), and
// prints every sample, one line each, for the host to judge:
//
//	late sleep I NS      the I-th 100 ms Sleep returned NS ns late
//	ticker period NS     the ticker's period (100 ms)
//	late tick K NS       the tick due K periods after the ticker started
//	                     (from its value, the time it was due) arrived
//	                     NS ns after that
//	late afterfunc I NS  the I-th 100 ms AfterFunc ran NS ns late
//
// One sample is one wakeup, and how soon a wakeup runs is up to the host
// as much as the guest: the host takes the earliest of several.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

const (
	period = 100 * time.Millisecond
	sleeps = 10
	ticks  = 20
	afters = 5
)

func main() {
	for i := range sleeps {
		start := time.Now()
		time.Sleep(period)
		fmt.Printf("late sleep %d %d\n", i, (time.Since(start) - period).Nanoseconds())
	}

	// The clock is read before the ticker starts, so the ticks' schedule
	// (from NewTicker on) can never look early: read after, a delay in
	// between (an interrupt, a thread switch) would show as negative.
	// A tick's value is the time it was due; a tick the channel had no
	// room for is dropped, and its number with it.
	fmt.Printf("ticker period %d\n", period.Nanoseconds())
	start := time.Now()
	t := time.NewTicker(period)
	for range ticks {
		due := <-t.C
		k := (due.Sub(start) + period/2) / period
		fmt.Printf("late tick %d %d\n", int(k), time.Since(start.Add(k*period)).Nanoseconds())
	}
	t.Stop()

	done := make(chan time.Duration)
	for i := range afters {
		start := time.Now()
		time.AfterFunc(period, func() { done <- time.Since(start) - period })
		fmt.Printf("late afterfunc %d %d\n", i, (<-done).Nanoseconds())
	}
}
