//go:build tamago

// Command stdlib runs a little of everything a program leans on: the
// garbage collector over a heap well past Xen's PV bootstrap region,
// timers, goroutines and channels, maps, sorting, formatting, hashing and
// time. Its output does not depend on the guest type, so PVH and PV boots
// print the same lines.
package main

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/goxen/goxen/tamago/xenpvh"
)

func main() {
	// 64 MiB allocated in 64 KiB pieces, at most 4 MiB live: the GC runs.
	var keep [][]byte
	sum := 0
	for i := 0; i < 1024; i++ {
		b := make([]byte, 64<<10)
		b[i%len(b)] = byte(i)
		sum += int(b[i%len(b)])
		keep = append(keep, b)
		if len(keep) > 64 {
			keep = keep[1:]
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("alloc: %d pieces, checksum %d, gc ran: %v\n", 1024, sum, ms.NumGC > 0)

	// Timers and goroutines.
	start := time.Now()
	var wg sync.WaitGroup
	results := make(chan int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(10+i) * time.Millisecond)
			results <- i * i
		}(i)
	}
	wg.Wait()
	close(results)
	var squares []int
	for r := range results {
		squares = append(squares, r)
	}
	sort.Ints(squares)
	slept := time.Since(start)
	fmt.Printf("goroutines: %v, slept long enough: %v\n", squares, slept >= 17*time.Millisecond && slept < 5*time.Second)

	m := map[string]int{}
	for _, w := range strings.Fields("the quick brown fox jumps over the lazy dog the end") {
		m[w]++
	}
	fmt.Printf("words: %d distinct, the=%d\n", len(m), m["the"])
	fmt.Printf("sha256: %x\n", sha256.Sum256([]byte("hello, world")))
	fmt.Println("stdlib: done")
}
