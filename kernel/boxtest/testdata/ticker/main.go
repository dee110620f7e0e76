// Command ticker measures how late time.Sleep, time.Ticker and
// time.AfterFunc fire, against the guest's clock (Xen system time), and
// prints the drift per second of waiting.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	const period = 100 * time.Millisecond
	const n = 20

	start := time.Now()
	for i := 0; i < n/2; i++ {
		time.Sleep(period)
	}
	sleepLate := time.Since(start) - n/2*period

	// The clock is read before the ticker starts, so the ticks' schedule
	// (from NewTicker on) can never look early: read after, a delay in
	// between (an interrupt, a thread switch) would show as negative drift.
	start = time.Now()
	t := time.NewTicker(period)
	for i := 0; i < n; i++ {
		<-t.C
	}
	t.Stop()
	tickLate := time.Since(start) - n*period

	done := make(chan time.Duration)
	start = time.Now()
	time.AfterFunc(500*time.Millisecond, func() { done <- time.Since(start) - 500*time.Millisecond })
	afterLate := <-done

	// A ticker keeps its schedule, so its lateness over the run is drift.
	// Each Sleep starts afresh and Go rounds its poll timeout down to whole
	// milliseconds (then polls again), so a Sleep is late by up to ~1 ms
	// even on Linux: report it per call.
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	fmt.Printf("sleep late per call %.3f ms\n", ms(sleepLate)/(n/2))
	fmt.Printf("ticker drift %.3f ms per second\n", ms(tickLate)/(n*period).Seconds())
	fmt.Printf("afterfunc late %.3f ms\n", ms(afterLate))
}
