// Command ticker measures how late time.Sleep, time.Ticker and
// time.AfterFunc fire, against the guest's clock (Xen system time), and
// prints every sample, one line each, for the host to judge:
//
//	late sleep I NS      the I-th 100 ms Sleep returned NS ns late
//	ticker period NS     the ticker's period (100 ms)
//	late tick K NS SLIP  the tick due K periods after the first (its
//	                     value is the time it was due) arrived NS ns after
//	                     that; it was due SLIP ns after K whole periods
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

	// A tick's value is the time it was due, by the runtime's schedule;
	// K numbers the ticks from the first by that schedule (a tick the
	// channel had no room for is dropped, and its number with it).
	fmt.Printf("ticker period %d\n", period.Nanoseconds())
	t := time.NewTicker(period)
	var first time.Time
	for i := range ticks {
		due := <-t.C
		now := time.Now()
		if i == 0 {
			first = due
		}
		k := (due.Sub(first) + period/2) / period
		fmt.Printf("late tick %d %d %d\n", int(k), now.Sub(due).Nanoseconds(), (due.Sub(first) - k*period).Nanoseconds())
	}
	t.Stop()

	done := make(chan time.Duration)
	for i := range afters {
		start := time.Now()
		time.AfterFunc(period, func() { done <- time.Since(start) - period })
		fmt.Printf("late afterfunc %d %d\n", i, (<-done).Nanoseconds())
	}
}
