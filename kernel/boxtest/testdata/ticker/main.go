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

	t := time.NewTicker(period)
	start = time.Now()
	for i := 0; i < n; i++ {
		<-t.C
	}
	t.Stop()
	tickLate := time.Since(start) - n*period

	done := make(chan time.Duration)
	start = time.Now()
	time.AfterFunc(500*time.Millisecond, func() { done <- time.Since(start) - 500*time.Millisecond })
	afterLate := <-done

	total := float64(n/2+n)*period.Seconds() + 0.5
	drift := float64(sleepLate+tickLate+afterLate) / 1e6 / total
	fmt.Printf("sleep late %v, ticker late %v, afterfunc late %v\n", sleepLate, tickLate, afterLate)
	fmt.Printf("drift %.3f ms per second\n", drift)
}
